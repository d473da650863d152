/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Hardware write watchpoints (perf_event breakpoints), which exact JS mode
 * hangs its program on, and the check that they fire on this machine: on
 * some hosts (a VM without debug-register support) perf_event_open accepts
 * a breakpoint that then never fires, and exact mode would be blind.
 */
#ifndef __ASYNCSCOPE_WATCHPOINTS_H
#define __ASYNCSCOPE_WATCHPOINTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* An 8-byte write watchpoint on addr in thread tid: its perf event fd, or -errno. */
int watchpoint_open(pid_t tid, uint64_t addr);

/*
 * Arms a watchpoint on a word of asyncscope's own, writes it a few times and
 * reads the hit count. 0 when every write was counted; else -errno with one
 * sentence in why (cannot open one, or they do not fire here).
 * ASYNCSCOPE_TEST_WATCHPOINTS=dead (tests only) watches a word next to the
 * one written, so the check fails through the real mechanism on any host.
 */
int watchpoints_selftest(char *why, size_t cap);

#endif /* __ASYNCSCOPE_WATCHPOINTS_H */
