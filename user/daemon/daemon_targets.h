/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the daemon watches: the files its probes are in (a node binary, a
 * libuv library, a program with its own libuv) and the processes running
 * them. Probes go into each distinct file once, for every process (pid -1),
 * so a second process of the same node build costs nothing to pick up; a
 * file's probes are taken out once no process has run it for a while.
 */
#ifndef __ASYNCSCOPE_DAEMON_TARGETS_H
#define __ASYNCSCOPE_DAEMON_TARGETS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event/capture_format.h"
#include "daemon/daemon_config.h"
#include "daemon/daemon_metrics.h"

struct targets;

/* Something the daemon's epoll loop waits on: data.ptr of its epoll event. */
struct loop_source {
	void (*ready)(void *ctx);
	void *ctx;
};

/* epfd: the loop's epoll, to which each probed file's ring buffer is added.
 * cfg is borrowed and may be replaced with targets_set_config(). */
int targets_new(int epfd, const struct daemon_config *cfg, struct targets **out);
void targets_free(struct targets *t);
/* A new config: processes it now excludes stop being counted. */
void targets_set_config(struct targets *t, const struct daemon_config *cfg);

/* Probes the system's shared libuv for good, so a program that loads it
 * at run time (Python's uvloop on import) is counted from its first call. */
void targets_probe_system_libuv(struct targets *t);
/* Every process running now (start-up, and after lost exec events). */
void targets_scan_all(struct targets *t);
/* A process replaced its image: look at it now and again shortly (libuv is
 * often loaded later, e.g. by Python's uvloop on import). */
void targets_on_exec(struct targets *t, pid_t pid);
/* A process exited at ts_ns (CLOCK_MONOTONIC): its counters go, its series
 * stay for exit_linger, its exit is counted for its executable. */
void targets_on_exit(struct targets *t, pid_t pid, uint64_t ts_ns);
/* Due re-checks and idle files; returns milliseconds until it wants to run
 * again (-1: nothing pending). */
int targets_tick(struct targets *t);

/* Per-event capture of one process into its ring buffer records (on/off).
 * 0, -ESRCH (not a watched process) or -errno. */
int targets_capture(struct targets *t, pid_t pid, bool on,
		    void (*sink)(void *ctx, const void *rec, size_t len), void *ctx);

/* What a capture file of pid says about it. 0 or -ESRCH (not watched). */
int targets_capture_meta(struct targets *t, pid_t pid, struct capture_meta *m);
/* Reads every probed file's ring buffer now (captures: records are not
 * woken for one by one). */
void targets_drain(struct targets *t);

/* Rows and self figures for /metrics. */
void targets_snapshot(struct targets *t, struct metrics_snapshot *s);
/* Map entries and probe links held now (tests and self-metrics). */
size_t targets_nprocs(const struct targets *t);

#endif /* __ASYNCSCOPE_DAEMON_TARGETS_H */
