// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's sampling schedule and coverage arithmetic. */
#include "daemon/daemon_sampling.h"
#include "unit.h"

#define MS 1000000ULL

void test_daemon_sampling__schedule(void)
{
	struct sampling s = {.origin_ns = 1000 * MS, .window_ns = 250 * MS, .period_ns = 1000 * MS};
	uint64_t next;

	ASSERT_TRUE(sampling_window_at(&s, 1000 * MS, &next), "open at the origin");
	ASSERT_EQ(next, 1250 * MS, "closes after the window");
	ASSERT_TRUE(sampling_window_at(&s, 1249 * MS, &next), "open just before the end");
	ASSERT_TRUE(!sampling_window_at(&s, 1250 * MS, &next), "closed at the end");
	ASSERT_EQ(next, 2000 * MS, "opens at the next period");
	ASSERT_TRUE(!sampling_window_at(&s, 1999 * MS, &next), "closed before the next");
	ASSERT_TRUE(sampling_window_at(&s, 7100 * MS, &next), "open in a later period");
	ASSERT_EQ(next, 7250 * MS, "its end");
	s.period_ns = 0;
	ASSERT_TRUE(sampling_window_at(&s, 5 * MS, &next), "exact: always open");
	ASSERT_EQ(next, UINT64_MAX, "exact: no edge");
}

void test_daemon_sampling__coverage(void)
{
	struct coverage c = {0};

	ASSERT_EQ(coverage_at(&c, 100), 0, "nothing yet");
	coverage_open(&c, 100);
	ASSERT_EQ(coverage_at(&c, 150), 50, "open: up to now");
	coverage_open(&c, 120); /* already open: ignored */
	coverage_close(&c, 200);
	coverage_close(&c, 210); /* already closed: ignored */
	ASSERT_EQ(coverage_at(&c, 500), 100, "one interval");
	ASSERT_EQ(coverage_at(&c, 180), 80, "inside the last interval");
	ASSERT_EQ(coverage_at(&c, 90), 0, "before it");
	coverage_open(&c, 1000);
	ASSERT_EQ(coverage_at(&c, 1030), 130, "second interval running");
	ASSERT_EQ(coverage_at(&c, 500), 100, "in the gap between them");
	coverage_close(&c, 1100);
	ASSERT_EQ(coverage_at(&c, 2000), 200, "two intervals");
	ASSERT_EQ(coverage_at(&c, 1050), 150, "an exit seen after its window closed");
}
