/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF maps and globals user space reads or fills, key and value types:
 * the probe counters, the uv layer's callback table, the daemon's pid sets
 * and its aggregation maps. Records are in events.h.
 */
#ifndef __ASYNCSCOPE_MAPS_H
#define __ASYNCSCOPE_MAPS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

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

/* native callback scopes tracked per thread (thread_state, state.bpf.h);
 * deeper ones are counted in probe_stats.frame_overflow */
#define NODE_MAX_FRAMES 16

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
	__u64 stops_sent;      /* SIGSTOPs sent to a started command, each with its record */
	/* uv: code addresses whose file could not be looked up at once (the
	 * process's mmap lock was taken: bpf_find_vma only tries it) */
	__u64 vma_busy;
};

/* Aggregation mode: the pid sets that hold anything (core.bpf.h pid_sets_used). */
enum pid_sets {
	PID_SETS_IGNORED = 1 << 0,
	PID_SETS_CAPTURED = 1 << 1,
};

/*
 * Aggregation mode (the daemon): the probes add into these maps instead of
 * sending a record per event. Durations are histogrammed in log4 buckets:
 * bucket i counts values <= AGG_BUCKET0_NS << 2i, the last one the rest.
 */
#define AGG_BUCKETS	 14
#define AGG_BUCKET0_NS	 1000ULL /* 1 us */
#define AGG_TYPE_UNKNOWN 0xffff	 /* made before the probes were in: type never seen */
#define AGG_TYPE_PROCESS 0xfffe	 /* figures of the process, of no resource: microtasks */

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
	__u64 microtasks;    /* AGG_TYPE_PROCESS row: microtasks V8 ran */
	__u64 rejections[2]; /* AGG_TYPE_PROCESS row: by enum rejection_kind - 1 */
};

#endif /* __ASYNCSCOPE_MAPS_H */
