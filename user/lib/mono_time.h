/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns() and of the records. */
#ifndef __ASYNCSCOPE_MONO_TIME_H
#define __ASYNCSCOPE_MONO_TIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif /* __ASYNCSCOPE_MONO_TIME_H */
