/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one wire format between the BPF programs and user space: ring-buffer
 * records (and the procwatch program's) and the layout facts user space
 * hands to BPF before load. Fixed-width fields only, explicit padding,
 * pointers as __u64; the layout is pinned by tests/unit/test_events.c.
 * The types of the maps user space reads are in maps.h; state only the
 * BPF programs see is in state.bpf.h.
 */
#ifndef __ASYNCSCOPE_EVENTS_H
#define __ASYNCSCOPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* X-macro: event kind, its name in the JSON stream. */
#define EV_KIND_LIST(X)                         \
	X(EV_INIT, "init")                      \
	X(EV_BEFORE, "before")                  \
	X(EV_AFTER, "after")                    \
	X(EV_DESTROY, "destroy")                \
	X(EV_PROMISE_RESOLVE, "promiseResolve") \
	X(EV_MICROTASKS, "microtasks")          \
	X(EV_REJECTION, "rejection")

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
	/* node: the thread's destroys since its last such record are due now:
	 * async_hooks delivers them (native immediates run), or, with
	 * EVF_AT_EXIT, never (its environment stops first) */
	EV_DESTROYS_DUE,
	EV_JS_STACK, /* the JS frames of the node init that follows it (--js-stacks) */
	EV_INTERNAL_MAX,
};

/*
 * What Node makes of a promise rejection (process 'unhandledRejection' and
 * 'rejectionHandled'), from V8's PromiseRejectCallback events: rejected
 * with no handler and none added before the next outermost callback, or a
 * handler added after that.
 */
enum rejection_kind {
	REJECTION_UNHANDLED = 1,
	REJECTION_HANDLED_LATE = 2,
};

/* v8::PromiseRejectEvent values node's callback acts on */
#define V8_REJECT_WITH_NO_HANDLER     0
#define V8_HANDLER_ADDED_AFTER_REJECT 1

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
	/* internal record (uv NEWCB): the process was sent SIGSTOP and waits
	 * for user space's SIGCONT once the callback is probed */
	EVF_HELD = 1 << 9,
	/* destroy after its environment was told to stop (worker.terminate(),
	 * process.exit() stopping the workers) or began its teardown (the
	 * thread's end): no JS runs there again, so async_hooks never
	 * delivers it */
	EVF_AT_EXIT = 1 << 10,
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
	__u8 pad;
	__u16 flags; /* enum ev_flags (the low 16) */
};

/*
 * One record shape serves every node-layer kind; unused fields are 0.
 * EV_MICROTASKS (a run of V8's microtask queue ended at h.ts_ns) uses id for
 * the number of microtasks it ran and trigger for the ts_ns it began, so the
 * commonest record keeps its size. EV_REJECTION (a promise rejection Node
 * reports, decided at h.ts_ns) uses exec and trigger for the context it was
 * rejected in (async_id_fields[0..1] then), provider for its enum
 * rejection_kind, wrap for the promise's address and caller for the ts_ns
 * it was rejected at.
 */
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
	/* NEWCB only: the process is stopped until user space has probed it */
	UVO_HELD = 1 << 4,
};

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
 * --js-stacks: the JS frames found by walking the frame-pointer chain from
 * a node init probe, sent as their own record just before that init (same
 * pid, tid and id). Only frames that look like JS frames are carried (a
 * heap-tagged function and context slot); user space checks that each sfi
 * really is a SharedFunctionInfo before it trusts it, since a C++ frame's
 * slots can look the same.
 */
#define JS_MAX_FRAMES 16 /* JS frames carried, innermost first */
#define JS_WALK_MAX   32 /* frames walked, native ones included */

struct ev_js_frame {
	__u64 sfi;	       /* JSFunction.shared as read in the probe (tagged) */
	__u64 pc;	       /* the pc executing in the frame (its callee's return address) */
	__u32 bytecode_offset; /* [fp + bytecode_offset] when it holds a SMI, else ~0 */
	__u32 depth;	       /* the frame's index in the walk, native frames counted */
};

struct ev_js_stack {
	struct ev_hdr h;
	__u64 id;	 /* the init's async id */
	__u32 nframes;	 /* frames carried */
	__u32 walked;	 /* frames walked */
	__u32 truncated; /* 1: the walk stopped at JS_WALK_MAX or JS_MAX_FRAMES */
	__u32 pad;
	struct ev_js_frame frames[JS_MAX_FRAMES];
};

/* The frame slots the walker reads (bytes from the frame pointer) and
 * JSFunction.shared, from user/resolve/v8_layout.c; fp_lo is the lowest
 * slot, and the walker reads [fp + fp_lo, fp + 16) in one call. */
struct js_walk_off {
	__s32 fp_lo;	       /* lowest slot read: the bytecode offset */
	__s32 fp_function;     /* the JSFunction, in a JS frame */
	__s32 fp_context;      /* the context, or a typed frame's SMI marker */
	__s32 fp_bytecode_off; /* the bytecode offset (SMI), interpreted frames */
	__u32 function_shared; /* JSFunction.shared */
	__u32 smi_shift;       /* SMI value = word >> smi_shift */
};

/*
 * Where node keeps what we read, derived from the target binary by
 * user/resolve/resolve_node.c and written into BPF .rodata before load.
 */
#define NODE_MAX_CTORS 4

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
	__u8 ics_obj_arg;	/* ICS env ctor: the resource object (Local, or Global*) */
	/* a wrap's JS object -> its BaseObject* (the AsyncWrap): byte offset of
	 * that embedder field from the object's start; 0 = not found */
	__u32 obj_base_slot;
	/* the AsyncWrap constructors that call AsyncReset (code addresses): an
	 * init made from one is a new object, with no old id to destroy */
	__u32 nctors;
	__u64 ctor_lo[NODE_MAX_CTORS];
	__u32 ctor_len[NODE_MAX_CTORS];
	/* AsyncReset's code, where it calls EmitDestroy(bool) rather than
	 * inlining it (node 26): a destroy called from there is a reset (the
	 * same wrap gets a new id next); reset_len 0 = inlined */
	__u32 reset_len;
	__u64 reset_lo;
	/* the microtask probe (TryRunMicrotasks, or RunMicrotasks): argument
	 * slot of the MicrotaskQueue*, and the byte offset of its
	 * finished_microtask_count_ (intptr_t); 0 = no counts on this build */
	__u32 mq_arg;
	__u32 mq_finished;
	/* node::PromiseRejectCallback(PromiseRejectMessage), the message passed
	 * in memory: byte offsets from the entry stack pointer of its promise_
	 * (a Local, i.e. a slot address) and its event_ (u32); 0 = not probed */
	__u32 reject_promise;
	__u32 reject_event;
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
	/* follow mode, PROC_EXEC: the new image is the file the node probes
	 * are in (procwatch's follow_ino) */
	__u32 traced_binary;
	/* follow mode, PROC_EXEC: the new image's device (the kernel's s_dev)
	 * and inode, for user space to tell it from a later exec's */
	__u32 dev;
	__u64 ino;
	/* follow mode, PROC_EXEC only (the record is shorter otherwise): the
	 * path exec'd, the interpreter's for a script, as the caller wrote it */
	char path[256];
};

#define EV_PROC_SHORT_SIZE __builtin_offsetof(struct ev_proc, path)

#endif /* __ASYNCSCOPE_EVENTS_H */
