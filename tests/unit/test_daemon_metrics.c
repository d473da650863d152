// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's /metrics text, from a snapshot built by hand. */
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon_metrics.h"
#include "unit.h"

static char *render(struct metrics_snapshot *s)
{
	/* static: open_memstream writes them back at fclose */
	static char *buf;
	static size_t len;
	FILE *out = open_memstream(&buf, &len);

	metrics_render(out, s);
	fclose(out);
	return buf;
}

void test_daemon_metrics__rows_and_histograms(void)
{
	struct metrics_snapshot s = {0};
	struct metrics_proc a = {.pid = 20, .runtime = "node", .version = "v22.1.0"};
	struct metrics_proc b = {.pid = 7, .runtime = "libuv"};
	struct agg_counts c = {.events = {5, 4, 4, 3}, .alive = 2, .cb_ns = 3000, .loop_ns = 2500};
	long ia, ib;
	char *text;

	snprintf(a.exe, sizeof(a.exe), "/opt/my \"node\"");
	snprintf(b.exe, sizeof(b.exe), "/usr/bin/python3");
	ia = metrics_add_proc(&s, &a);
	ib = metrics_add_proc(&s, &b);
	c.cb_hist[0] = 1; /* <= 1 us */
	c.cb_hist[1] = 2; /* <= 4 us */
	c.cb_hist[AGG_BUCKETS - 1] = 1;
	ASSERT_OK(metrics_add_row(&s, ia, LAYER_NODE, "TCPWRAP", &c), "row a");
	ASSERT_OK(metrics_add_row(&s, ia, LAYER_NODE, "FSREQCALLBACK", &c), "row a2");
	ASSERT_OK(metrics_add_row(&s, ib, LAYER_UV, "uv_tcp", &c), "row b");
	s.self.procs_watched = 2;
	text = render(&s);
	ASSERT_TRUE(text != NULL, "rendered");
	/* label values escaped */
	ASSERT_TRUE(strstr(text, "exe=\"/opt/my \\\"node\\\"\"") != NULL, "quote escaped");
	ASSERT_TRUE(strstr(text, "asyncscope_events_total{pid=\"20\",exe=\"/opt/my \\\"node\\\"\","
				 "runtime=\"node\",version=\"v22.1.0\",layer=\"node\","
				 "type=\"TCPWRAP\",event=\"destroy\"} 3\n") != NULL,
		    "destroy count");
	/* rows in pid order: the libuv process (7) before node (20) */
	ASSERT_TRUE(strstr(text, "pid=\"7\"") < strstr(text, "pid=\"20\""), "pid order");
	/* FSREQCALLBACK before TCPWRAP within a process */
	ASSERT_TRUE(strstr(text, "FSREQCALLBACK") < strstr(text, "TCPWRAP"), "type order");
	/* cumulative buckets, +Inf equal to _count */
	ASSERT_TRUE(strstr(text, "type=\"uv_tcp\",le=\"1e-06\"} 1\n") != NULL, "first bucket");
	ASSERT_TRUE(strstr(text, "type=\"uv_tcp\",le=\"4e-06\"} 3\n") != NULL, "cumulative");
	ASSERT_TRUE(strstr(text, "type=\"uv_tcp\",le=\"+Inf\"} 4\n") != NULL, "+Inf");
	ASSERT_TRUE(strstr(text,
			   "asyncscope_callback_duration_seconds_count{pid=\"7\",exe=\"/usr/bin/"
			   "python3\",runtime=\"libuv\",version=\"\",layer=\"uv\","
			   "type=\"uv_tcp\"} 4\n") != NULL,
		    "count");
	/* event-loop time: one series per process, summed over its types */
	ASSERT_TRUE(strstr(text,
			   "asyncscope_event_loop_callback_seconds_total{pid=\"20\",exe=\"/opt/"
			   "my \\\"node\\\"\",runtime=\"node\",version=\"v22.1.0\"} "
			   "0.000005000\n") != NULL,
		    "loop time summed");
	ASSERT_TRUE(strstr(text, "# TYPE asyncscope_resources_alive gauge\n") != NULL, "TYPE");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_processes_watched 2\n") != NULL, "self");
	free(text);
	metrics_snapshot_free(&s);
}

void test_daemon_metrics__empty(void)
{
	struct metrics_snapshot s = {0};
	char *text = render(&s);

	/* no process: only the families and the daemon's own figures */
	ASSERT_TRUE(strstr(text, "asyncscope_events_total{") == NULL, "no rows");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_scrapes_total 0\n") != NULL, "self");
	free(text);
	metrics_snapshot_free(&s);
}
