/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A live capture: find the target (a pid, or a command started here and
 * held before exec), resolve its binary, attach, drain events into a sink
 * until Ctrl-C / SIGTERM / --duration / target exit, detach.
 */
#ifndef __ASYNCSCOPE_SESSION_H
#define __ASYNCSCOPE_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/maps.h"
#include "event/event.h"
#include "resolve/layout_cache.h"
#include "resolve/resolve_node.h"
#include "resolve/resolve_uv.h"

enum js_mode {
	JS_DEFAULT = 0, /* JS-only resources inferred from the id stacks of native events */
	JS_OFF,		/* native resources only */
	JS_EXACT,	/* every JS context switch and id allocation (hardware watchpoints) */
};

enum layer_bits {
	LAYER_BIT_NODE = 1 << 0,
	LAYER_BIT_UV = 1 << 1,
};

struct session_result;

/* The ring buffer of a live capture unless --ringbuf-size says otherwise. */
#define SESSION_RINGBUF_BYTES (16 << 20)
/* How long a started command is still observed after asyncscope passed it
 * a signal; then it is killed (SIGKILL), and the capture fails. */
#define SESSION_GRACE_NS 5000000000ULL

#define SESSION_MAX_PIDS 64

struct session_opts {
	pid_t pid; /* attach to this process, or */
	/* more -p processes, node running the same binary as pid's: they are
	 * followed as a command's tree is (live/follow.h) */
	pid_t also[SESSION_MAX_PIDS - 1];
	unsigned int nalso;
	char **argv;	      /* start this command (argv[0] looked up in PATH) */
	uint64_t duration_ns; /* 0: until interrupted or the target exits */
	size_t ringbuf_bytes;
	struct event_sink sink;
	bool quiet;	     /* no "attached" / "detached" notes on stderr */
	bool with_stacks;    /* carry the async id stack on every node event */
	bool js_stacks;	     /* the JS frames at every node init (js_stack) */
	enum js_mode js;     /* the JS layer */
	unsigned int layers; /* enum layer_bits; 0: node for node, uv for other libuv programs */
	/* argv: trace the command only; by default every node process of its
	 * tree is followed (live/follow.h) */
	bool no_follow;
	/* called once the probes are in, before any event is delivered (and
	 * before a started command runs); non-zero aborts the capture, the
	 * callback having said why */
	int (*on_attached)(void *ctx, const struct session_result *r);
	void *attached_ctx;
};

struct session_result {
	struct capture_summary summary;
	struct probe_stats stats;
	struct node_layout layout;
	struct uv_layout uv;
	bool is_node, node_on, uv_on;
	bool following;		/* argv: the command's whole tree (live/follow.h) */
	enum cache_state cache; /* how the layout was obtained */
	pid_t pid;		/* the traced process */
	char binary[PATH_MAX];	/* its executable, as asyncscope opened it */
	bool target_exited;
	int target_status;     /* wait status of a started command */
	int probe_failure_err; /* the first reason of summary.uv_probe_failures (-errno) */
};

/* Runs the capture. 0, or -errno having printed a one-line reason on
 * stderr; the errno says what kind of failure (see lib/exit_status.h). */
int session_run(const struct session_opts *o, struct session_result *r);

/* Exit status a started command's wait status maps to (128+signal). */
int session_command_exit_code(const struct session_result *r);

/* Prints the probe counters that are not zero, as warnings. */
void session_report_stats(const struct session_result *r);

#endif /* __ASYNCSCOPE_SESSION_H */
