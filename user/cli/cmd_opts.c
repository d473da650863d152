// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Target options shared by the live commands (trace, tree, doctor). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "event/capture.h"
#include "live/capture_meta.h"
#include "event/jsonl.h"
#include "lib/log.h"
#include "lib/parse_size.h"
#include "lib/safe_output.h"
#include "resolve/proc.h"
#include "live/session.h"

enum { OPT_RINGBUF = 1000, OPT_INPUT, OPT_FORMAT, OPT_JS, OPT_LAYERS, OPT_NO_FOLLOW };

/* --ringbuf-size: the kernel wants a power-of-two multiple of the page size
 * and a 32-bit map size; anything else would be rounded up without a word */
#define RINGBUF_MAX (1ULL << 31)

static bool ringbuf_size_ok(uint64_t size)
{
	uint64_t page = sysconf(_SC_PAGESIZE);

	return size >= page && size <= RINGBUF_MAX && !(size & (size - 1));
}

/* --layers: node, uv or both, comma-separated; an empty name is an error,
 * not the default. 0 or -EINVAL. */
static int parse_layers(const char *arg, unsigned int *out)
{
	unsigned int layers = 0;

	for (const char *p = arg;; p++) {
		size_t len = strcspn(p, ",");

		if (len == 4 && !strncmp(p, "node", 4))
			layers |= LAYER_BIT_NODE;
		else if (len == 2 && !strncmp(p, "uv", 2))
			layers |= LAYER_BIT_UV;
		else
			return -EINVAL;
		p += len;
		if (!*p)
			break;
	}
	*out = layers;
	return 0;
}

int parse_target_opts(int argc, char **argv, const struct target_opts_spec *spec,
		      struct session_opts *so)
{
	const char *cmd = spec->cmd, **output = spec->output, **input = spec->input,
		   **format = spec->format;
	const struct option *extra = spec->extra;
	struct option opts[32] = {
		{"pid", required_argument, NULL, 'p'},
		{"output", required_argument, NULL, 'o'},
		{"duration", required_argument, NULL, 'd'},
		{"ringbuf-size", required_argument, NULL, OPT_RINGBUF},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"input", required_argument, NULL, OPT_INPUT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"js", required_argument, NULL, OPT_JS},
		{"layers", required_argument, NULL, OPT_LAYERS},
		{"no-follow", no_argument, NULL, OPT_NO_FOLLOW},
	};
	int nopts = 11, opt;
	bool have_pid = false;
	uint64_t size;

	for (int i = 0; extra && extra[i].name && nopts < 31; i++)
		opts[nopts++] = extra[i];
	optind = 1;
	opterr = 0;
again:
	while ((opt = getopt_long(argc, argv, "+p:o:d:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': {
			/* several: repeated, or a comma list */
			char *save = NULL, *tok;
			pid_t pid;

			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (proc_parse_pid(tok, &pid)) {
					elog("%s: invalid pid '%s'", cmd, tok);
					return EXIT_USAGE;
				}
				if (!have_pid) {
					so->pid = pid;
				} else if (so->nalso < SESSION_MAX_PIDS - 1) {
					so->also[so->nalso++] = pid;
				} else {
					elog("%s: at most %d -p processes", cmd, SESSION_MAX_PIDS);
					return EXIT_USAGE;
				}
				have_pid = true;
			}
			if (!have_pid) {
				elog("%s: invalid pid '%s'", cmd, optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'o':
			if (!output)
				goto unknown;
			*output = optarg;
			break;
		case 'd':
			if (parse_duration(optarg, &so->duration_ns) || !so->duration_ns) {
				elog("%s: invalid duration '%s' (e.g. 10s, 500ms, 2m)", cmd,
				     optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_RINGBUF:
			if (parse_size(optarg, &size) || !ringbuf_size_ok(size)) {
				elog("%s: invalid --ringbuf-size '%s' (a power of two, 4K..2G, "
				     "e.g. "
				     "64M)",
				     cmd, optarg);
				return EXIT_USAGE;
			}
			so->ringbuf_bytes = size;
			break;
		case 'q':
			so->quiet = true;
			break;
		case 'h':
			spec->usage(stdout);
			return EXIT_OK;
		case OPT_INPUT:
			if (!input)
				goto unknown;
			/* "" would read as no --input at all, and ask for a target */
			if (!*optarg) {
				elog("%s: --input needs a file name ('-' for stdin)", cmd);
				return EXIT_USAGE;
			}
			*input = optarg;
			break;
		case OPT_JS:
			if (!strcmp(optarg, "default"))
				so->js = JS_DEFAULT;
			else if (!strcmp(optarg, "off"))
				so->js = JS_OFF;
			else if (!strcmp(optarg, "exact"))
				so->js = JS_EXACT;
			else {
				elog("%s: --js takes default, off or exact (not '%s')", cmd,
				     optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LAYERS:
			if (parse_layers(optarg, &so->layers)) {
				elog("%s: --layers takes node, uv or node,uv (not '%s')", cmd,
				     optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_NO_FOLLOW:
			so->no_follow = true;
			break;
		case OPT_FORMAT:
			if (!format)
				goto unknown;
			*format = optarg;
			break;
		case '?':
			if (optopt)
				elog("%s: option -%c needs a value or is unknown (see %s --help)",
				     cmd, optopt, cmd);
			else
				elog("%s: unknown option '%s' (see %s --help)", cmd,
				     argv[optind - 1], cmd);
			return EXIT_USAGE;
		case ':':
			elog("%s: option '%s' needs a value", cmd, argv[optind - 1]);
			return EXIT_USAGE;
		default:
			if (spec->extra_fn) {
				int st = spec->extra_fn(opt, optarg, spec->ctx);

				if (st >= 0)
					return st;
				break;
			}
		unknown:
			elog("%s: unknown option '%s' (see %s --help)", cmd, argv[optind - 1], cmd);
			return EXIT_USAGE;
		}
	}
	/* report FILE: one operand, before, between or after the options */
	if (optind < argc && spec->input_operand && input && !(*input && **input) &&
	    strcmp(argv[optind - 1], "--")) {
		*input = argv[optind++];
		goto again;
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--")) {
			elog("%s: unexpected argument '%s' (a command goes after --)", cmd,
			     argv[optind]);
			return EXIT_USAGE;
		}
		so->argv = argv + optind;
	}
	if (have_pid && so->argv) {
		elog("%s: give either -p PID or -- COMMAND, not both", cmd);
		return EXIT_USAGE;
	}
	if (input && *input && **input && (have_pid || so->argv)) {
		elog("%s: --input replays a file; it does not go with -p or a command", cmd);
		return EXIT_USAGE;
	}
	if (!have_pid && !so->argv && !(input && *input && **input) && !spec->target_optional) {
		elog("%s: no target: give -p PID, -- COMMAND%s (see %s --help)", cmd,
		     input ? " or --input FILE" : "", cmd);
		return EXIT_USAGE;
	}
	return -1;
}

int read_capture_meta(FILE *f, const char *name, const struct event_sink *sink,
		      struct capture_summary *summary, struct capture_meta *meta_out, char *err,
		      size_t err_cap)
{
	struct capture_meta meta;
	int c = getc(f), ret;

	if (meta_out)
		memset(meta_out, 0, sizeof(*meta_out));
	if (c == EOF) {
		snprintf(err, err_cap, "%s: empty: not a capture (%s)", name,
			 ferror(f) ? strerror(errno) : "no bytes at all");
		return ferror(f) ? -EIO : -EBADMSG;
	}
	/* a capture file starts with its magic; JSON Lines with '{' */
	ungetc(c, f);
	if (c != CAPTURE_MAGIC[0])
		return jsonl_read(f, name, sink, summary, err, err_cap);
	ret = capture_read(f, sink, &meta, summary, err, err_cap);
	if (meta_out)
		*meta_out = meta;
	else
		capture_meta_free(&meta);
	if (ret < 0) {
		/* prefix the file name, as the JSONL reader does */
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, err_cap, "%s: %s", name, why);
	}
	return ret;
}

void warn_unfinished_capture(const char *name, const struct capture_summary *summary,
			     const char *err)
{
	if (!summary->seen)
		wlog("%s has no summary: the capture may be truncated%s%s", name,
		     err[0] ? ": " : "", err);
	else if (err[0])
		wlog("%s: %s", name, err); /* a JSONL line cut after its summary */
}

int read_capture(FILE *f, const char *name, const struct event_sink *sink,
		 struct capture_summary *summary, char *err, size_t err_cap)
{
	return read_capture_meta(f, name, sink, summary, NULL, err, err_cap);
}

/* A live session tells what the target is once attached. */
struct meta_request {
	const struct session_opts *so;
	struct capture_meta *meta;
};

static int meta_on_attached(void *ctx, const struct session_result *r)
{
	struct meta_request *q = ctx;

	return capture_meta_from_session(q->so, r, q->meta);
}

int collect_events(const struct session_opts *so, const char *input,
		   struct capture_summary *summary)
{
	return collect_events_meta(so, input, summary, NULL);
}

int collect_events_meta(const struct session_opts *so_in, const char *input,
			struct capture_summary *summary, struct capture_meta *meta)
{
	struct session_opts copy = *so_in, *so = &copy;
	struct meta_request q = {so_in, meta};
	struct session_result *res;
	int status;

	if (input && *input) {
		char err[512] = "";
		FILE *f = strcmp(input, "-") ? fopen(input, "re") : stdin;
		int ret;

		if (!f) {
			elog("cannot read %s: %s", input, strerror(errno));
			return EXIT_BAD_INPUT;
		}
		ret = read_capture_meta(f, input, &so->sink, summary, meta, err, sizeof(err));
		if (f != stdin)
			fclose(f);
		if (ret < 0) {
			elog("%s", err);
			return EXIT_BAD_INPUT;
		}
		warn_unfinished_capture(input, summary, err);
		if (summary->lost)
			elog("%s: %llu events were LOST during capture; the result is incomplete",
			     input, (unsigned long long)summary->lost);
		return EXIT_OK;
	}
	res = calloc(1, sizeof(*res));
	if (!res)
		return EXIT_FAIL;
	if (meta) {
		memset(meta, 0, sizeof(*meta));
		so->on_attached = meta_on_attached;
		so->attached_ctx = &q;
	}
	status = exit_status_of(session_run(so, res));
	if (status == EXIT_OK) {
		session_report_stats(res);
		*summary = res->summary;
	}
	free(res);
	return status;
}

FILE *open_output_file(const char *path)
{
	char why[PATH_MAX + 128];
	FILE *f;
	int fd;

	if (safe_output_open(path, 0666, &fd, why, sizeof(why))) {
		elog("%s", why);
		return NULL;
	}
	f = safe_output_stream(fd, true);
	if (!f) {
		elog("cannot write %s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

FILE *open_output(const char *output)
{
	FILE *f;

	if (output && strcmp(output, "-"))
		return open_output_file(output);
	/* stdout too keeps its write errors (see safe_output_stream) */
	f = safe_output_stream(STDOUT_FILENO, false);
	if (!f)
		elog("cannot write stdout: %s", strerror(errno));
	return f;
}

int close_output(FILE *out, const char *path, int err)
{
	int cerr = safe_output_close(out);

	err = cerr ? cerr : err;
	if (err) {
		elog("writing %s: %s", path && strcmp(path, "-") ? path : "stdout", strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
