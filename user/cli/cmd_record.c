// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* asyncscope record: a compact capture file (.asr) for later views, anywhere. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "event/capture.h"
#include "live/capture_meta.h"
#include "cli/cmd.h"
#include "lib/log.h"
#include "lib/safe_output.h"
#include "live/session.h"
#include "lib/version.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: asyncscope record (-p PID | -- COMMAND [ARGS...] | --input FILE) -o FILE "
		"[OPTIONS]\n"
		"\n"
		"Records the target's async events into a compact capture file (zlib-compressed,\n"
		"15-30x smaller than the JSON Lines of 'trace'), with what the target was:\n"
		"pid, executable, node and libuv build, provider names, wall-clock time of the\n"
		"start, and what was lost. Every view reads it without root: 'asyncscope report\n"
		"FILE', or tree/timeline/top/leaks/stats --input FILE. --input converts a JSON\n"
		"Lines capture written by 'trace'.\n"
		"\n"
		"Options:\n"
		"  -p, --pid PID          attach to a running node or libuv process\n"
		"  -o, --output FILE      the capture file to write (required)\n"
		"  -d, --duration D       stop after D (e.g. 10s, 500ms, 2m)\n"
		"      --input FILE       convert a JSON Lines capture instead of tracing\n"
		"      --stacks           keep each event's async id stack and "
		"caller\n" TARGET_LAYER_HELP
		"  -q, --quiet            no progress notes on stderr\n"
		"  -h, --help             this help\n"
		"\n"
		"Examples:\n"
		"  sudo asyncscope record -p 4242 -d 30s -o app.asr\n"
		"  sudo asyncscope record -o app.asr -- node app.js\n"
		"  asyncscope report app.asr\n"
		"  asyncscope report app.asr --format html -o app.html\n");
}

struct record_sink {
	const struct session_opts *so;
	const char *path;
	FILE *file;
	struct capture_writer *w;
	bool stacks;
	struct capture_summary written; /* what went into the file, per kind */
};

static int record_event(void *ctx, const struct event *e)
{
	struct record_sink *s = ctx;
	struct event plain;

	if (!s->w)
		return 0;
	if (!s->stacks)
		e = event_plain(e, &plain);
	capture_writer_event(s->w, e);
	s->written.events++;
	s->written.counts[e->kind]++;
	return 0;
}

static int record_attached(void *ctx, const struct session_result *r)
{
	struct record_sink *s = ctx;

	return capture_start_for_session(s->file, s->path, s->so, r, &s->w);
}

enum { OPT_STACKS = 6000 };

static int record_opt(int opt, const char *arg, void *ctx)
{
	struct session_opts *so = ctx;

	if (opt == OPT_STACKS) {
		so->with_stacks = true;
		return -1;
	}
	return EXIT_USAGE;
}

/* Converts a saved capture (JSON Lines) into s's writer. */
static int convert(const char *input, struct record_sink *s, struct capture_summary *summary)
{
	struct capture_meta meta = {0};
	struct event_sink sink = {.on_event = record_event, .ctx = s};
	char err[512] = "";
	FILE *in = strcmp(input, "-") ? fopen(input, "re") : stdin;
	int ret;

	if (!in) {
		elog("cannot read %s: %s", input, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	snprintf(meta.tool_version, sizeof(meta.tool_version), "%s", ASYNCSCOPE_VERSION);
	ret = capture_writer_open(s->file, &meta, &s->w);
	if (ret) {
		elog("cannot write %s: %s", s->path, strerror(-ret));
		if (in != stdin)
			fclose(in);
		return EXIT_FAIL;
	}
	ret = read_capture(in, input, &sink, summary, err, sizeof(err));
	if (in != stdin)
		fclose(in);
	if (ret < 0) {
		elog("%s", err);
		return EXIT_BAD_INPUT;
	}
	warn_unfinished_capture(input, summary, err);
	return EXIT_OK;
}

int do_record(int argc, char **argv)
{
	static const struct option extra[] = {
		{"stacks", no_argument, NULL, OPT_STACKS},
		{0},
	};
	struct session_opts so = {.ringbuf_bytes = SESSION_RINGBUF_BYTES};
	struct record_sink s = {.so = &so};
	struct capture_summary summary = {0};
	const char *output = NULL, *input = NULL;
	struct session_result *res = NULL;
	struct target_opts_spec spec = {
		.cmd = "record",
		.output = &output,
		.input = &input,
		.usage = usage,
		.extra = extra,
		.extra_fn = record_opt,
		.ctx = &so,
	};
	struct stat st;
	int status, closed, err = 0;
	bool wrote;

	status = parse_target_opts(argc, argv, &spec, &so);
	if (status >= 0)
		return status;
	if (!output || !strcmp(output, "-")) {
		elog("record: give the capture file with -o FILE (see record --help)");
		return EXIT_USAGE;
	}
	s.path = output;
	s.stacks = so.with_stacks;
	/* before the probes: a refused file leaves nothing attached */
	s.file = open_output_file(output);
	if (!s.file)
		return EXIT_FAIL;
	if (input && *input) {
		status = convert(input, &s, &summary);
	} else {
		res = calloc(1, sizeof(*res));
		if (!res) {
			safe_output_close(s.file);
			return EXIT_FAIL;
		}
		so.sink = (struct event_sink){.on_event = record_event, .ctx = &s};
		so.on_attached = record_attached;
		so.attached_ctx = &s;
		status = exit_status_of(session_run(&so, res));
		summary = res->summary;
		if (status == EXIT_OK)
			session_report_stats(res);
	}
	/* the trailer counts what is in the file, like trace's summary line */
	summary.events = s.written.events;
	memcpy(summary.counts, s.written.counts, sizeof(summary.counts));
	wrote = s.w;
	if (s.w)
		err = capture_writer_close(s.w, &summary);
	closed = close_output(s.file, output, err);
	if (closed != EXIT_OK)
		status = EXIT_FAIL;
	if (wrote && closed == EXIT_OK && !so.quiet && !stat(output, &st))
		ilog("%llu events recorded to %s (%lld bytes, %.1f bytes/event)",
		     (unsigned long long)summary.events, output, (long long)st.st_size,
		     summary.events ? (double)st.st_size / summary.events : 0.0);
	if (status == EXIT_OK && so.argv && res && res->target_exited)
		status = session_command_exit_code(res);
	free(res);
	return status;
}
