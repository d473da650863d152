/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An event as the model sees it, whether it came from the ring buffer or a
 * saved JSON Lines capture. No libbpf here.
 */
#ifndef __ASYNCSCOPE_EVENT_H
#define __ASYNCSCOPE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"

/*
 * Internal kinds (EV_THREAD_ENV, EV_JS_SWITCH, EV_JS_ALLOC) reuse the fields:
 * exec holds the async_id_fields address (THREAD_ENV), flags the switch
 * direction, stack_depth the id-stack depth.
 */
struct event {
	uint64_t ts_ns;
	uint32_t pid, tid;
	enum ev_kind kind;
	enum ev_layer layer;
	uint32_t flags; /* enum ev_flags */
	uint64_t id;
	uint64_t trigger; /* init (and before) */
	uint64_t exec;	  /* init */
	const char *type; /* init: interned type name, NULL otherwise */
	uint64_t obj;	  /* uv layer: the handle or request address */
	uint64_t link_id; /* uv layer init: async id of the AsyncWrap that owns it, 0 if none */
	uint64_t caller;  /* node before: return address of the scope constructor */
	const char *caller_fn; /* ... and the function it lies in, when known */
	/* microtasks: how many the run did, and when it began (ts_ns: its end);
	 * rejection: begin_ns is when the promise was rejected (unhandled) or
	 * got its handler (handled late), exec and trigger the context then;
	 * ts_ns is when Node's verdict was known; obj is the promise */
	uint64_t count;
	uint64_t begin_ns;
	uint32_t rejection; /* rejection: enum rejection_kind */
	/* rejection, when known: type holds the running resource's type and
	 * path its creation path (interned) */
	const char *path;
	/* node init with --js-stacks: its JS frames as a JSON array (interned) */
	const char *js_stack;
	/* the async id stack at the event, when captured (EVF_STACK) */
	bool has_stack;
	uint64_t cur_exec, cur_trigger; /* the current context */
	uint64_t id_counter;		/* last async id issued */
	uint32_t init_hooks;		/* async_hooks init hooks enabled in the target */
	uint32_t stack_depth;		/* saved pairs in all */
	uint32_t npairs;		/* saved pairs carried: levels depth-npairs .. depth-1 */
	uint64_t pairs[2 * NODE_MAX_STACK];
};

/* Where decoded events go: live capture, file replay and tests share it. */
struct event_sink {
	/* non-zero stops the producer */
	int (*on_event)(void *ctx, const struct event *e);
	/* optional: called after each batch, so live output is not held back */
	void (*flush)(void *ctx);
	void *ctx;
};

/* Counts a capture's summary line carries. */
struct capture_summary {
	uint64_t counts[EV_KIND_COUNT];
	uint64_t events;
	uint64_t lost;	      /* ring-buffer drops */
	uint64_t read_errors; /* probe could not read target memory: event skipped */
	uint64_t bad_ids;
	uint64_t unknown_records;
	/* exact JS mode: threads without watchpoints, and ids issued on watched
	 * threads before their watchpoints were armed (their JS events are missing) */
	uint64_t js_unwatched_threads;
	uint64_t js_ids_before_armed;
	/* uv layer: callbacks that could not be probed (their runs are missing),
	 * and objects registered before their callback's probe was attached that
	 * were never seen running (a run may have happened unseen) */
	uint64_t uv_callbacks_unprobed;
	uint64_t uv_late_unseen;
	/* uv layer: probe sites attached after start that the kernel refused
	 * (the target exiting during the attach, mostly) */
	uint64_t uv_probe_failures;
	/* a command asyncscope started, stopped until its probes were ready
	 * (live/hold.h): stops the guard had to end, stops, time stopped in
	 * all and the longest stop */
	uint64_t hold_timeouts;
	uint64_t holds;
	uint64_t held_ns;
	uint64_t held_max_ns;
	/* trace -- COMMAND: processes of its tree that ran the probed node
	 * binary, and node or libuv ones that did not (each said on stderr) */
	uint64_t processes_followed;
	uint64_t processes_not_followed;
	uint64_t duration_ns;
	uint64_t self_cpu_us;	 /* asyncscope\'s own CPU time (user + system) */
	uint64_t self_maxrss_kb; /* asyncscope\'s peak resident memory */
	bool seen;		 /* a summary line was present (input files) */
};

/* The summary's numbers besides per-kind counts, by the name they are written
 * under (JSONL key, capture trailer field), in output order. */
struct summary_field {
	const char *name;
	size_t offset; /* of a uint64_t in struct capture_summary */
	bool missed;   /* counts what was not seen (else a cost or a duration) */
};
extern const struct summary_field summary_fields[];
extern const int nsummary_fields;
static inline uint64_t *summary_value(struct capture_summary *s, const struct summary_field *f)
{
	return (uint64_t *)((char *)s + f->offset);
}

const char *ev_kind_name(enum ev_kind kind);
/* "unhandled", "handled_late" for enum rejection_kind; NULL if out of range */
const char *rejection_kind_name(uint32_t kind);
uint32_t rejection_kind_from_name(const char *name); /* 0 if unknown */
/* EV_NONE if the name is not an event kind. */
enum ev_kind ev_kind_from_name(const char *name);
const char *ev_layer_name(enum ev_layer layer);
/* "uv_timer", ... for enum uv_obj_type; NULL if out of range */
const char *uv_type_name(uint32_t type);
/* The key a resource is known by in its layer's id space: node and js share
 * Node's asyncIds, the uv layer has ids of its own. */
static inline uint64_t layer_key_id(enum ev_layer layer, uint64_t id)
{
	return layer == LAYER_UV ? id | (1ULL << 62) : id;
}
enum ev_layer ev_layer_from_name(const char *name); /* 0 if unknown */

/*
 * e without its id stack and caller (kept only with --stacks): e itself when
 * it has neither, else a copy in *tmp.
 */
static inline const struct event *event_plain(const struct event *e, struct event *tmp)
{
	if (!e->has_stack && !e->caller)
		return e;
	*tmp = *e;
	tmp->has_stack = false;
	tmp->caller = 0;
	tmp->caller_fn = NULL;
	return tmp;
}

/* Returns a stable copy of s; equal strings give the same pointer. */
const char *intern(const char *s);

#endif /* __ASYNCSCOPE_EVENT_H */
