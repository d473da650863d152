// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tests' own answer to "do hardware write watchpoints fire on this
 * host?", independent of asyncscope's self-check: arms one on a word, writes
 * it 1000 times, prints "fire" when every write was counted and "dead"
 * otherwise (perf_event_open refused, or a count short of 1000).
 */
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile uint64_t word;

int main(void)
{
	struct perf_event_attr a;
	uint64_t count = 0;
	int fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_W;
	a.bp_addr = (uint64_t)(uintptr_t)&word;
	a.bp_len = HW_BREAKPOINT_LEN_8;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		printf("dead\n");
		return 0;
	}
	for (int i = 0; i < 1000; i++)
		word = i;
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		count = 0;
	printf("%s\n", count == 1000 ? "fire" : "dead");
	fprintf(stderr, "hw_watchpoints: %llu of 1000 writes counted\n", (unsigned long long)count);
	return 0;
}
