// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * asyncscope report FILE, and the top, leaks and stats commands: one pass
 * over a capture (file or live) into the tree and timeline models, then the
 * view asked for, in the format asked for.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/capture.h"
#include "cli/cmd.h"
#include "event/jsonl.h"
#include "lib/log.h"
#include "lib/safe_output.h"
#include "model/exec_context.h"
#include "model/model_stats.h"
#include "model/model_timeline.h"
#include "model/model_tree.h"
#include "out/out_html.h"
#include "out/out_report.h"
#include "out/out_timeline.h"
#include "out/out_tree.h"
#include "live/session.h"

enum view {
	VIEW_SUMMARY, /* stats, then the top and leaks tables, short */
	VIEW_STATS,
	VIEW_TOP,
	VIEW_LEAKS,
	VIEW_TREE,
	VIEW_TIMELINE,
	VIEW_EVENTS,
};

static const char *const view_names[] = {
	[VIEW_SUMMARY] = "summary", [VIEW_STATS] = "stats", [VIEW_TOP] = "top",
	[VIEW_LEAKS] = "leaks",	    [VIEW_TREE] = "tree",   [VIEW_TIMELINE] = "timeline",
	[VIEW_EVENTS] = "events",
};

/* The formats each view can be written in; the first is its default. */
static const char *const view_formats[][6] = {
	[VIEW_SUMMARY] = {"text", "html", "jsonl", "folded", "chrome"},
	[VIEW_STATS] = {"text", "json"},
	[VIEW_TOP] = {"text", "json"},
	[VIEW_LEAKS] = {"text", "json"},
	[VIEW_TREE] = {"text", "json", "folded", "html"},
	[VIEW_TIMELINE] = {"text", "chrome", "html"},
	[VIEW_EVENTS] = {"jsonl"},
};

static void report_usage(FILE *out)
{
	fprintf(out,
		"Usage: asyncscope report FILE [--view V] [--format F] [-o OUT] [OPTIONS]\n"
		"\n"
		"Reads a capture (.asr from 'record', or JSON Lines from 'trace'; no root\n"
		"needed) and shows it. Views:\n"
		"  summary   (default) capture facts, then the top and leaks tables, shortened\n"
		"  stats     what was captured: target, events, resources, what was not seen\n"
		"  top       types and creation paths by total callback time, with callback\n"
		"            time and queue delay (init to first callback) percentiles\n"
		"  leaks     resources alive at the end, by type and creation path, with age\n"
		"  tree      the trigger tree          timeline  which callback ran when\n"
		"  events    the event stream\n"
		"Formats: text (default), json (stats, top, leaks, tree), jsonl (events),\n"
		"chrome (Trace Event Format for ui.perfetto.dev / chrome://tracing), folded\n"
		"(thread;type;...;type weight-in-ns lines for flamegraph.pl, speedscope,\n"
		"inferno), html (one self-contained page: tree and timeline, linked).\n"
		"\n"
		"Options:\n"
		"      --view V           summary, stats, top, leaks, tree, timeline, events\n"
		"      --format F         text, json, jsonl, chrome, folded, html\n"
		"  -o, --output FILE      write to FILE instead of stdout\n"
		"      --limit N          rows per table in top/leaks (default 20, 0 = all)\n"
		"      --stacks           events: keep id stacks and callers (if recorded)\n"
		"  -q, --quiet            no notes on stderr\n"
		"  -h, --help             this help\n"
		"\n"
		"Examples:\n"
		"  asyncscope report app.asr\n"
		"  asyncscope report app.asr --view top --limit 0\n"
		"  asyncscope report app.asr --view leaks --format json | jq '.groups[0]'\n"
		"  asyncscope report app.asr --format html -o app.html\n"
		"  asyncscope report app.asr --format folded | flamegraph.pl > app.svg\n"
		"  asyncscope report app.asr --format jsonl > events.jsonl\n");
}

#define LIVE_VIEW_USAGE(name, what)                                                                \
	static void name##_usage(FILE *out)                                                        \
	{                                                                                          \
		fprintf(out, "Usage: asyncscope " #name                                            \
			     " (-p PID | -- COMMAND [ARGS...] | --input FILE) [OPTIONS]\n"         \
			     "\n" what "\n"                                                        \
			     "\n"                                                                  \
			     "Options:\n"                                                          \
			     "  -p, --pid PID          capture live from a running node or libuv " \
			     "process\n"                                                           \
			     "      --input FILE       read a capture (.asr or JSON Lines)\n"      \
			     "  -d, --duration D       live capture length\n"                      \
			     "      --format F         text (default) or json\n"                   \
			     "      --limit N          rows per table (default 20, 0 = all)\n"     \
			     "  -o, --output FILE      write to FILE instead of "                  \
			     "stdout\n" TARGET_LAYER_HELP                                          \
			     "  -q, --quiet            no notes on stderr\n"                       \
			     "  -h, --help             this help\n"                                \
			     "\n"                                                                  \
			     "Examples:\n"                                                         \
			     "  sudo asyncscope " #name " -p 4242 -d 10s\n"                        \
			     "  asyncscope " #name " --input app.asr --format json\n");            \
	}

LIVE_VIEW_USAGE(top, "Types and creation paths (the chain of types a resource was created\n"
		     "under) by total callback time, with counts, callback time and queue\n"
		     "delay (init to first callback) percentiles.")
LIVE_VIEW_USAGE(leaks, "Resources still alive at the end of the capture, grouped by type and\n"
		       "creation path, with their count and age.")
LIVE_VIEW_USAGE(stats, "What a capture holds: the target, events per kind, resources per\n"
		       "layer and thread, and everything that was not seen (lost events, ...).")

struct report_args {
	enum view view;
	bool view_fixed; /* top/leaks/stats commands */
	unsigned int limit;
	bool stacks;
};

enum { OPT_VIEW = 7000, OPT_LIMIT, OPT_STACKS };

/* The text timeline view: 10 characters wider than the timeline command's
 * TIMELINE_WIDTH, as it always was (the golden outputs hold it). */
#define REPORT_TIMELINE_WIDTH 60

static int report_opt(int opt, const char *arg, void *ctx)
{
	struct report_args *a = ctx;
	char *end;

	switch (opt) {
	case OPT_VIEW:
		for (size_t v = 0; v < sizeof(view_names) / sizeof(view_names[0]); v++)
			if (!strcmp(arg, view_names[v]) && !a->view_fixed) {
				a->view = v;
				return -1;
			}
		elog("report: unknown --view '%s' (summary, stats, top, leaks, tree, timeline, "
		     "events)",
		     arg);
		return EXIT_USAGE;
	case OPT_LIMIT:
		errno = 0;
		a->limit = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-') {
			elog("invalid --limit '%s'", arg);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_STACKS:
		a->stacks = true;
		return -1;
	}
	return EXIT_USAGE;
}

/* Feeds the models and, for the events view, the JSONL writer, in one pass. */
struct report_sink {
	struct model *model;
	struct timeline *timeline;
	FILE *events_out;	  /* events view: written as read */
	struct exec_context *ctx; /* events view: rejections with their context, as trace writes */
	bool stacks;
	uint64_t written, counts[EV_KIND_COUNT];
};

static int report_event(void *ctx, const struct event *e)
{
	struct report_sink *s = ctx;
	struct event plain, with_ctx;

	s->written++;
	s->counts[e->kind]++;
	if (s->events_out) {
		if (!s->stacks)
			e = event_plain(e, &plain);
		jsonl_write_event(s->events_out, exec_context_add(s->ctx, e, &with_ctx));
		return 0;
	}
	model_add_event(s->model, e);
	timeline_add_event(s->timeline, e);
	return 0;
}

static bool format_ok(enum view v, const char *f)
{
	for (int i = 0; i < 6 && view_formats[v][i]; i++)
		if (!strcmp(view_formats[v][i], f))
			return true;
	return false;
}

static int run_view(int argc, char **argv, const char *cmd, enum view fixed, bool file_first,
		    void (*usage)(FILE *))
{
	static const struct option extra[] = {
		{"view", required_argument, NULL, OPT_VIEW},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"stacks", no_argument, NULL, OPT_STACKS},
		{0},
	};
	struct report_args a = {.view = fixed, .view_fixed = fixed != VIEW_SUMMARY, .limit = 20};
	struct session_opts so = {.ringbuf_bytes = SESSION_RINGBUF_BYTES};
	struct capture_summary summary = {0};
	struct capture_meta meta = {0};
	struct report_sink rs = {0};
	struct model_stats stats = {0};
	const char *output = NULL, *input = NULL, *format = NULL;
	struct target_opts_spec spec = {
		.cmd = cmd,
		.output = &output,
		.input = &input,
		.format = &format,
		.extra = extra,
		.extra_fn = report_opt,
		.ctx = &a,
		.usage = usage,
		.target_optional = file_first,
		.input_operand = file_first,
	};
	struct report_input ri;
	FILE *out = NULL;
	int status, err = 0;

	status = parse_target_opts(argc, argv, &spec, &so);
	if (status >= 0)
		return status;
	if (file_first && (!input || !*input)) {
		elog("report: which capture? asyncscope report FILE (see report --help)");
		return EXIT_USAGE;
	}
	if (!format)
		format = view_formats[a.view][0];
	/* html, jsonl, folded and chrome name their view */
	if (a.view == VIEW_SUMMARY && strcmp(format, "text"))
		a.view = !strcmp(format, "jsonl")  ? VIEW_EVENTS :
			 !strcmp(format, "chrome") ? VIEW_TIMELINE :
			 !strcmp(format, "json")   ? VIEW_STATS :
						     VIEW_TREE;
	if (!format_ok(a.view, format)) {
		elog("%s: --format %s does not go with the %s view", cmd, format,
		     view_names[a.view]);
		return EXIT_USAGE;
	}
	so.with_stacks = a.stacks;
	out = open_output(output);
	if (!out)
		return EXIT_FAIL;
	rs.stacks = a.stacks;
	if (a.view == VIEW_EVENTS) {
		rs.events_out = out;
		rs.ctx = exec_context_new();
	} else {
		rs.model = model_new();
		rs.timeline = timeline_new();
		if (!rs.model || !rs.timeline) {
			status = EXIT_FAIL;
			goto out;
		}
	}
	so.sink = (struct event_sink){.on_event = report_event, .ctx = &rs};
	status = collect_events_meta(&so, input, &summary, &meta);
	if (status != EXIT_OK)
		goto out;
	if (!summary.seen) {
		/* a capture cut short has no summary: count what it holds */
		summary.events = rs.written;
		memcpy(summary.counts, rs.counts, sizeof(summary.counts));
	}
	if (a.view == VIEW_EVENTS) {
		/* the counts of what was written, as trace does */
		summary.events = rs.written;
		memcpy(summary.counts, rs.counts, sizeof(summary.counts));
		jsonl_write_summary(out, &summary);
		goto close;
	}
	model_finish(rs.model);
	timeline_finish(rs.timeline);
	if (model_stats_compute(rs.model, &stats)) {
		status = EXIT_FAIL;
		goto out;
	}
	ri = (struct report_input){&stats, &summary, meta.exe[0] || meta.pid ? &meta : NULL};
	if (!strcmp(format, "html")) {
		err = html_report_write(out, rs.model, rs.timeline, &ri, input ? input : "live");
		goto close;
	}
	switch (a.view) {
	case VIEW_SUMMARY:
		report_print_stats_text(out, &ri);
		fputc('\n', out);
		report_print_top_text(out, &ri, a.limit < 10 && a.limit ? a.limit : 10);
		fputc('\n', out);
		report_print_leaks_text(out, &ri, a.limit < 10 && a.limit ? a.limit : 10);
		break;
	case VIEW_STATS:
		if (!strcmp(format, "json"))
			report_print_stats_json(out, &ri);
		else
			report_print_stats_text(out, &ri);
		break;
	case VIEW_TOP:
		if (!strcmp(format, "json"))
			report_print_top_json(out, &ri, a.limit);
		else
			report_print_top_text(out, &ri, a.limit);
		break;
	case VIEW_LEAKS:
		if (!strcmp(format, "json"))
			report_print_leaks_json(out, &ri, a.limit);
		else
			report_print_leaks_text(out, &ri, a.limit);
		break;
	case VIEW_TREE: {
		struct tree_opts to = {.max_children = TREE_MAX_CHILDREN,
				       .max_depth = TREE_MAX_DEPTH,
				       .summary = &summary};

		if (!strcmp(format, "folded"))
			report_print_folded(out, rs.model);
		else if (!strcmp(format, "json"))
			tree_print_json(out, rs.model, &to);
		else
			tree_print_text(out, rs.model, &to);
		break;
	}
	case VIEW_TIMELINE: {
		struct timeline_opts tlo = {.limit = TIMELINE_LIMIT,
					    .width = REPORT_TIMELINE_WIDTH};

		if (!strcmp(format, "chrome"))
			timeline_print_chrome(out, rs.timeline);
		else
			timeline_print_text(out, rs.timeline, &tlo);
		break;
	}
	case VIEW_EVENTS:
		break;
	}
close:
	status = close_output(out, output, err);
	out = NULL;
out:
	if (out)
		safe_output_close(out);
	model_stats_free(&stats);
	model_free(rs.model);
	timeline_free(rs.timeline);
	exec_context_free(rs.ctx);
	capture_meta_free(&meta);
	return status;
}

int do_report(int argc, char **argv)
{
	return run_view(argc, argv, "report", VIEW_SUMMARY, true, report_usage);
}

int do_top(int argc, char **argv)
{
	return run_view(argc, argv, "top", VIEW_TOP, false, top_usage);
}

int do_leaks(int argc, char **argv)
{
	return run_view(argc, argv, "leaks", VIEW_LEAKS, false, leaks_usage);
}

int do_stats(int argc, char **argv)
{
	return run_view(argc, argv, "stats", VIEW_STATS, false, stats_usage);
}
