/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Holds of a command asyncscope started: a probe stops the whole process
 * (SIGSTOP from BPF) where user space must act before the target runs on (a
 * libuv callback to probe, a thread to put watchpoints on), and user space
 * resumes it (SIGCONT) once done. A hold must never outlive its purpose: a
 * guard process, forked before any probe exists and holding a pidfd of the
 * target, resumes it when a hold lasts HOLD_TIMEOUT_NS, and when asyncscope
 * goes away without resuming it (crash, SIGKILL: the guard's pipe closes).
 * Holds are timed for the summary.
 */
#ifndef __ASYNCSCOPE_HOLD_H
#define __ASYNCSCOPE_HOLD_H

#include <stdint.h>
#include <sys/types.h>

#define HOLD_TIMEOUT_NS 1000000000ULL

struct hold_guard;

struct hold_stats {
	uint64_t holds;	   /* stops asked for by the probes */
	uint64_t held_ns;  /* time the target was stopped, in all */
	uint64_t max_ns;   /* the longest single stop */
	uint64_t timeouts; /* stops the guard ended (asyncscope took too long) */
};

/* Forks the guard for target (a child of ours). 0 or -errno. */
int hold_guard_start(pid_t target, struct hold_guard **out);
/* A stop the probes sent at stop_ns (CLOCK_MONOTONIC) waits for release. */
void hold_begin(struct hold_guard *g, uint64_t stop_ns);
/*
 * Resumes the target if a stop is pending (what it waited for is done),
 * unless the probes have sent more stops (stops_sent) than were seen: the
 * record of another thread's stop is still unread, and a SIGCONT now would
 * cancel that stop before its callback is probed. The next batch brings it.
 */
void hold_release(struct hold_guard *g, uint64_t stops_sent);
/* Releases, ends the guard (which resumes the target once more), frees g; NULL-safe. */
void hold_guard_finish(struct hold_guard *g, struct hold_stats *stats);

#endif /* __ASYNCSCOPE_HOLD_H */
