/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every layer shares: the ring buffer, per-thread state, configuration
 * and counters (defined once in core.bpf.c, linked by bpftool gen object),
 * plus small inline helpers for reading target memory and emitting records.
 */
#ifndef __ASYNCSCOPE_CORE_BPF_H
#define __ASYNCSCOPE_CORE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "compat.bpf.h"
#include "events.h"
#include "maps.h"
#include "state.bpf.h"
#include "double_id.h"

/* Map shapes, written once: core.bpf.c defines them, the layers declare them
 * extern and bpftool's static linker joins the two (definitions must match). */
#define EVENTS_MAP_DEF                              \
	struct {                                    \
		__uint(type, BPF_MAP_TYPE_RINGBUF); \
		__uint(max_entries, 8 << 20);       \
	}
/* Task-local storage: found from the task without a hash lookup, and freed
 * by the kernel when the thread exits. */
#define THREADS_MAP_DEF                                  \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_TASK_STORAGE); \
		__uint(map_flags, BPF_F_NO_PREALLOC);    \
		__type(key, int);                        \
		__type(value, struct thread_state);      \
	}
/* AsyncWrap* -> id it was given, to notice AsyncReset giving it a new one. */
#define LIVE_WRAPS_MAP_DEF                       \
	struct {                                 \
		__uint(type, BPF_MAP_TYPE_HASH); \
		__uint(max_entries, 262144);     \
		__type(key, struct live_key);    \
		__type(value, __u64);            \
	}

/* Aggregation mode: counts per (process, layer, type), the live resources
 * they are kept by, and the processes whose records are still wanted. */
#define AGG_TYPES_MAP_DEF                         \
	struct {                                  \
		__uint(type, BPF_MAP_TYPE_HASH);  \
		__uint(max_entries, 16384);       \
		__type(key, struct agg_key);      \
		__type(value, struct agg_counts); \
	}
#define AGG_IDS_MAP_DEF                          \
	struct {                                 \
		__uint(type, BPF_MAP_TYPE_HASH); \
		__uint(max_entries, 262144);     \
		__type(key, struct agg_id_key);  \
		__type(value, struct agg_id);    \
	}
/* A set of processes (tgid -> 1). */
#define PID_SET_MAP_DEF(n)                       \
	struct {                                 \
		__uint(type, BPF_MAP_TYPE_HASH); \
		__uint(max_entries, n);          \
		__type(key, __u32);              \
		__type(value, __u8);             \
	}

/* core.bpf.c defines these (sizes are set by user space before load); every
 * other layer sees them extern and bpftool's static linker joins them. */
#ifdef ASYNCSCOPE_CORE_DEFINES
#define CORE_SHARED
#else
#define CORE_SHARED extern
#endif
CORE_SHARED EVENTS_MAP_DEF events SEC(".maps");
CORE_SHARED THREADS_MAP_DEF threads SEC(".maps");
CORE_SHARED LIVE_WRAPS_MAP_DEF live_wraps SEC(".maps");
CORE_SHARED AGG_TYPES_MAP_DEF agg_types SEC(".maps");
CORE_SHARED AGG_IDS_MAP_DEF agg_ids SEC(".maps");
CORE_SHARED PID_SET_MAP_DEF(64) capture_pids SEC(".maps");
/* aggregation mode: processes the daemon's config excludes (tgid -> 1) */
CORE_SHARED PID_SET_MAP_DEF(16384) ignored_pids SEC(".maps");
/* aggregation mode: processes with state in any map (user space frees a
 * process's entries at its exit only where it is listed here) */
CORE_SHARED PID_SET_MAP_DEF(16384) agg_pids SEC(".maps");
CORE_SHARED const volatile __u32 targ_tgid;
/* trace -- COMMAND following its tree: the probes fire for every process of
 * the binary, and count for those in follow_pids, which is procwatch's
 * followed_pids (bpf/procwatch.bpf.c adds each fork of a followed process) */
CORE_SHARED const volatile bool follow_tree;
CORE_SHARED PID_SET_MAP_DEF(8192) follow_pids SEC(".maps");
/* the daemon: add events into agg_types; send records only for capture_pids */
CORE_SHARED const volatile bool aggregate;
/* the daemon's sampled mode: the probes are attached for a window now and
 * then, and count only while sample_epoch is not 0; user space gives each
 * window a new epoch, so state left by an earlier one is known as such */
CORE_SHARED const volatile bool sampled;
CORE_SHARED __u32 sample_epoch;
/* which of ignored_pids and capture_pids hold anything (enum pid_sets), kept
 * by user space: most of the time neither does, and no event looks them up */
CORE_SHARED __u32 pid_sets_used;
CORE_SHARED const volatile __u64 wakeup_bytes;
CORE_SHARED const volatile bool with_stacks; /* carry the async id stack on every event */
/* every record carries its saved pairs (--stacks shows them); otherwise the
 * JS layer takes them from the record of the scope they sit under */
CORE_SHARED const volatile bool full_stacks;
CORE_SHARED const volatile bool js_exact; /* report threads for hardware watchpoints */
/* exact JS mode on a command asyncscope started: stop the process at each new
 * thread until user space has armed its watchpoints (then SIGCONT) */
CORE_SHARED const volatile bool js_stop_to_arm;

#define SIGNAL_STOP 19 /* SIGSTOP on every Linux architecture we build for */
/* make bench's trap floor: every node-layer program returns at once, so
 * what remains is the cost of the uprobe hits themselves */
CORE_SHARED const volatile bool empty_programs;
CORE_SHARED const volatile struct node_offsets node_off;
CORE_SHARED struct probe_stats stats;

#define STAT_INC(field) __sync_fetch_and_add(&stats.field, 1)

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

/* The uprobes are attached per process (a second fence), or to every process
 * of a file (the daemon, which may exclude some). */
static __always_inline int is_traced_tgid(__u32 tgid)
{
	/* probes still in place just before a window opens or after it closes */
	if (sampled && !sample_epoch)
		return 0;
	if (targ_tgid)
		return tgid == targ_tgid;
	if (follow_tree)
		return bpf_map_lookup_elem(&follow_pids, &tgid) != NULL;
	return !(pid_sets_used & PID_SETS_IGNORED) || !bpf_map_lookup_elem(&ignored_pids, &tgid);
}

static __always_inline int is_traced(void)
{
	return is_traced_tgid(current_tgid());
}

/* Whether this event's record goes to the ring buffer (aggregation mode
 * sends records only of the processes user space asked to capture). */
static __always_inline bool record_wanted(void)
{
	__u32 tgid;

	if (!aggregate)
		return true;
	if (!(pid_sets_used & PID_SETS_CAPTURED))
		return false;
	tgid = current_tgid();
	return bpf_map_lookup_elem(&capture_pids, &tgid) != NULL;
}

/*
 * Reads where a failure is an answer, not a lost event (is this pointer a
 * handle of our loop?): not counted in read_errors.
 */
static __always_inline int try_read_u64(__u64 addr, __u64 *out)
{
	return bpf_probe_read_user(out, sizeof(*out), (const void *)addr);
}

static __always_inline int try_read_u32(__u64 addr, __u32 *out)
{
	return bpf_probe_read_user(out, sizeof(*out), (const void *)addr);
}

/* Reads a user pointer-sized word; non-zero return means the read failed. */
static __always_inline int read_u64(__u64 addr, __u64 *out)
{
	if (bpf_probe_read_user(out, sizeof(*out), (const void *)addr)) {
		STAT_INC(read_errors);
		return -1;
	}
	return 0;
}

static __always_inline int read_u32(__u64 addr, __u32 *out)
{
	if (bpf_probe_read_user(out, sizeof(*out), (const void *)addr)) {
		STAT_INC(read_errors);
		return -1;
	}
	return 0;
}

/* SysV argument slots 1..6 (slot 1 is `this` for a member function). The
 * registers are copied out first: the verifier rejects a context load at a
 * computed offset, which a switch over PT_REGS_PARMn compiles into. */
static __always_inline __u64 arg_slot(struct pt_regs *ctx, int slot)
{
	__u64 a1 = PT_REGS_PARM1(ctx), a2 = PT_REGS_PARM2(ctx), a3 = PT_REGS_PARM3(ctx),
	      a4 = PT_REGS_PARM4(ctx), a5 = PT_REGS_PARM5(ctx), a6 = PT_REGS_PARM6(ctx);
	__u64 i = slot - 1, args[8];

	/* opaque to clang, so it cannot fold the loads back into ctx + offset */
	asm volatile("" : "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6));
	args[0] = a1;
	args[1] = a2;
	args[2] = a3;
	args[3] = a4;
	args[4] = a5;
	args[5] = a6;
	args[6] = args[7] = 0;
	if (slot < 1 || slot > 6)
		return 0;
	/* masked in assembly: the slot may come from a cookie, unknown to the verifier */
	asm volatile("%0 &= 7" : "+r"(i));
	return args[i];
}

/* Index into thread_state.frames. The mask is written in BPF assembly: clang
 * drops a C mask it can prove redundant, and the verifier then sees an
 * unbounded index. */
static __always_inline __u64 frame_idx(__u64 n)
{
	asm volatile("%0 &= %1" : "+r"(n) : "i"(NODE_MAX_FRAMES - 1));
	return n;
}

/* At a function's entry: who called it. Scope constructors' callers tell the
 * phase of the event loop (timers, immediates, ...) for the JS layer. */
static __always_inline __u64 return_address(struct pt_regs *ctx)
{
	__u64 ra = 0;

	if (with_stacks)
		bpf_probe_read_user(&ra, sizeof(ra), (void *)PT_REGS_SP(ctx));
	return ra;
}

#define DEPTH_UNKNOWN 0xffffffffu

/*
 * Sampled mode: a thread first seen in this window starts afresh, as if the
 * probes had just been attached. Scopes, AsyncResets and libuv callbacks it
 * entered in an earlier window ended unseen (or end now without a start):
 * matching them with what happens now would make durations of garbage.
 */
static __always_inline void thread_window(struct thread_state *ts)
{
	if (!sampled || ts->epoch == sample_epoch)
		return;
	ts->epoch = sample_epoch;
	ts->nframes = 0;
	ts->first_depth = DEPTH_UNKNOWN;
	ts->reset_wrap = 0;
	ts->nuv = 0;
	ts->mq_ts = 0; /* a microtask run begun in an earlier window is not counted */
	ts->nrej = 0;
}

static __always_inline struct thread_state *thread_get(void)
{
	struct thread_state *ts;

	ts = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		STAT_INC(thread_map_full);
		return NULL;
	}
	if (!ts->initialized) {
		ts->initialized = 1;
		ts->first_depth = DEPTH_UNKNOWN;
		ts->js_depth = DEPTH_UNKNOWN;
	}
	thread_window(ts);
	return ts;
}

/* The thread state if it exists, without creating it. */
static __always_inline struct thread_state *thread_peek(void)
{
	struct thread_state *ts = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0, 0);

	if (ts)
		thread_window(ts);
	return ts;
}

/* Remembers the id-stack depth at the first scope event seen on a thread. */
static __always_inline void thread_note_depth(struct thread_state *ts, __u32 depth)
{
	if (ts->first_depth == DEPTH_UNKNOWN)
		ts->first_depth = depth;
}

/*
 * Records are submitted without waking the consumer, which drains on a
 * timer; a wakeup per event costs the target more than the probe itself.
 * Once a quarter of the ring is pending we wake it so nothing is lost.
 */
static __always_inline __u64 wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP :
									       BPF_RB_NO_WAKEUP;
}

/* The same, asked of one event in 32 (the low bits of its nanosecond
 * timestamp pick it): the query costs the probe more than the rest of the
 * record's delivery, and the quarter-full mark leaves three quarters of the
 * ring for the few hundred records between two askings. */
static __always_inline __u64 wakeup_flag_at(__u64 now)
{
	return (now & 31) ? BPF_RB_NO_WAKEUP : wakeup_flag();
}

#endif /* __ASYNCSCOPE_CORE_BPF_H */
