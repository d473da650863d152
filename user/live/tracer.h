/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Owns the BPF skeleton and every probe link: open -> configure -> load ->
 * attach, and total detach on destroy.
 */
#ifndef __ASYNCSCOPE_ATTACH_H
#define __ASYNCSCOPE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/maps.h"
#include "resolve/resolve_node.h"
#include "resolve/resolve_uv.h"

struct tracer;

struct tracer_opts {
	pid_t pid;			  /* process the probes fire for; -1: every process */
	const char *binary;		  /* file the probes are placed in (e.g. /proc/PID/exe) */
	const struct node_layout *layout; /* node layer, NULL if off */
	const struct uv_layout *uv;	  /* uv layer (probes in uv->path), NULL if off */
	size_t ringbuf_bytes;		  /* rounded up to a power of two */
	bool with_stacks;		  /* carry the async id stack on every event */
	bool full_stacks;		  /* saved pairs on every record (--stacks) */
	bool js_exact;			  /* report threads, for hardware watchpoints */
	/* --js-stacks: walk the JS frames at every node init (NULL: off) */
	const struct js_walk_off *js_walk;
	/* a command asyncscope started (its stops are reported to asyncscope,
	 * not to a shell): SIGSTOP it until the probes are ready, at a new
	 * thread (js_exact, watchpoints) and at a libuv callback's first
	 * registration (uv, its probe) */
	bool stop_to_arm;
	/* follow mode (pid -1): the probes count for the processes in this
	 * map, procwatch's followed_pids (live/follow.h); 0 if none */
	int follow_pids_fd;
	bool aggregate; /* count into BPF maps; records only for captured processes */
	bool sampled;	/* aggregate: count only in windows (tracer_window_open) */
};

/* 0 or -errno; on failure *err_msg (static text or NULL) says which step failed. */
int tracer_open(const struct tracer_opts *opts, struct tracer **out, const char **err_msg);
int tracer_ringbuf_fd(const struct tracer *t);
/*
 * Exact JS mode: hardware write watchpoints on a thread's id fields (the
 * trigger slot and the id counter, at id_fields + 8 and + 16), each running
 * the js_watch program. 0 or -errno.
 */
int tracer_watch_thread(struct tracer *t, pid_t tid, uint64_t id_fields);
size_t tracer_nlinks(const struct tracer *t);
/*
 * Probe sites attached after start (uv callbacks) that the kernel refused,
 * e.g. because the target exited during the attach; *first_err the first
 * reason (-errno). Each was logged at debug level only.
 */
size_t tracer_late_failures(const struct tracer *t, int *first_err);
/* Kernel links (BPF links and perf events) the tracer holds. */
size_t tracer_nkernel_links(const struct tracer *t);
/*
 * uv layer: puts entry and return probes on a libuv callback of pid at addr
 * (reported by the uv_api program the first time it is registered). 0 or -errno.
 */
int tracer_watch_uv_callback(struct tracer *t, pid_t pid, uint64_t addr);
/*
 * uv layer: finds the callbacks path's code hands to libuv (resolve/cb_scan.c)
 * and probes them all now, before they first run. Once per file. 0 or -errno.
 */
int tracer_prescan_uv_callbacks(struct tracer *t, pid_t pid, const char *path);
/* uv layer: the prescan above for every executable file pid has mapped now. */
void tracer_prescan_process(struct tracer *t, pid_t pid);
void tracer_read_stats(const struct tracer *t, struct probe_stats *s);
/* SIGSTOPs the probes have sent so far (stop_to_arm), each announced by a record. */
uint64_t tracer_stops_sent(const struct tracer *t);
/* Aggregation mode: calls fn for every (process, layer, type) counted so far. */
int tracer_agg_foreach(const struct tracer *t,
		       void (*fn)(void *ctx, const struct agg_key *k, const struct agg_counts *c),
		       void *ctx);
/* Aggregation mode: frees every map entry of process pid (it exited). */
void tracer_forget_process(struct tracer *t, pid_t pid);
/* The same, calling fn first for each (layer, type) row counted for pid. */
void tracer_forget_process_rows(struct tracer *t, pid_t pid,
				void (*fn)(void *ctx, const struct agg_key *k,
					   const struct agg_counts *c),
				void *ctx);
/*
 * Sampled mode. A window opens in two steps: tracer_probes_in() puts every
 * probe back (they fire but count nothing yet), then tracer_window_open()
 * with a new epoch (not 0) starts the counting; tracer_window_close() stops
 * it and tracer_probes_out() takes the probes out again, so the window's
 * edges are exact in time whatever attaching costs. Counts stay in the maps
 * across windows. tracer_probes_in returns how many links the kernel refused.
 */
size_t tracer_probes_in(struct tracer *t);
void tracer_window_open(struct tracer *t, uint32_t epoch);
void tracer_window_close(struct tracer *t);
void tracer_probes_out(struct tracer *t);
/* Aggregation mode: send pid's events as records too (or stop). 0 or -errno. */
int tracer_capture_process(struct tracer *t, pid_t pid, bool on);
/* Aggregation mode: stop (or resume) counting process pid (excluded by configuration). */
int tracer_ignore_process(struct tracer *t, pid_t pid, bool ignore);
/* Detaches every probe and frees everything; NULL-safe. */
void tracer_destroy(struct tracer *t);

#endif /* __ASYNCSCOPE_ATTACH_H */
