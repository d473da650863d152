/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The subcommands; each lives in cmd_<name>.c and returns the exit status. */
#ifndef __ASYNCSCOPE_CMD_H
#define __ASYNCSCOPE_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/exit_status.h"

int do_trace(int argc, char **argv);
int do_record(int argc, char **argv);
int do_report(int argc, char **argv);
int do_top(int argc, char **argv);
int do_leaks(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_ci(int argc, char **argv);
int do_tree(int argc, char **argv);
int do_doctor(int argc, char **argv);
int do_timeline(int argc, char **argv);
int do_daemon(int argc, char **argv);

/* "10s", "500ms", "2m", "1.5s" or a bare number of seconds -> ns; -EINVAL if malformed. */
int parse_duration(const char *arg, uint64_t *ns);

/* Help text for the options every live command shares, in the usage's columns. */
#define TARGET_LAYER_HELP                                                                  \
	"      --js MODE          JS-only resources (Timeout, Immediate, TickObject,\n"    \
	"                         PROMISE, ...): default = those native events see;\n"     \
	"                         exact = every one, via hardware watchpoints (slower);\n" \
	"                         off = native resources only\n"                           \
	"      --layers L         node, uv or node,uv (default: node for node, uv for\n"   \
	"                         any other program using libuv)\n"                        \
	"      --no-follow        -- COMMAND: trace the command only, not the node\n"      \
	"                         processes it starts (followed by default)\n"             \
	"      --ringbuf-size N   ring buffer bytes, a power of two from 4K to 2G\n"       \
	"                         (default 16M; raise if events are lost)\n"

struct option;
struct session_opts;

/* What a live command accepts besides the shared target options. */
struct target_opts_spec {
	const char *cmd;	    /* for messages: "trace" */
	const char **output;	    /* -o, or NULL if the command has none */
	const char **input;	    /* --input, or NULL */
	const char **format;	    /* --format, or NULL */
	const struct option *extra; /* more long options, ended by a zero entry */
	/* handles an extra option: -1 to go on, or an exit status */
	int (*extra_fn)(int opt, const char *arg, void *ctx);
	void *ctx;
	void (*usage)(FILE *out);
	bool target_optional; /* the command's own options can name the target */
	bool input_operand;   /* a lone operand is the input file (report FILE) */
};

/*
 * Parses the options the live commands share (-p, -o, -d, --ringbuf-size,
 * -q, -h, --input, --format, -- COMMAND) into so. Returns -1 when the
 * command should go on, or an exit status (help printed, usage error).
 */
int parse_target_opts(int argc, char **argv, const struct target_opts_spec *spec,
		      struct session_opts *so);

struct capture_summary;
struct event_sink;
/*
 * Reads a saved capture, .asr or JSON Lines (told apart by the first byte),
 * into sink. 0, or < 0 with err saying why (file name first). err also
 * carries a note when the capture ends without its summary.
 */
int read_capture(FILE *f, const char *name, const struct event_sink *sink,
		 struct capture_summary *summary, char *err, size_t err_cap);
/* The one warning line for a capture read whole (ret 0) but unfinished, if it is. */
void warn_unfinished_capture(const char *name, const struct capture_summary *summary,
			     const char *err);
struct capture_meta;
/* The same, also filling meta from an .asr header (zeroed for JSON Lines). */
int read_capture_meta(FILE *f, const char *name, const struct event_sink *sink,
		      struct capture_summary *summary, struct capture_meta *meta, char *err,
		      size_t err_cap);
/*
 * Feeds so->sink from a saved capture (input, "-" for stdin) or, when input
 * is empty, from a live session. Returns an exit status, having said why
 * on stderr when it is not EXIT_OK.
 */
int collect_events(const struct session_opts *so, const char *input,
		   struct capture_summary *summary);
/* The same, and what the target was (meta, when known; capture_meta_free it). */
int collect_events_meta(const struct session_opts *so, const char *input,
			struct capture_summary *summary, struct capture_meta *meta);

/*
 * An output file through safe_output_open(): a symbolic link, or a file
 * another user could have planted, is refused. NULL (after saying why in
 * one line) if it cannot or must not be written.
 */
FILE *open_output_file(const char *path);
/* The same, or stdout for NULL or "-". */
FILE *open_output(const char *output);
/*
 * Flushes and closes out (from open_output*). err is a failure met while
 * writing it, 0 if none. EXIT_FAIL after one line naming path (NULL or "-"
 * is stdout) if either failed, else EXIT_OK.
 */
int close_output(FILE *out, const char *path, int err);

#endif /* __ASYNCSCOPE_CMD_H */
