/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * State only the BPF programs see: per-thread scope stacks and the record
 * being built, live wraps, the daemon's live ids. User space never includes
 * this (tools/check-layout.sh); what it reads is in maps.h.
 */
#ifndef __ASYNCSCOPE_STATE_BPF_H
#define __ASYNCSCOPE_STATE_BPF_H

#include "events.h"
#include "maps.h"

#define REJ_PENDING_MAX 16 /* rejections with no handler yet, in one callback */
#define UV_MAX_FRAMES	8  /* libuv callbacks nested on one thread */

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
	/* the last realm whose Environment was read: wraps of a thread nearly
	 * always share one, so realm_->env_ is read once */
	__u64 realm;
	__u64 env;
	/* the Environment whose teardown (RunCleanup) this thread runs, 0 if
	 * none: its destroys reach no destroy hook */
	__u64 exiting_env;
	/* destroys reported since the last EV_DESTROYS_DUE */
	__u32 destroys_due;
	__u32 initialized;
	__u32 js_depth; /* exact mode: id-stack depth after the last switch, ~0 unknown */
	__u32 nframes;
	/* stack depth when the thread was first seen: scopes below it were
	 * opened before attach, so their pops have no recorded push */
	__u32 first_depth;
	struct scope_frame frames[NODE_MAX_FRAMES];
	__u32 pad0;
	__u32 init_hooks;   /* fields_[kInit] when last read */
	__u64 counter_bits; /* async_id_fields[kAsyncIdCounter] when last read */
	/* builds without EmitTraceAsyncStart: the AsyncReset entered on this
	 * thread whose EmitAsyncInit has not come yet (the wrap, its low bit
	 * set when a constructor called it; 0: none), and its resource
	 * argument, which AsyncReset hands on to EmitAsyncInit. One is enough:
	 * no JS runs between the two, so they cannot nest */
	__u64 reset_wrap;
	__u64 reset_obj;
	/* the microtask run in progress (mq_queue 0: none): its MicrotaskQueue,
	 * that queue's finished_microtask_count_ and the time when it began */
	__u64 mq_queue;
	__u64 mq_count;
	__u64 mq_ts;
	/* promises rejected with no handler since the thread's outermost
	 * callback began: unhandled unless a handler comes before the next */
	__u32 nrej;
	struct rej_pending {
		__u64 promise; /* its address (valid until a GC moves it) */
		__u64 ts_ns;
		__u64 ids[2]; /* async_id_fields[0..1] then, as double bits */
	} rej[REJ_PENDING_MAX];
	/* uv layer: the loop this thread runs (any known handle's ->loop) */
	__u64 uv_loop;
	/* uv layer: the libuv callbacks running on this thread, innermost last */
	__u32 nuv;
	/* the daemon's sampled mode: the window this state was built in (a
	 * later window starts the thread afresh, see thread_get) */
	__u32 epoch;
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
	struct ev_js_stack js_scratch; /* --js-stacks: the frames under an init */
};

struct live_key {
	__u32 pid;
	__u32 pad;
	__u64 wrap;
};

/* A node::Environment of a process (pid first, as in every per-process key). */
struct env_key {
	__u32 pid;
	__u32 pad;
	__u64 env;
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
	__u8 started; /* its first callback was counted in the queue delay */
	__u8 adopted; /* its init was not seen: typed at a later event */
	__u32 epoch;  /* sampled mode: the window of its init (0: init not seen) */
};

#endif /* __ASYNCSCOPE_STATE_BPF_H */
