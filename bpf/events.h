/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one wire format between the BPF programs and user space: ring-buffer
 * records and the layout facts user space hands to BPF before load.
 * Fixed-width fields only, explicit padding, pointers as __u64; the layout is
 * pinned by tests/unit/test_events.c.
 */
#ifndef __ASYNCSCOPE_EVENTS_H
#define __ASYNCSCOPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* X-macro: event kind, its name in the JSON stream. */
#define EV_KIND_LIST(X)          \
	X(EV_INIT, "init")       \
	X(EV_BEFORE, "before")   \
	X(EV_AFTER, "after")     \
	X(EV_DESTROY, "destroy") \
	X(EV_PROMISE_RESOLVE, "promiseResolve")

enum ev_kind {
	EV_NONE = 0,
#define EV_KIND_ENUM(k, name) k,
	EV_KIND_LIST(EV_KIND_ENUM)
#undef EV_KIND_ENUM
		EV_KIND_COUNT,
	/* internal records, consumed before output (JS layer, exact mode) */
	EV_THREAD_ENV = 16, /* a thread's async_id_fields_ address became known */
	EV_JS_SWITCH,	    /* async_id_fields[kTriggerAsyncId] written: a push or pop */
	EV_JS_ALLOC,	    /* async_id_fields[kAsyncIdCounter] written: an id issued */
	EV_UV_NEWCB,	    /* a libuv callback address seen for the first time */
	EV_INTERNAL_MAX,
};

enum ev_layer {
	LAYER_NODE = 1, /* native AsyncWrap resources, Node's own ids */
	LAYER_JS = 2,	/* JS-only resources seen through the id stack */
	LAYER_UV = 3,	/* libuv handles and requests */
};

enum ev_flags {
	/* destroy of the previous id of a wrap that AsyncReset gave a new id */
	EVF_RESET = 1 << 0,
	/* after whose before was never seen (scope opened before attach) */
	EVF_UNMATCHED = 1 << 1,
	/* a struct ev_stack follows the record */
	EVF_STACK = 1 << 2,
	/* before of a scope with no resource (id 0/1): marks a phase of the
	 * event loop for the JS layer; never shown as an event */
	EVF_PHASE = 1 << 3,
	/* a JS-layer event inferred from id stacks, not observed directly: its
	 * type is inferred and its before/after are the first and last moments
	 * it was seen running */
	EVF_INFERRED = 1 << 4,
	/* with EVF_PHASE: V8 runs microtasks (before: starts, after: ends) */
	EVF_MICROTASKS = 1 << 5,
	/* uv init: its callback's probe was not in place yet when it was
	 * registered, so its first callback may have been missed */
	EVF_LATE = 1 << 6,
	/* uv init: made by libuv itself, not by the program */
	EVF_INTERNAL = 1 << 7,
	/* uv init: made before attach; first seen when its callback ran */
	EVF_ADOPTED = 1 << 8,
};

/* Ids Node stores as doubles; decoded to integers in BPF (bpf/double_id.h). */
#define ASYNC_ID_INVALID ((__u64)-1) /* the -1 sentinel, or any negative value */

struct ev_hdr {
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 pid;   /* tgid */
	__u32 tid;
	__u16 kind; /* enum ev_kind */
	__u16 len;  /* size of the whole record */
	__u8 layer; /* enum ev_layer */
	__u8 flags; /* enum ev_flags (the low 8) */
	__u16 pad;
};

/* One record shape serves every node-layer kind; unused fields are 0. */
struct ev_node {
	struct ev_hdr h;
	__u64 id;
	__u64 trigger;	/* init, before */
	__u64 exec;	/* init: executionAsyncId at that moment */
	__u64 env;	/* node::Environment*, tells worker environments apart */
	__u64 wrap;	/* node::AsyncWrap* (init, destroy) */
	__u32 provider; /* init: AsyncWrap::ProviderType */
	__u32 depth;	/* before/after: async id stack depth before the push */
	__u64 caller;	/* before: return address of the scope constructor (the phase) */
};

#define NODE_MAX_STACK 16 /* innermost id-stack pairs carried per event */

/* libuv objects: handle types, then request types (the uv layer's "type"). */
#define UV_TYPE_LIST(X)                      \
	X(UVT_ASYNC, "uv_async")             \
	X(UVT_CHECK, "uv_check")             \
	X(UVT_FS_EVENT, "uv_fs_event")       \
	X(UVT_FS_POLL, "uv_fs_poll")         \
	X(UVT_IDLE, "uv_idle")               \
	X(UVT_PIPE, "uv_pipe")               \
	X(UVT_POLL, "uv_poll")               \
	X(UVT_PREPARE, "uv_prepare")         \
	X(UVT_PROCESS, "uv_process")         \
	X(UVT_TCP, "uv_tcp")                 \
	X(UVT_TIMER, "uv_timer")             \
	X(UVT_TTY, "uv_tty")                 \
	X(UVT_UDP, "uv_udp")                 \
	X(UVT_SIGNAL, "uv_signal")           \
	X(UVT_CONNECT, "uv_connect")         \
	X(UVT_WRITE, "uv_write")             \
	X(UVT_SHUTDOWN, "uv_shutdown")       \
	X(UVT_UDP_SEND, "uv_udp_send")       \
	X(UVT_FS, "uv_fs")                   \
	X(UVT_WORK, "uv_work")               \
	X(UVT_GETADDRINFO, "uv_getaddrinfo") \
	X(UVT_GETNAMEINFO, "uv_getnameinfo") \
	X(UVT_RANDOM, "uv_random")

enum uv_obj_type {
	UVT_NONE = 0,
#define UV_TYPE_ENUM(t, name) t,
	UV_TYPE_LIST(UV_TYPE_ENUM)
#undef UV_TYPE_ENUM
		UVT_COUNT,
	UVT_FIRST_REQ = UVT_CONNECT,
};

/* What a probed libuv API call does (the uv_api program's cookie). */
enum uv_role {
	UVR_INIT = 1, /* a handle is initialised (uv_*_init) */
	UVR_START,    /* a handle gets a callback (uv_timer_start, uv_read_start, ...) */
	UVR_SUBMIT,   /* a request is submitted with its callback */
	UVR_CLOSE,    /* uv_close(handle, close_cb) */
	UVR_SPAWN,    /* uv_spawn: the callback is options->exit_cb */
};

enum uv_obj_flags {
	UVO_CLOSING = 1 << 0,  /* uv_close was called; its close_cb ends it */
	UVO_LATE_CB = 1 << 1,  /* registered before its callback's probe was in place */
	UVO_INTERNAL = 1 << 2, /* made by libuv itself (the loop's own handles) */
	UVO_ADOPTED = 1 << 3,  /* made before attach, first seen in its callback */
};

/*
 * uv layer: a callback's code, named by file so that user space can mark the
 * callbacks it probed up front (by file offset) before any process runs
 * them: the kernel's s_dev (MKDEV: major << 20 | minor), inode, file offset.
 * Code in no file (JIT) has dev = ino = 0, pid and its address.
 */
struct uv_cb_key {
	__u32 dev;
	__u32 pid;
	__u64 ino;
	__u64 off;
};

/* uv_cbs values */
#define UV_CB_REPORTED 1 /* sent to user space, probe not (yet) attached */
#define UV_CB_PROBED   2

/* uv layer records: EV_INIT/BEFORE/AFTER/DESTROY, and EV_UV_NEWCB. */
struct ev_uv {
	struct ev_hdr h;
	__u64 id;      /* asyncscope's id for the handle or request */
	__u64 trigger; /* init: the uv object whose callback was running, 0 if none */
	__u64 obj;     /* the uv_handle_t / uv_req_t address */
	__u64 cb;      /* init: its callback; NEWCB: a callback address to probe */
	__u64 wrap_id; /* node: async id of the AsyncWrap that owns it (handle->data) */
	__u32 type;    /* enum uv_obj_type */
	__u32 flags;   /* enum uv_obj_flags */
};

enum js_switch_dir {
	JS_PUSH = 1,
	JS_POP = 2,
};

/* THREAD_ENV: the process was sent SIGSTOP and waits for user space's SIGCONT */
#define THREAD_ENV_STOPPED 1
/* async_id_fields[kTriggerAsyncId] and [kAsyncIdCounter], the slots exact mode
 * watches: the order of node's AsyncHooks::UidFields enum, the same in every
 * release with async_hooks; the exact-mode e2e test fails if it moves */
#define ASYNC_ID_TRIGGER_OFF 8
#define ASYNC_ID_COUNTER_OFF 16

/* Exact mode: what a hardware watchpoint on async_id_fields saw. */
struct ev_js {
	struct ev_hdr h;
	__u64 id;      /* SWITCH: exec after the write; ALLOC: the id issued;
			* THREAD_ENV: the id counter (double bits) when found */
	__u64 trigger; /* SWITCH: trigger after the write; ALLOC: its default trigger */
	__u64 addr;    /* THREAD_ENV: address of async_id_fields[0] */
	__u32 depth;   /* fields_[kStackLength] when the watchpoint fired */
	__u32 dir;     /* SWITCH: enum js_switch_dir; THREAD_ENV: THREAD_ENV_STOPPED or 0 */
};

/*
 * The async id stack at an event (when stacks are on): the current context
 * (async_id_fields[0..1]) and the innermost saved pairs of async_ids_stack_,
 * as raw double bits (user space decodes them with double_id.h).
 */
struct ev_stack {
	__u64 exec_bits, trigger_bits; /* the current context */
	__u64 counter_bits;	       /* async_id_fields[kAsyncIdCounter]: last id issued */
	__u32 depth;		       /* fields_[kStackLength]: saved pairs in all */
	__u32 npairs;		       /* pairs carried: levels depth-npairs .. depth-1 */
	__u32 init_hooks;	       /* fields_[kInit]: > 0 when promises get ids too */
	__u32 pad;
	__u64 pairs[2 * NODE_MAX_STACK];
};

struct ev_node_stack {
	struct ev_node n;
	struct ev_stack s;
};

/*
 * Where node keeps what we read, derived from the target binary by
 * user/resolve_node.c and written into BPF .rodata before load.
 */
struct node_offsets {
	__u32 wrap_provider;	/* AsyncWrap::provider_type_ (u32) */
	__u32 wrap_async_id;	/* AsyncWrap::async_id_ (double); trigger follows */
	__u32 wrap_realm;	/* BaseObject::realm_ */
	__u32 realm_env;	/* Realm::env_ */
	__u32 env_async_hooks;	/* Environment::async_hooks_ (embedded) */
	__u32 hooks_fields;	/* AsyncHooks: fields_ data pointer (Uint32Array) */
	__u32 hooks_id_fields;	/* AsyncHooks: async_id_fields_ data pointer */
	__u32 hooks_stack;	/* AsyncHooks: async_ids_stack_ data pointer */
	__u32 fields_stack_len; /* byte offset of fields_[kStackLength] */
	__u8 ics_env_arg;	/* ICS env ctor: argument slot of Environment* */
	__u8 ics_ctx_arg;	/* ICS env ctor: argument slot of const async_context& */
	__u8 reset_silent_arg;	/* AsyncReset(..., bool silent): slot, 0 = no such arg */
	__u8 pad;
};

#define NODE_MAX_FRAMES 16 /* native callback scopes tracked per thread */
#define RESET_NEST_MAX	4  /* AsyncReset calls nested through init hooks */
#define UV_MAX_FRAMES	8  /* libuv callbacks nested on one thread */

/* BPF map values (user space sees them through the skeleton). */
/* One callback scope the thread is inside, as seen at its native push. */
struct scope_frame {
	__u64 id;
	__u64 ts_ns;
	__u32 depth; /* async id stack depth before the push */
	__u32 pad;
};

struct thread_state {
	/* AsyncHooks of the environment this thread runs, and the data pointers
	 * of its fields_ and async_id_fields_ buffers: fixed-size typed arrays
	 * that are never reallocated, so they are read once per thread */
	__u64 hooks;
	__u64 fields;
	__u64 id_fields;
	__u32 initialized;
	__u32 js_depth; /* exact mode: id-stack depth after the last switch, ~0 unknown */
	__u32 nframes;
	/* stack depth when the thread was first seen: scopes below it were
	 * opened before attach, so their pops have no recorded push */
	__u32 first_depth;
	struct scope_frame frames[NODE_MAX_FRAMES];
	__u32 nresets;
	__u32 pad;
	__u64 reset_wraps[RESET_NEST_MAX]; /* AsyncReset entries awaiting return */
	/* uv layer: the loop this thread runs (any known handle's ->loop) */
	__u64 uv_loop;
	/* uv layer: the libuv callbacks running on this thread, innermost last */
	__u32 nuv;
	__u32 pad2;
	struct uv_frame {
		__u64 id;
		__u64 obj;
		__u64 cb;
		__u64 done;  /* the callback completes the object: destroy after it */
		__u64 ts_ns; /* when the callback started (aggregation: its duration) */
	} uv_frames[UV_MAX_FRAMES];
	/* the record being built: per thread, so a preempted probe cannot
	 * share it with another task the way a per-CPU buffer would */
	struct ev_node_stack scratch;
};

struct live_key {
	__u32 pid;
	__u32 pad;
	__u64 wrap;
};

/* Counters the probes keep in .bss; user space reports every non-zero one. */
struct probe_stats {
	__u64 ringbuf_drops;   /* records lost: ring buffer full */
	__u64 read_errors;     /* target memory that could not be read: event skipped */
	__u64 bad_ids;	       /* ids that were not valid (event skipped) */
	__u64 frame_overflow;  /* callback scopes nested deeper than NODE_MAX_FRAMES */
	__u64 stale_frames;    /* scopes whose pop was never seen (failed scopes) */
	__u64 foreign_pops;    /* pops of contexts not pushed by a callback scope */
	__u64 live_map_full;   /* wraps not remembered for reset detection */
	__u64 thread_map_full; /* threads whose scope stack could not be kept */
	__u64 agg_map_full;    /* aggregation: a (process, type) or live id not kept */
};

/* Aggregation mode: the pid sets that hold anything (core.bpf.h pid_sets_used). */
enum pid_sets {
	PID_SETS_IGNORED = 1 << 0,
	PID_SETS_CAPTURED = 1 << 1,
};

/* The daemon's process watcher (bpf/procwatch.bpf.c): execs and exits. */
enum proc_ev_kind {
	PROC_EXEC = 1, /* a process image was replaced: is it node or libuv now? */
	PROC_EXIT = 2, /* a thread-group leader exited: forget the process */
};

struct ev_proc {
	__u64 ts_ns;
	__u32 pid;  /* tgid */
	__u32 kind; /* enum proc_ev_kind */
};

/*
 * Aggregation mode (the daemon): the probes add into these maps instead of
 * sending a record per event. Durations are histogrammed in log4 buckets:
 * bucket i counts values <= AGG_BUCKET0_NS << 2i, the last one the rest.
 */
#define AGG_BUCKETS	 14
#define AGG_BUCKET0_NS	 1000ULL /* 1 us */
#define AGG_TYPE_UNKNOWN 0xffff	 /* made before the probes were in: type never seen */

struct agg_key {
	__u32 tgid;
	__u16 layer; /* enum ev_layer */
	__u16 type;  /* node: provider type; uv: enum uv_obj_type; or AGG_TYPE_UNKNOWN */
};

struct agg_counts {
	__u64 events[4]; /* init, before, after, destroy (kind - EV_INIT) */
	__s64 alive;	 /* initialised since attach and not destroyed yet */
	__u64 cb_ns;	 /* time in callbacks, nested ones included */
	__u64 cb_max_ns; /* longest callback */
	__u64 loop_ns;	 /* time in outermost callbacks: the event loop's share */
	__u64 queue_ns;	 /* init to first callback, summed over queue_n resources */
	__u64 queue_n;
	__u64 cb_hist[AGG_BUCKETS];
	__u64 queue_hist[AGG_BUCKETS];
};

/* A resource alive in a traced process: what its later events are counted as. */
struct agg_id_key {
	__u32 tgid;
	__u32 layer;
	__u64 env; /* node: its Environment (ids are per environment); uv: 0 */
	__u64 id;
};

struct agg_id {
	__u64 init_ns;
	__u16 type;
	__u16 started; /* its first callback was counted in the queue delay */
	__u32 pad;
};

#endif /* __ASYNCSCOPE_EVENTS_H */
