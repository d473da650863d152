// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "live/watchpoints.h"

#define SELFTEST_WRITES 8

int watchpoint_open(pid_t tid, uint64_t addr)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = addr,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.sample_period = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	int fd = syscall(__NR_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Two words a cache line apart, so watching one never sees the other. */
static volatile uint64_t selftest_words[16] __attribute__((aligned(64)));

int watchpoints_selftest(char *why, size_t cap)
{
	const char *fault = getenv("ASYNCSCOPE_TEST_WATCHPOINTS");
	bool decoy = fault && !strcmp(fault, "dead");
	uint64_t count = 0;
	int fd, err = 0;

	fd = watchpoint_open(0, (uint64_t)(uintptr_t)&selftest_words[decoy ? 8 : 0]);
	if (fd < 0) {
		snprintf(why, cap,
			 "cannot open a hardware watchpoint (perf_event_open: %s): this kernel or "
			 "machine offers none",
			 strerror(-fd));
		return fd;
	}
	for (int i = 0; i < SELFTEST_WRITES; i++)
		selftest_words[0] = i + 1;
	if (read(fd, &count, sizeof(count)) != sizeof(count)) {
		err = errno ? -errno : -EIO;
		snprintf(why, cap, "cannot read a hardware watchpoint's count: %s", strerror(-err));
	} else if (count != SELFTEST_WRITES) {
		err = -ENODEV;
		snprintf(why, cap,
			 "hardware watchpoints do not fire on this machine (%llu of %d watched "
			 "writes counted%s; e.g. a VM without debug-register support)",
			 (unsigned long long)count, SELFTEST_WRITES,
			 decoy ? ", ASYNCSCOPE_TEST_WATCHPOINTS=dead" : "");
	}
	close(fd);
	return err;
}
