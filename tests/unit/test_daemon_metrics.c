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
	s.self.pid_label = 1;
	text = render(&s);
	ASSERT_TRUE(text != NULL, "rendered");
	/* label values escaped */
	ASSERT_TRUE(strstr(text, "exe=\"/opt/my \\\"node\\\"\"") != NULL, "quote escaped");
	ASSERT_TRUE(strstr(text, "asyncscope_events_total{pid=\"20\",service=\"\",exe=\"/opt/my "
				 "\\\"node\\\"\","
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
	ASSERT_TRUE(strstr(text, "asyncscope_callback_duration_seconds_count{pid=\"7\",service="
				 "\"\",exe=\"/usr/bin/"
				 "python3\",runtime=\"libuv\",version=\"\",layer=\"uv\","
				 "type=\"uv_tcp\"} 4\n") != NULL,
		    "count");
	/* event-loop time: one series per process, summed over its types */
	ASSERT_TRUE(strstr(text, "asyncscope_event_loop_callback_seconds_total{pid=\"20\",service="
				 "\"\",exe=\"/opt/"
				 "my \\\"node\\\"\",runtime=\"node\",version=\"v22.1.0\"} "
				 "0.000005000\n") != NULL,
		    "loop time summed");
	ASSERT_TRUE(strstr(text, "# TYPE asyncscope_resources_alive gauge\n") != NULL, "TYPE");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_processes_watched 2\n") != NULL, "self");
	free(text);
	metrics_snapshot_free(&s);
}

/* Microtasks: a per-process counter, from the process's own row (no type). */
void test_daemon_metrics__microtasks(void)
{
	struct metrics_snapshot s = {0};
	struct metrics_proc a = {.pid = 20, .exe = "/usr/bin/node", .runtime = "node"};
	struct metrics_proc b = {.pid = 7, .exe = "/usr/bin/python3", .runtime = "libuv"};
	struct agg_counts c = {.events = {1, 1, 1, 1}},
			  mt = {.microtasks = 1234, .rejections = {3, 2}};
	long ia, ib;
	char *text;

	ia = metrics_add_proc(&s, &a);
	ib = metrics_add_proc(&s, &b);
	ASSERT_OK(metrics_add_row(&s, ia, LAYER_NODE, "TCPWRAP", &c), "typed row");
	ASSERT_OK(metrics_add_row(&s, ia, LAYER_NODE, "", &mt), "process row");
	ASSERT_OK(metrics_add_row(&s, ib, LAYER_UV, "uv_tcp", &c), "libuv row");
	s.self.pid_label = 1;
	text = render(&s);
	ASSERT_TRUE(strstr(text, "# TYPE asyncscope_microtasks_total counter\n") != NULL, "TYPE");
	ASSERT_TRUE(
		strstr(text,
		       "asyncscope_microtasks_total{pid=\"20\",service=\"\",exe=\"/usr/bin/node\","
		       "runtime=\"node\",version=\"\"} 1234\n") != NULL,
		"node process count");
	ASSERT_TRUE(
		strstr(text,
		       "asyncscope_promise_rejections_total{pid=\"20\",service=\"\",exe=\"/usr/bin/"
		       "node\",runtime=\"node\",version=\"\",kind=\"unhandled\"} 3\n") != NULL,
		"unhandled");
	ASSERT_TRUE(strstr(text, "kind=\"handled_late\"} 2\n") != NULL, "handled late");
	ASSERT_TRUE(strstr(text, "asyncscope_microtasks_total{pid=\"7\"") == NULL,
		    "none for a libuv process");
	ASSERT_TRUE(strstr(text, "type=\"\"") == NULL, "the process row is not a type");
	free(text);
	metrics_snapshot_free(&s);
}

void test_daemon_metrics__sampled_and_exited(void)
{
	struct metrics_snapshot s = {0}, one = {0};
	struct metrics_proc a = {
		.pid = 30, .exe = "/usr/bin/node", .runtime = "node", .observed_s = 1.25};
	struct metrics_proc gone = {.pid = 31,
				    .exe = "/usr/bin/node",
				    .runtime = "node",
				    .observed_s = 0.5,
				    .exited = 1};
	struct metrics_exe e = {.exe = "/usr/bin/node", .runtime = "node", .exited = 4};
	struct agg_counts c = {.events = {8, 8, 8, 8}, .alive = 1};
	char *text;

	metrics_add_row(&s, metrics_add_proc(&s, &a), LAYER_NODE, "TCPWRAP", &c);
	metrics_add_row(&one, metrics_add_proc(&one, &gone), LAYER_NODE, "FSREQCALLBACK", &c);
	ASSERT_OK(metrics_merge(&s, &one), "merged");
	ASSERT_OK(metrics_add_exe(&s, &e), "exe");
	ASSERT_OK(metrics_add_exe(&s, &e), "same exe again: added up");
	s.self.sampled = 1;
	s.self.sample_window_s = 1;
	s.self.sample_period_s = 20;
	s.self.pid_label = 1;
	text = render(&s);
	ASSERT_TRUE(strstr(text, "asyncscope_resources_alive") == NULL, "no alive when sampled");
	ASSERT_TRUE(
		strstr(text,
		       "asyncscope_observed_seconds_total{pid=\"30\",service=\"\",exe=\"/usr/bin/"
		       "node\",runtime=\"node\",version=\"\"} 1.250000000\n") != NULL,
		"observed seconds");
	ASSERT_TRUE(
		strstr(text,
		       "asyncscope_process_exited{pid=\"31\",service=\"\",exe=\"/usr/bin/node\","
		       "runtime=\"node\",version=\"\"} 1\n") != NULL,
		"exited marked");
	ASSERT_TRUE(
		strstr(text,
		       "asyncscope_process_exited{pid=\"30\",service=\"\",exe=\"/usr/bin/node\","
		       "runtime=\"node\",version=\"\"} 0\n") != NULL,
		"running one not");
	ASSERT_TRUE(strstr(text, "type=\"FSREQCALLBACK\",event=\"init\"} 8\n") != NULL,
		    "exited process's final counts");
	ASSERT_TRUE(strstr(text, "asyncscope_processes_exited_total{exe=\"/usr/bin/node\","
				 "runtime=\"node\",version=\"\"} 8\n") != NULL,
		    "exits per exe");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_mode{mode=\"sampled\"} 1\n") != NULL, "mode");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_sample_period_seconds 20\n") != NULL, "period");
	free(text);
	s.self.sampled = 0;
	s.self.pid_label = 1;
	text = render(&s);
	ASSERT_TRUE(strstr(text, "asyncscope_resources_alive{pid=\"30\"") != NULL, "exact: alive");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_mode{mode=\"exact\"} 1\n") != NULL, "exact");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_sample_period_seconds") == NULL,
		    "no schedule when exact");
	free(text);
	metrics_snapshot_free(&one);
	metrics_snapshot_free(&s);
}

void test_daemon_metrics__empty(void)
{
	struct metrics_snapshot s = {.self = {.http_refused = 2, .http_timed_out = 7}};
	char *text = render(&s);

	/* no process: only the families and the daemon's own figures */
	ASSERT_TRUE(strstr(text, "asyncscope_events_total{") == NULL, "no rows");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_scrapes_total 0\n") != NULL, "self");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_http_connections_refused_total 2\n") != NULL,
		    "refused connections");
	ASSERT_TRUE(strstr(text, "asyncscope_daemon_http_connections_timed_out_total 7\n") != NULL,
		    "timed-out connections");
	free(text);
	metrics_snapshot_free(&s);
}

/* metrics_pid_label = off (the default): two processes of one service and
 * build are one series set, no pid label; another service stays apart */
void test_daemon_metrics__folded_without_pid(void)
{
	struct metrics_snapshot s = {0};
	struct metrics_proc a = {.pid = 20,
				 .service = "api.service",
				 .exe = "/usr/bin/node",
				 .runtime = "node",
				 .version = "v22.1.0",
				 .observed_s = 2};
	struct metrics_proc b = a, c = a;
	struct agg_counts k = {
		.events = {5, 4, 4, 3}, .alive = 2, .cb_max_ns = 7000, .loop_ns = 1000};
	struct agg_counts l = {
		.events = {1, 1, 1, 0}, .alive = 1, .cb_max_ns = 9000, .loop_ns = 500};
	char *text;

	b.pid = 21;
	b.exited = 1; /* what it left alive is gone */
	c.pid = 30;
	snprintf(c.service, sizeof(c.service), "worker.service");
	metrics_add_proc(&s, &a);
	metrics_add_proc(&s, &b);
	metrics_add_proc(&s, &c);
	metrics_add_row(&s, 0, LAYER_NODE, "TCPWRAP", &k);
	metrics_add_row(&s, 1, LAYER_NODE, "TCPWRAP", &l);
	metrics_add_row(&s, 2, LAYER_NODE, "TCPWRAP", &l);
	text = render(&s);
	ASSERT_TRUE(strstr(text, "pid=") == NULL, "no pid label");
	ASSERT_TRUE(strstr(text, "asyncscope_events_total{service=\"api.service\",exe=\"/usr/bin/"
				 "node\",runtime=\"node\",version=\"v22.1.0\",layer=\"node\","
				 "type=\"TCPWRAP\",event=\"init\"} 6\n") != NULL,
		    "inits of both api processes summed");
	ASSERT_TRUE(strstr(text,
			   "asyncscope_resources_alive{service=\"api.service\",exe=\"/usr/bin/"
			   "node\",runtime=\"node\",version=\"v22.1.0\",layer=\"node\","
			   "type=\"TCPWRAP\"} 2\n") != NULL,
		    "the exited process's resources are not alive");
	ASSERT_TRUE(strstr(text, "asyncscope_callback_duration_max_seconds{service=\"api.service\","
				 "exe=\"/usr/bin/node\",runtime=\"node\",version=\"v22.1.0\","
				 "layer=\"node\",type=\"TCPWRAP\"} 0.000009000\n") != NULL,
		    "the longest of both");
	ASSERT_TRUE(strstr(text, "asyncscope_observed_seconds_total{service=\"api.service\",exe=\"/"
				 "usr/bin/node\",runtime=\"node\",version=\"v22.1.0\"} "
				 "4.000000000\n") != NULL,
		    "observed time summed");
	ASSERT_TRUE(strstr(text,
			   "asyncscope_events_total{service=\"worker.service\",exe=\"/usr/bin/"
			   "node\",runtime=\"node\",version=\"v22.1.0\",layer=\"node\","
			   "type=\"TCPWRAP\",event=\"init\"} 1\n") != NULL,
		    "another service apart");
	ASSERT_TRUE(strstr(text, "asyncscope_build_info{version=\"") != NULL, "build_info");
	free(text);
	metrics_snapshot_free(&s);
}
