// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* asyncscope tree: the trigger forest, live or from a saved capture. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "event/jsonl.h"
#include "lib/log.h"
#include "lib/safe_output.h"
#include "model/model_tree.h"
#include "out/out_tree.h"
#include "live/session.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: asyncscope tree (-p PID | -- COMMAND [ARGS...] | --input FILE) [OPTIONS]\n"
		"\n"
		"Prints the trigger tree: which async resource caused which, per thread, with\n"
		"each resource's callbacks (count, total and max time), queue delay (init to\n"
		"first callback) and lifetime (init to destroy), or 'alive' at the end.\n"
		"Resources created before attach appear as '?' placeholders.\n"
		"\n"
		"Options:\n"
		"  -p, --pid PID          capture live from a running node or libuv process\n"
		"      --input FILE       read a capture written by 'asyncscope trace' (no root "
		"needed)\n"
		"  -d, --duration D       live capture length (default: until Ctrl-C or exit)\n"
		"      --format F         text (default) or json\n"
		"      --max-children N   list N children, sum up the rest by type (default 25, 0 "
		"= all)\n"
		"      --max-depth N      print N levels, sum up deeper ones (default 64, 0 = "
		"all)\n"
		"  -o, --output FILE      write to FILE instead of stdout\n" TARGET_LAYER_HELP
		"  -q, --quiet            no progress notes on stderr\n"
		"  -h, --help             this help\n"
		"\n"
		"Examples:\n"
		"  sudo asyncscope tree -p 4242 --duration 10s\n"
		"  asyncscope tree --input events.jsonl --max-children 0\n"
		"  asyncscope tree --input events.jsonl --format json | jq '.nodes | length'\n");
}

enum { OPT_MAX_CHILDREN = 2000, OPT_MAX_DEPTH };

static int parse_count(const char *arg, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || v > 1000000)
		return -EINVAL;
	*out = v;
	return 0;
}

static int tree_opt(int opt, const char *arg, void *ctx)
{
	struct tree_opts *to = ctx;

	if (opt == OPT_MAX_CHILDREN && !parse_count(arg, &to->max_children))
		return -1;
	if (opt == OPT_MAX_DEPTH && !parse_count(arg, &to->max_depth))
		return -1;
	elog("tree: invalid count '%s'", arg);
	return EXIT_USAGE;
}

int do_tree(int argc, char **argv)
{
	static const struct option extra[] = {
		{"max-children", required_argument, NULL, OPT_MAX_CHILDREN},
		{"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
		{0},
	};
	struct session_opts so = {.ringbuf_bytes = SESSION_RINGBUF_BYTES, .quiet = false};
	struct tree_opts to = {.max_children = TREE_MAX_CHILDREN, .max_depth = TREE_MAX_DEPTH};
	const char *output = NULL, *input = "", *format = "text";
	struct capture_summary summary = {0};
	struct model *m;
	FILE *out;
	int status;

	struct target_opts_spec spec = {
		.cmd = "tree",
		.output = &output,
		.input = &input,
		.format = &format,
		.extra = extra,
		.extra_fn = tree_opt,
		.ctx = &to,
		.usage = usage,
	};

	status = parse_target_opts(argc, argv, &spec, &so);
	if (status >= 0)
		return status;
	if (strcmp(format, "text") && strcmp(format, "json")) {
		elog("tree: unknown --format '%s' (text or json)", format);
		return EXIT_USAGE;
	}
	/* before a live capture: a refused file leaves nothing attached */
	out = open_output(output);
	if (!out)
		return EXIT_FAIL;
	m = model_new();
	if (!m) {
		status = EXIT_FAIL;
		goto out;
	}
	so.sink = model_sink(m);

	status = collect_events(&so, input, &summary);
	if (status != EXIT_OK)
		goto out;
	model_finish(m);
	to.summary = &summary;
	status = EXIT_OK;
	if (!strcmp(format, "json"))
		tree_print_json(out, m, &to);
	else
		tree_print_text(out, m, &to);
	status = close_output(out, output, 0);
	out = NULL;
out:
	if (out)
		safe_output_close(out);
	model_free(m);
	return status;
}
