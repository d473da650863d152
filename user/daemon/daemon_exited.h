/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the daemon still shows of processes that exited: each one's final
 * series for exit_linger, so a process that lived shorter than a scrape
 * interval is still scraped once with its final counts, and per executable
 * how many exited at all (in sampled mode, one that ran only between
 * windows has nothing else to show). A process whose series go (past
 * exit_linger, too many kept, its pid reused) is retired: its final counts
 * are folded into one set per label set without pid, so series without a
 * pid label never go back when a process of theirs ends. Pure data, no BPF.
 */
#ifndef __ASYNCSCOPE_DAEMON_EXITED_H
#define __ASYNCSCOPE_DAEMON_EXITED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/daemon_metrics.h"

/* exited processes kept at most: past it, the oldest goes first */
#define EXITED_MAX 1024
/* label sets of retired processes kept at most (a host whose containers come
 * and go makes a new service each time): past it, the oldest set goes */
#define RETIRED_MAX 1024

struct exited {
	struct exited_proc {
		struct metrics_snapshot s; /* one process and its rows */
		uint64_t until_ns;
	} * procs;
	size_t n, cap;
	struct metrics_snapshot exes;	 /* only its exes: exits per executable */
	struct metrics_snapshot retired; /* final counts of processes gone, folded */
	uint64_t dropped;		 /* kept ones that went before their time */
};

void exited_free(struct exited *x);
/* Keeps one's process (its only one) and rows until until_ns, taking them
 * over (*one is emptied). 0 or -ENOMEM (then *one is freed). */
int exited_keep(struct exited *x, struct metrics_snapshot *one, uint64_t until_ns);
/* One more exit of this executable. */
void exited_count(struct exited *x, const char *exe, const char *runtime, const char *version);
/* pid is a new process now: a kept one of that pid goes (labels would clash). */
void exited_forget_pid(struct exited *x, pid_t pid);
/* Drops the ones due by now; returns the next due time (UINT64_MAX: none). */
uint64_t exited_expire(struct exited *x, uint64_t now);
/* Adds the kept processes, their rows and the exit counts to s, and with
 * retired the retired sets (for series without a pid). 0 or -ENOMEM. */
int exited_snapshot(const struct exited *x, struct metrics_snapshot *s, bool retired);

#endif /* __ASYNCSCOPE_DAEMON_EXITED_H */
