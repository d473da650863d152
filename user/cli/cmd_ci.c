// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * asyncscope ci run -o summary.json [--repeat N] [--record FILE] -- CMD...
 * asyncscope ci compare BASE.json HEAD.json [--budget FILE] [--format F] [--junit FILE]
 *
 * For a CI job: run a test suite or benchmark under observation and keep a
 * summary of its async behaviour; compare two summaries against a budget
 * and fail the build when it is exceeded.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "event/capture.h"
#include "live/capture_meta.h"
#include "model/ci_budget.h"
#include "model/ci_summary.h"
#include "cli/cmd.h"
#include "lib/log.h"
#include "lib/safe_output.h"
#include "model/model_stats.h"
#include "model/model_tree.h"
#include "out/out_ci.h"
#include "live/session.h"

#define MAX_REPEAT 50

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: asyncscope ci run -o SUMMARY.json [OPTIONS] -- COMMAND [ARGS...]\n"
		"       asyncscope ci compare BASE.json HEAD.json [--budget FILE] [OPTIONS]\n"
		"\n"
		"For CI jobs. 'ci run' runs COMMAND (a test suite, a benchmark) under\n"
		"observation and writes a summary of its async behaviour: per type, count,\n"
		"callbacks and callback time, queue delay and lifetime percentiles; resources\n"
		"alive at exit by type and creation path; the longest callback and its trigger\n"
		"chain; the deepest trigger chain; lost events. It exits with COMMAND's status\n"
		"(unless --ignore-exit). 'ci compare' prints what changed from BASE to HEAD\n"
		"and exits 1 when HEAD exceeds the budget.\n"
		"\n"
		"ci run options:\n"
		"  -o, --output FILE      the summary (default stdout)\n"
		"      --repeat N         run N times; every figure is the median of the runs\n"
		"      --record FILE      also keep the (first) run's events as a capture\n"
		"      --input FILE       summarize a capture (.asr or JSONL) instead of running\n"
		"      --ignore-exit      exit 0 even when COMMAND fails\n" TARGET_LAYER_HELP
		"  -q, --quiet            no progress notes on stderr\n"
		"\n"
		"ci compare options:\n"
		"      --budget FILE      rules, one a line:  metric: limit\n"
		"                           count.FSREQCALLBACK: +5%%   (at most 5%% over base)\n"
		"                           p95.queue_delay: +2ms      (at most 2 ms over base)\n"
		"                           leaks: 0                   (at most 0)\n"
		"                           max_callback: 50ms\n"
		"                           count.*: +10%%              ('*' matches anything)\n"
		"      --format F         text (default) or markdown (for a PR comment)\n"
		"      --junit FILE       also write the checks as JUnit XML\n"
		"      --changes N        list up to N changes without a rule (default 20)\n"
		"      --allow-mismatch   compare summaries of different commands or node "
		"versions\n"
		"  -o, --output FILE      write the report to FILE instead of stdout\n"
		"\n"
		"Metrics: events, lost, resources, leaks, max_depth, max_callback, callbacks;\n"
		"p50/p95/p99 of callback, queue_delay, lifetime (all resources); per TYPE:\n"
		"count.TYPE, callbacks.TYPE, leaks.TYPE, total.callback.TYPE and\n"
		"p50/p95/p99/max of callback.TYPE, queue_delay.TYPE, lifetime.TYPE. Times\n"
		"are ns in the summary; budgets take ns, us, ms or s.\n"
		"\n"
		"Exit status: compare: 0 within budget, 1 budget exceeded; run: COMMAND's own\n"
		"status; both: 2 usage, 6 unreadable or mismatched summary, bad budget file.\n"
		"\n"
		"Examples:\n"
		"  sudo asyncscope ci run -o base.json --repeat 3 -- node test/bench.js\n"
		"  asyncscope ci compare base.json head.json --budget .asyncscope-budget\n"
		"  asyncscope ci compare base.json head.json --budget b.txt --format markdown "
		"--junit ci.xml\n");
}

/* ---- ci run ------------------------------------------------------------- */

struct run_sink {
	struct model *m;
	struct capture_summary counted;
	const struct session_opts *so;
	struct capture_meta meta;
	/* --record, first run only */
	const char *record_path;
	FILE *record_file;
	struct capture_writer *record;
	int record_err; /* closing the capture failed: said with the file's close */
};

static int run_event(void *ctx, const struct event *e)
{
	struct run_sink *s = ctx;
	struct event plain;

	model_add_event(s->m, e);
	s->counted.events++;
	s->counted.counts[e->kind]++;
	if (s->record)
		capture_writer_event(s->record, event_plain(e, &plain));
	return 0;
}

static int run_attached(void *ctx, const struct session_result *r)
{
	struct run_sink *s = ctx;

	capture_meta_from_session(s->so, r, &s->meta);
	if (!s->record_file)
		return 0;
	return capture_start_for_session(s->record_file, s->record_path, s->so, r, &s->record);
}

/* One observed run into a summary; the command's exit code in *code. */
static int observe_once(struct session_opts *so, struct run_sink *s, struct ci_summary *out,
			int *code)
{
	struct session_result *res = calloc(1, sizeof(*res));
	struct model_stats st;
	int status;

	if (!res)
		return EXIT_FAIL;
	memset(&s->counted, 0, sizeof(s->counted)); /* per run */
	s->m = model_new();
	if (!s->m) {
		free(res);
		return EXIT_FAIL;
	}
	so->sink = (struct event_sink){.on_event = run_event, .ctx = s};
	so->on_attached = run_attached;
	so->attached_ctx = s;
	status = exit_status_of(session_run(so, res));
	if (status == EXIT_OK) {
		res->summary.events = s->counted.events;
		memcpy(res->summary.counts, s->counted.counts, sizeof(res->summary.counts));
		session_report_stats(res);
		if (s->record && (s->record_err = capture_writer_close(s->record, &res->summary)))
			status = EXIT_FAIL;
		s->record = NULL;
	}
	*code = res->target_exited ? session_command_exit_code(res) : 0;
	if (status == EXIT_OK) {
		model_finish(s->m);
		if (model_stats_compute(s->m, &st)) {
			status = EXIT_FAIL;
		} else {
			if (ci_summary_from_run(s->m, &st, &res->summary, &s->meta, out))
				status = EXIT_FAIL;
			model_stats_free(&st);
		}
	}
	capture_writer_free(s->record);
	s->record = NULL;
	model_free(s->m);
	s->m = NULL;
	free(res);
	return status;
}

/* --input: a saved capture instead of a run */
static int summarize_capture(const char *input, struct ci_summary *out)
{
	struct session_opts so = {0};
	struct capture_summary cs = {0};
	struct capture_meta meta = {0};
	struct model_stats st;
	struct model *m = model_new();
	int status;

	if (!m)
		return EXIT_FAIL;
	so.sink = model_sink(m);
	status = collect_events_meta(&so, input, &cs, &meta);
	if (status == EXIT_OK) {
		model_finish(m);
		if (model_stats_compute(m, &st)) {
			status = EXIT_FAIL;
		} else {
			if (ci_summary_from_run(m, &st, &cs, &meta, out))
				status = EXIT_FAIL;
			model_stats_free(&st);
		}
	}
	capture_meta_free(&meta);
	model_free(m);
	return status;
}

enum { OPT_REPEAT = 5000, OPT_RECORD, OPT_IGNORE_EXIT };

struct run_args {
	unsigned long repeat;
	const char *record;
	bool ignore_exit;
};

static int run_opt(int opt, const char *arg, void *ctx)
{
	struct run_args *a = ctx;
	char *end;

	switch (opt) {
	case OPT_REPEAT:
		errno = 0;
		a->repeat = strtoul(arg, &end, 10);
		if (errno || *end || a->repeat < 1 || a->repeat > MAX_REPEAT) {
			elog("ci run: --repeat takes 1..%d (not '%s')", MAX_REPEAT, arg);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_RECORD:
		a->record = arg;
		return -1;
	case OPT_IGNORE_EXIT:
		a->ignore_exit = true;
		return -1;
	}
	return EXIT_USAGE;
}

static int ci_run(int argc, char **argv)
{
	static const struct option extra[] = {
		{"repeat", required_argument, NULL, OPT_REPEAT},
		{"record", required_argument, NULL, OPT_RECORD},
		{"ignore-exit", no_argument, NULL, OPT_IGNORE_EXIT},
		{0},
	};
	struct run_args a = {.repeat = 1};
	struct session_opts so = {.ringbuf_bytes = SESSION_RINGBUF_BYTES};
	const char *output = NULL, *input = NULL;
	struct target_opts_spec spec = {
		.cmd = "ci run",
		.output = &output,
		.input = &input,
		.extra = extra,
		.extra_fn = run_opt,
		.ctx = &a,
		.usage = usage,
	};
	struct ci_summary runs[MAX_REPEAT], merged;
	struct run_sink sink = {.so = &so};
	size_t done = 0;
	int status, err, code = 0, first_code = 0;
	FILE *out;

	status = parse_target_opts(argc, argv, &spec, &so);
	if (status >= 0)
		return status;
	if (so.pid) {
		elog("ci run: give the command to run after -- (a CI run observes it whole)");
		return EXIT_USAGE;
	}
	if (input && *input && (a.repeat > 1 || a.record)) {
		elog("ci run: --input summarizes one capture: no --repeat or --record");
		return EXIT_USAGE;
	}
	/* the outputs before the runs: a refused file leaves nothing attached */
	out = open_output(output);
	if (!out)
		return EXIT_FAIL;
	if (a.record) {
		sink.record_path = a.record;
		sink.record_file = open_output_file(a.record);
		if (!sink.record_file) {
			safe_output_close(out);
			return EXIT_FAIL;
		}
	}
	if (input && *input) {
		status = summarize_capture(input, &runs[0]);
		done = status == EXIT_OK;
	}
	for (size_t i = 0; !(input && *input) && i < a.repeat; i++) {
		status = observe_once(&so, &sink, &runs[i], &code);
		capture_meta_free(&sink.meta);
		if (sink.record_file) {
			/* only the first run is recorded */
			if (close_output(sink.record_file, a.record, sink.record_err) != EXIT_OK)
				status = EXIT_FAIL;
			sink.record_file = NULL;
		}
		if (status != EXIT_OK)
			break;
		done++;
		if (!first_code)
			first_code = code;
		runs[i].exit_status = code;
		if (!so.quiet)
			ilog("ci run: run %zu/%lu: %llu events, command exited %d", i + 1, a.repeat,
			     (unsigned long long)ci_values_find(&runs[i].metrics, "events")->value,
			     code);
	}
	if (sink.record_file)
		safe_output_close(sink.record_file);
	if (status == EXIT_OK && ci_summary_median(runs, done, &merged))
		status = EXIT_FAIL;
	for (size_t i = 0; i < done; i++)
		ci_summary_free(&runs[i]);
	if (status != EXIT_OK) {
		safe_output_close(out);
		return status;
	}
	err = ci_summary_write_json(out, &merged);
	ci_summary_free(&merged);
	if (close_output(out, output, err) != EXIT_OK)
		return EXIT_FAIL;
	if (status == EXIT_OK && first_code && !a.ignore_exit) {
		wlog("ci run: the command exited %d (the summary was written; --ignore-exit "
		     "exits 0)",
		     first_code);
		return first_code;
	}
	return status;
}

/* ---- ci compare --------------------------------------------------------- */

static int read_summary(const char *path, struct ci_summary *s)
{
	char err[512];
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		elog("cannot read %s: %s", path, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	ret = ci_summary_read_json(f, path, s, err, sizeof(err));
	fclose(f);
	if (ret) {
		elog("%s", err);
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

/* Summaries of different programs or node builds do not compare. */
static int check_same_run(const struct ci_summary *b, const struct ci_summary *h, const char *bn,
			  const char *hn)
{
	static const struct {
		const char *what;
		size_t off;
	} fields[] = {
		{"command", offsetof(struct ci_summary, command)},
		{"node version", offsetof(struct ci_summary, node_version)},
		{"layers", offsetof(struct ci_summary, layers)},
		{"JS mode", offsetof(struct ci_summary, js_mode)},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *x = (const char *)b + fields[i].off,
			   *y = (const char *)h + fields[i].off;

		if (strcmp(x, y)) {
			elog("ci compare: %s and %s come from different runs: %s '%s' vs '%s' "
			     "(--allow-mismatch compares them anyway)",
			     bn, hn, fields[i].what, x, y);
			return EXIT_BAD_INPUT;
		}
	}
	return EXIT_OK;
}

enum { OPT_BUDGET = 5100, OPT_FORMAT, OPT_JUNIT, OPT_CHANGES, OPT_ALLOW_MISMATCH };

static int ci_compare_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{"budget", required_argument, NULL, OPT_BUDGET},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"junit", required_argument, NULL, OPT_JUNIT},
		{"changes", required_argument, NULL, OPT_CHANGES},
		{"allow-mismatch", no_argument, NULL, OPT_ALLOW_MISMATCH},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *budget_path = NULL, *format = "text", *junit = NULL, *output = NULL;
	const char *files[2];
	size_t nfiles = 0;
	unsigned long changes = 20;
	bool allow_mismatch = false;
	struct ci_summary base = {0}, head = {0};
	struct ci_budget budget = {0};
	struct ci_result result = {0};
	struct ci_report rep;
	FILE *out = NULL;
	char *end;
	int opt, status;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_BUDGET:
			budget_path = optarg;
			break;
		case OPT_FORMAT:
			format = optarg;
			if (strcmp(format, "text") && strcmp(format, "markdown")) {
				elog("ci compare: --format takes text or markdown (not '%s')",
				     format);
				return EXIT_USAGE;
			}
			break;
		case OPT_JUNIT:
			junit = optarg;
			break;
		case OPT_CHANGES:
			errno = 0;
			changes = strtoul(optarg, &end, 10);
			if (errno || *end) {
				elog("ci compare: --changes takes a number (not '%s')", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_ALLOW_MISMATCH:
			allow_mismatch = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			elog("ci compare: unknown option or missing value '%s' (see ci --help)",
			     argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	for (; optind < argc; optind++) {
		if (nfiles == 2) {
			elog("ci compare: takes two summaries, BASE and HEAD (got '%s' too)",
			     argv[optind]);
			return EXIT_USAGE;
		}
		files[nfiles++] = argv[optind];
	}
	if (nfiles != 2) {
		elog("ci compare: which summaries? asyncscope ci compare BASE.json HEAD.json");
		return EXIT_USAGE;
	}
	status = read_summary(files[0], &base);
	status = status ?: read_summary(files[1], &head);
	if (!status && !allow_mismatch)
		status = check_same_run(&base, &head, files[0], files[1]);
	if (!status && budget_path) {
		char err[512];
		FILE *f = fopen(budget_path, "re");

		if (!f) {
			elog("cannot read %s: %s", budget_path, strerror(errno));
			status = EXIT_BAD_INPUT;
		} else {
			if (ci_budget_parse(f, budget_path, &budget, err, sizeof(err))) {
				elog("%s", err);
				status = EXIT_BAD_INPUT;
			} else if (!budget.n) {
				wlog("%s has only comments, no rules: no budget check can fail "
				     "(the CI gate is open)",
				     budget_path);
			}
			fclose(f);
		}
	}
	if (status)
		goto out;
	if (ci_compare(&base, &head, &budget, &result)) {
		status = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < budget.n; i++)
		if (!budget.rules[i].matched)
			wlog("%s:%u: '%s' matches no metric of either summary (misspelt?)",
			     budget_path, budget.rules[i].line, budget.rules[i].pattern);
	rep = (struct ci_report){files[0], files[1], budget_path, &base, &head, &result, changes};
	out = open_output(output);
	if (!out) {
		status = EXIT_FAIL;
		goto out;
	}
	if (!strcmp(format, "markdown"))
		ci_print_markdown(out, &rep);
	else
		ci_print_text(out, &rep);
	if (close_output(out, output, 0) != EXIT_OK) {
		status = EXIT_FAIL;
		goto out;
	}
	if (junit) {
		FILE *j = open_output_file(junit);

		if (!j) {
			status = EXIT_FAIL;
			goto out;
		}
		ci_print_junit(j, &rep);
		if (close_output(j, junit, 0) != EXIT_OK) {
			status = EXIT_FAIL;
			goto out;
		}
	}
	status = result.nfailed ? EXIT_FAIL : EXIT_OK;
out:
	ci_result_free(&result);
	ci_budget_free(&budget);
	ci_summary_free(&base);
	ci_summary_free(&head);
	return status;
}

int do_ci(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "run"))
		return ci_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "compare"))
		return ci_compare_cmd(argc - 1, argv + 1);
	elog("ci: unknown subcommand '%s' (run or compare; see ci --help)", argv[1]);
	return EXIT_USAGE;
}
