// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Exited processes' final series: kept, expired, replaced, and exit counts. */
#include "daemon/daemon_exited.h"
#include "unit.h"

static void keep_one(struct exited *x, pid_t pid, uint64_t until)
{
	struct metrics_snapshot one = {0};
	struct metrics_proc p = {.pid = pid, .exe = "/usr/bin/node", .exited = 1};
	struct agg_counts c = {.events = {3, 0, 0, 3}};

	metrics_add_proc(&one, &p);
	metrics_add_row(&one, 0, LAYER_NODE, "FSREQCALLBACK", &c);
	ASSERT_OK(exited_keep(x, &one, until), "kept");
	ASSERT_EQ(one.nprocs, 0, "taken over");
}

void test_daemon_exited__keep_expire_forget(void)
{
	struct exited x = {0};
	struct metrics_snapshot s = {0};

	keep_one(&x, 10, 100);
	keep_one(&x, 11, 200);
	keep_one(&x, 12, 300);
	ASSERT_EQ(exited_expire(&x, 50), 100, "next due");
	ASSERT_EQ(x.n, 3, "none due yet");
	ASSERT_EQ(exited_expire(&x, 150), 200, "one due");
	ASSERT_EQ(x.n, 2, "10 gone");
	exited_forget_pid(&x, 12);
	ASSERT_EQ(x.n, 1, "12 replaced by a new process");
	ASSERT_EQ(x.dropped, 1, "counted as dropped");
	exited_count(&x, "/usr/bin/node", "node", "v20.1.0");
	exited_count(&x, "/usr/bin/node", "node", "v20.1.0");
	exited_count(&x, "/opt/node", "node", "v22.1.0");
	ASSERT_OK(exited_snapshot(&x, &s, false), "snapshot");
	ASSERT_EQ(s.nprocs, 1, "one kept process");
	ASSERT_EQ(s.procs[0].pid, 11, "11");
	ASSERT_EQ(s.procs[0].exited, 1, "marked exited");
	ASSERT_EQ(s.nrows, 1, "its row");
	ASSERT_EQ(s.rows[0].c.events[0], 3, "final count");
	ASSERT_EQ(s.nexes, 2, "two executables");
	ASSERT_EQ(s.exes[0].exited, 2, "two exits of the first");
	ASSERT_EQ(exited_expire(&x, 1000), UINT64_MAX, "all gone");
	metrics_snapshot_free(&s);
	exited_free(&x);
}

void test_daemon_exited__bounded(void)
{
	struct exited x = {0};

	for (int i = 0; i < EXITED_MAX + 5; i++)
		keep_one(&x, 1000 + i, 10000);
	ASSERT_EQ(x.n, EXITED_MAX, "at most EXITED_MAX");
	ASSERT_EQ(x.dropped, 5, "the oldest dropped");
	ASSERT_EQ(x.procs[0].s.procs[0].pid, 1005, "oldest kept is the sixth");
	exited_free(&x);
}

/* Series without a pid label sum a service's processes: one that exits and
 * one that takes its place (a restart) must never make the sum go back,
 * whether the first is still kept, expired, or its pid reused. */
void test_daemon_exited__retired_sums_never_go_back(void)
{
	struct exited x = {0};
	struct metrics_snapshot s = {0};
	uint64_t sums[3];

	keep_one(&x, 10, 100);
	keep_one(&x, 11, 200);
	for (int step = 0; step < 3; step++) {
		if (step == 1)
			exited_expire(&x, 150); /* 10: past exit_linger */
		if (step == 2)
			exited_forget_pid(&x, 11); /* 11: a new process took its pid */
		ASSERT_OK(exited_snapshot(&x, &s, true), "snapshot with retired sets");
		ASSERT_OK(metrics_fold_processes(&s), "folded");
		ASSERT_EQ(s.nprocs, 1, "one label set");
		ASSERT_EQ(s.procs[0].pid, 0, "no pid");
		sums[step] = s.nrows == 1 ? s.rows[0].c.events[0] : 0;
		metrics_snapshot_free(&s);
	}
	ASSERT_EQ(sums[0], 6, "both kept");
	ASSERT_EQ(sums[1], 6, "10 retired, 11 kept");
	ASSERT_EQ(sums[2], 6, "both retired");
	ASSERT_EQ(x.retired.nprocs, 1, "retired folded into one set");
	ASSERT_OK(exited_snapshot(&x, &s, false), "snapshot with pid labels");
	ASSERT_EQ(s.nprocs, 0, "retired sets are not shown with pid labels");
	metrics_snapshot_free(&s);
	exited_free(&x);
}
