// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How many events per second asyncscope's user space takes from the ring
 * buffer to its output, with nothing lost: a producer thread runs
 * bpf/synth.bpf.c (BPF_PROG_TEST_RUN) as fast as the ring allows, the main
 * thread drains it through the real ingest path into a sink, and its own
 * CPU time is measured.
 *
 *   ingest-bench [--events N] [--sink count|jsonl|asr] [--output FILE]
 *
 * asr writes a capture file, as `asyncscope record` does; its output is also
 * the synthetic 1M-event capture the report benchmark reads.
 *
 * Prints one JSON line: events, lost, consumer CPU seconds, events per CPU
 * second, wall seconds, producer backoffs. Root (or CAP_BPF) needed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "event/capture.h"
#include "event/event.h"
#include "live/ingest.h"
#include "live/session.h"
#include "event/jsonl.h"
#include "synth.skel.h"

struct counting_sink {
	FILE *out; /* NULL: count only */
	struct capture_writer *capture; /* the asr sink */
	uint64_t events;
	uint64_t counts[EV_KIND_COUNT];
};

static int on_event(void *ctx, const struct event *e)
{
	struct counting_sink *s = ctx;

	s->events++;
	if (e->kind < EV_KIND_COUNT)
		s->counts[e->kind]++;
	if (s->capture)
		return capture_writer_event(s->capture, e);
	if (s->out)
		jsonl_write_event(s->out, e);
	return 0;
}

struct producer {
	struct synth *skel;
	uint64_t target;
	volatile bool stop;
	int err;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	int fd = bpf_program__fd(p->skel->progs.synth_events);

	while (!p->stop && p->skel->bss->produced < p->target) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);

		if (bpf_prog_test_run_opts(fd, &opts)) {
			p->err = -errno;
			break;
		}
	}
	return NULL;
}

static double cpu_seconds(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct capture_summary summary = {0};
	struct counting_sink sink = {0};
	struct node_layout *layout = calloc(1, sizeof(*layout));
	struct producer p = {.target = 5000000};
	struct ingest *in = NULL;
	const char *kind = "jsonl", *output = "/dev/null";
	double cpu0, wall0, cpu, wall;
	pthread_t thread;
	int err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc)
			p.target = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--sink") && i + 1 < argc)
			kind = argv[++i];
		else if (!strcmp(argv[i], "--output") && i + 1 < argc)
			output = argv[++i];
		else {
			fprintf(stderr, "usage: ingest-bench [--events N] [--sink count|jsonl|asr] "
					"[--output FILE]\n");
			return 2;
		}
	}
	if (!layout)
		return 1;
	/* provider names, as a node binary's table would give them */
	layout->nproviders = 9;
	for (int i = 0; i < layout->nproviders; i++)
		snprintf(layout->providers[i], sizeof(layout->providers[i]), "%s",
			 (const char *[]){"NONE", "TCPWRAP", "FSREQCALLBACK", "TIMERWRAP", "ZLIB",
					  "PIPEWRAP", "TCPCONNECTWRAP", "WRITEWRAP",
					  "HTTPINCOMINGMESSAGE"}[i]);
	if (strcmp(kind, "count")) {
		sink.out = fopen(output, "w");
		if (!sink.out) {
			fprintf(stderr, "ingest-bench: cannot write %s: %s\n", output, strerror(errno));
			return 1;
		}
	}
	if (!strcmp(kind, "asr")) {
		struct capture_meta meta = {.pid = 4242, .nproviders = 0};

		snprintf(meta.exe, sizeof(meta.exe), "synthetic");
		snprintf(meta.layers, sizeof(meta.layers), "node");
		err = capture_writer_open(sink.out, &meta, &sink.capture);
		if (err) {
			fprintf(stderr, "ingest-bench: capture: %s\n", strerror(-err));
			return 1;
		}
	}

	p.skel = synth__open();
	if (!p.skel) {
		fprintf(stderr, "ingest-bench: cannot open the BPF object\n");
		return 1;
	}
	/* the live default: 16 MiB ring, wake the consumer at a quarter full */
	bpf_map__set_max_entries(p.skel->maps.events, SESSION_RINGBUF_BYTES);
	p.skel->rodata->wakeup_bytes = SESSION_RINGBUF_BYTES / 4;
	err = synth__load(p.skel);
	if (err) {
		fprintf(stderr, "ingest-bench: cannot load the BPF object: %s (root?)\n",
			strerror(-err));
		goto cleanup;
	}
	err = ingest_new(bpf_map__fd(p.skel->maps.events), layout,
			 &(struct event_sink){.on_event = on_event, .ctx = &sink}, &summary, &in);
	if (err)
		goto cleanup;

	wall0 = cpu_seconds(CLOCK_MONOTONIC);
	cpu0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
	if (pthread_create(&thread, NULL, produce, &p)) {
		err = -errno;
		goto cleanup;
	}
	while (sink.events < p.target && !p.err)
		if ((err = ingest_poll(in, 100)) < 0)
			break;
	if (err > 0)
		err = 0; /* ingest_poll returns how many it took */
	p.stop = true;
	pthread_join(thread, NULL);
	if (sink.capture) {
		/* the trailer is part of the work: the file is complete only then */
		summary.events = sink.events;
		memcpy(summary.counts, sink.counts, sizeof(summary.counts));
		if (!err)
			err = capture_writer_close(sink.capture, &summary);
		else
			capture_writer_free(sink.capture);
		sink.capture = NULL;
	}
	if (sink.out)
		fflush(sink.out);
	cpu = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	wall = cpu_seconds(CLOCK_MONOTONIC) - wall0;
	if (p.err)
		err = p.err;
	if (err < 0) {
		fprintf(stderr, "ingest-bench: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("{\"sink\":\"%s\",\"events\":%llu,\"produced\":%llu,\"lost\":%llu,"
	       "\"consumer_cpu_s\":%.3f,\"events_per_cpu_s\":%.0f,\"wall_s\":%.3f,"
	       "\"producer_backoffs\":%llu}\n",
	       kind, (unsigned long long)sink.events,
	       (unsigned long long)p.skel->bss->produced,
	       (unsigned long long)(p.skel->bss->dropped + p.skel->bss->produced - sink.events), cpu,
	       sink.events / cpu,
	       wall, (unsigned long long)p.skel->bss->backoffs);
	err = 0;
cleanup:
	capture_writer_free(sink.capture);
	ingest_free(in);
	synth__destroy(p.skel);
	if (sink.out)
		fclose(sink.out);
	free(layout);
	return err ? 1 : 0;
}
