// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* asyncscope trace: the event stream as JSON Lines. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "event/capture.h"
#include "live/capture_meta.h"
#include "event/jsonl.h"
#include "lib/log.h"
#include "lib/safe_output.h"
#include "model/exec_context.h"
#include "resolve/proc.h"
#include "live/session.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: asyncscope trace (-p PID | -- COMMAND [ARGS...]) [OPTIONS]\n"
		     "\n"
		     "Streams init/before/after/destroy events of the target's async resources\n"
		     "as JSON Lines, one object per event, with Node's own asyncIds, type names\n"
		     "and trigger ids, followed by a summary line (counts, and what could not\n"
		     "be seen: lost, js_ids_before_armed, uv_callbacks_unprobed, ...). Runs\n"
		     "until Ctrl-C, SIGTERM, --duration, or the target's exit. With -- COMMAND\n"
		     "the probes are attached before the command's first instruction, and\n"
		     "asyncscope exits with the command's exit status; a signal to asyncscope\n"
		     "is passed on to it, and a command still running 5 s later (or at a\n"
		     "second signal) is killed, and asyncscope exits 1. Works on node and on\n"
		     "any program using libuv (uv layer: uv_* handles, requests, callbacks).\n"
		     "\n"
		     "Options:\n"
		     "  -p, --pid PID          attach to a running node or libuv process (a\n"
		     "                         thread id, as top -H shows, means its process);\n"
		     "                         several node ones: repeat -p, or PID,PID,...\n"
		     "  -o, --output FILE      write events to FILE instead of stdout\n"
		     "  -d, --duration D       stop after D (e.g. 10s, 500ms, 2m)\n"
		     "      --stacks           keep each event's async id stack and "
		     "caller\n"
		     "      --js-stacks        the JS frames at each node init "
		     "(js_stack)\n" TARGET_LAYER_HELP
		     "  -q, --quiet            no progress notes on stderr\n"
		     "  -h, --help             this help\n"
		     "\n"
		     "Examples:\n"
		     "  sudo asyncscope trace -p 4242 -o events.jsonl\n"
		     "  sudo asyncscope trace -d 10s -p $(pgrep -f server.js) | jq -c "
		     "'select(.event==\"init\")'\n"
		     "  sudo asyncscope trace -o events.jsonl -- node app.js\n"
		     "  sudo asyncscope trace --js exact -o events.jsonl -- node app.js\n"
		     "  sudo asyncscope trace --layers node,uv -p 4242   # libuv under node too\n"
		     "  sudo asyncscope trace -- ./my-libuv-program\n"
		     "  asyncscope tree --input events.jsonl\n");
}

struct jsonl_sink {
	FILE *out;
	struct capture_summary written; /* what went into the stream, per kind */
	bool stacks;			/* --stacks: keep the id stack and caller on node events */
	/* --record FILE: the same events into a capture file too */
	const char *record_path;
	FILE *record_file;
	struct capture_writer *record;
	const struct session_opts *so;
	/* rejections are written with the type and path of where they happened */
	struct exec_context *ctx;
};

/* Opens the --record file once the target is known (its header needs it). */
static int trace_attached(void *ctx, const struct session_result *r)
{
	struct jsonl_sink *s = ctx;

	return capture_start_for_session(s->record_file, s->record_path, s->so, r, &s->record);
}

static int jsonl_on_event(void *ctx, const struct event *e)
{
	struct jsonl_sink *s = ctx;
	struct event plain, with_ctx;

	if (!s->stacks)
		e = event_plain(e, &plain);
	e = exec_context_add(s->ctx, e, &with_ctx);
	jsonl_write_event(s->out, e);
	if (s->record)
		capture_writer_event(s->record, e);
	s->written.events++;
	s->written.counts[e->kind]++;
	return 0;
}

static void jsonl_flush(void *ctx)
{
	fflush(((struct jsonl_sink *)ctx)->out);
}

enum { OPT_STACKS = 4000, OPT_RECORD, OPT_JS_STACKS };

struct trace_args {
	struct session_opts *so;
	const char *record;
};

static int trace_opt(int opt, const char *arg, void *ctx)
{
	struct trace_args *a = ctx;

	if (opt == OPT_STACKS) {
		a->so->with_stacks = true;
		return -1;
	}
	if (opt == OPT_JS_STACKS) {
		a->so->js_stacks = true;
		return -1;
	}
	if (opt == OPT_RECORD) {
		a->record = arg;
		return -1;
	}
	return EXIT_USAGE;
}

int do_trace(int argc, char **argv)
{
	struct session_opts so = {.ringbuf_bytes = SESSION_RINGBUF_BYTES};
	struct session_result *res = NULL;
	struct jsonl_sink sink = {.ctx = exec_context_new()};
	const char *output = NULL;
	int status, record_err = 0;

	struct trace_args args = {.so = &so};
	static const struct option extra[] = {
		{"stacks", no_argument, NULL, OPT_STACKS},
		{"record", required_argument, NULL, OPT_RECORD},
		{"js-stacks", no_argument, NULL, OPT_JS_STACKS},
		{0},
	};
	struct target_opts_spec spec = {
		.cmd = "trace",
		.output = &output,
		.usage = usage,
		.extra = extra,
		.extra_fn = trace_opt,
		.ctx = &args,
	};

	status = parse_target_opts(argc, argv, &spec, &so);
	if (status >= 0)
		return status;
	/* the outputs before the probes: a refused file leaves nothing attached */
	sink.out = open_output(output);
	if (!sink.out)
		return EXIT_FAIL;
	setvbuf(sink.out, NULL, _IOFBF, 1 << 20);
	sink.stacks = so.with_stacks;
	sink.so = &so;
	if (args.record) {
		sink.record_path = args.record;
		sink.record_file = open_output_file(args.record);
		if (!sink.record_file) {
			safe_output_close(sink.out);
			return EXIT_FAIL;
		}
		so.on_attached = trace_attached;
		so.attached_ctx = &sink;
	}
	so.sink =
		(struct event_sink){.on_event = jsonl_on_event, .flush = jsonl_flush, .ctx = &sink};

	res = calloc(1, sizeof(*res));
	if (!res) {
		status = EXIT_FAIL;
		goto cleanup;
	}
	status = exit_status_of(session_run(&so, res));
	if (status == EXIT_OK || sink.written.events) {
		res->summary.events = sink.written.events;
		memcpy(res->summary.counts, sink.written.counts, sizeof(res->summary.counts));
		jsonl_write_summary(sink.out, &res->summary);
		if (sink.record)
			record_err = capture_writer_close(sink.record, &res->summary);
		sink.record = NULL;
		session_report_stats(res);
		if (!so.quiet)
			ilog("%llu events", (unsigned long long)res->summary.events);
	}
	if (status == EXIT_OK && so.argv && res->target_exited)
		status = session_command_exit_code(res);
cleanup:
	if (close_output(sink.out, output, 0) != EXIT_OK)
		status = EXIT_FAIL;
	capture_writer_free(sink.record);
	exec_context_free(sink.ctx);
	if (sink.record_file && close_output(sink.record_file, args.record, record_err) != EXIT_OK)
		status = EXIT_FAIL;
	free(res);
	return status;
}
