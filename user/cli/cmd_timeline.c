// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* asyncscope timeline: which async id ran when, per thread. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "lib/log.h"
#include "lib/safe_output.h"
#include "model/model_timeline.h"
#include "out/out_timeline.h"
#include "live/session.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: asyncscope timeline (-p PID | -- COMMAND [ARGS...] | --input FILE) "
		"[OPTIONS]\n"
		"\n"
		"Shows, per thread, which async resource's callback ran when (the\n"
		"executionAsyncId over time), nested, with durations. --format chrome writes\n"
		"Trace Event Format JSON for Perfetto UI (ui.perfetto.dev) or chrome://tracing:\n"
		"one track per thread, a slice per callback, arrows from the callback that\n"
		"created a resource to the resource's first callback.\n"
		"\n"
		"Options:\n"
		"  -p, --pid PID          capture live from a running node or libuv process\n"
		"      --input FILE       read a capture written by 'asyncscope trace'\n"
		"  -d, --duration D       live capture length\n"
		"      --format F         text (default) or chrome\n"
		"      --limit N          callbacks listed per thread in text (default 200, 0 "
		"= all)\n"
		"  -o, --output FILE      write to FILE instead of stdout\n" TARGET_LAYER_HELP
		"  -q, --quiet            no progress notes on stderr\n"
		"  -h, --help             this help\n"
		"\n"
		"Examples:\n"
		"  sudo asyncscope timeline -p 4242 -d 5s\n"
		"  sudo asyncscope timeline --format chrome -o trace.json -- node app.js\n"
		"  asyncscope timeline --input events.jsonl --limit 0\n");
}

enum { OPT_LIMIT = 5000 };

static int timeline_opt(int opt, const char *arg, void *ctx)
{
	struct timeline_opts *to = ctx;
	char *end;
	unsigned long v;

	if (opt == OPT_LIMIT) {
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (!errno && end != arg && !*end && *arg != '-' && v <= 100000000) {
			to->limit = v;
			return -1;
		}
	}
	elog("timeline: invalid --limit '%s'", arg);
	return EXIT_USAGE;
}

int do_timeline(int argc, char **argv)
{
	static const struct option extra[] = {
		{"limit", required_argument, NULL, OPT_LIMIT},
		{0},
	};
	struct session_opts so = {.ringbuf_bytes = SESSION_RINGBUF_BYTES};
	struct timeline_opts to = {.limit = TIMELINE_LIMIT, .width = TIMELINE_WIDTH};
	const char *output = NULL, *input = "", *format = "text";
	struct capture_summary summary = {0};
	struct target_opts_spec spec = {
		.cmd = "timeline",
		.output = &output,
		.input = &input,
		.format = &format,
		.extra = extra,
		.extra_fn = timeline_opt,
		.ctx = &to,
		.usage = usage,
	};
	struct timeline *t = NULL;
	FILE *out;
	int status;

	status = parse_target_opts(argc, argv, &spec, &so);
	if (status >= 0)
		return status;
	if (strcmp(format, "text") && strcmp(format, "chrome")) {
		elog("timeline: unknown --format '%s' (text or chrome)", format);
		return EXIT_USAGE;
	}
	/* before a live capture: a refused file leaves nothing attached */
	out = open_output(output);
	if (!out)
		return EXIT_FAIL;
	t = timeline_new();
	if (!t) {
		status = EXIT_FAIL;
		goto out;
	}
	so.sink = timeline_sink(t);
	status = collect_events(&so, input, &summary);
	if (status != EXIT_OK)
		goto out;
	timeline_finish(t);
	if (!strcmp(format, "chrome"))
		timeline_print_chrome(out, t);
	else
		timeline_print_text(out, t, &to);
	status = close_output(out, output, 0);
	out = NULL;
out:
	if (out)
		safe_output_close(out);
	timeline_free(t);
	return status;
}
