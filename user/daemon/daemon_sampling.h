/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's sampled mode, as arithmetic: when its probes are in (a window
 * of sample_window every sample_period, one schedule for every probed file,
 * since one process may run code of two: node linked to a shared libuv),
 * and how long each file has been observed, so that events / observed
 * seconds is an estimate of the event rate. No BPF, no clock of its own.
 */
#ifndef __ASYNCSCOPE_DAEMON_SAMPLING_H
#define __ASYNCSCOPE_DAEMON_SAMPLING_H

#include <stdbool.h>
#include <stdint.h>

struct sampling {
	uint64_t origin_ns; /* a window opens at origin + k * period */
	uint64_t window_ns;
	uint64_t period_ns; /* 0: exact mode, always open */
};

/* Whether a window is open at now (>= origin); *next_ns: when that changes
 * next (UINT64_MAX: never, in exact mode). */
bool sampling_window_at(const struct sampling *s, uint64_t now, uint64_t *next_ns);

/* Time observed: the sum of the intervals between coverage_open and _close. */
struct coverage {
	uint64_t total_ns;		      /* every closed interval */
	uint64_t open_since_ns;		      /* 0: closed now */
	uint64_t last_open_ns, last_close_ns; /* the last closed interval */
};

void coverage_open(struct coverage *c, uint64_t now);
void coverage_close(struct coverage *c, uint64_t now);
/* Observed up to t, for any t from the start of the last closed interval
 * on (an exit reported a little after the window it happened in closed). */
uint64_t coverage_at(const struct coverage *c, uint64_t t);

#endif /* __ASYNCSCOPE_DAEMON_SAMPLING_H */
