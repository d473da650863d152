// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The libuv counterpart of fsstat.js: uv_fs_stat with 32 in flight, N in
 * all (env N, default 40000), and a 0 ms timer re-armed 1/8 as often, in a
 * plain C program. Same handshake as the node workloads: prints
 * "ready PID", waits for a line on stdin, then prints {"ms":..,"ops":N}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#define INFLIGHT 32

static uv_fs_t reqs[INFLIGHT];
static uv_timer_t timer;
static long n, started, done;

static void on_stat(uv_fs_t *req);

static void start(uv_fs_t *req)
{
	if (started == n)
		return;
	started++;
	uv_fs_stat(uv_default_loop(), req, "/tmp", on_stat);
}

static void on_timer(uv_timer_t *t)
{
	(void)t;
}

static void on_stat(uv_fs_t *req)
{
	uv_fs_req_cleanup(req);
	if (++done == n) {
		uv_close((uv_handle_t *)&timer, NULL);
		return;
	}
	if (done % 8 == 0)
		uv_timer_start(&timer, on_timer, 0, 0);
	start(req);
}

int main(void)
{
	const char *env = getenv("N");
	char line[16];
	uint64_t t0;

	n = env ? atol(env) : 40000;
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	uv_timer_init(uv_default_loop(), &timer);
	t0 = uv_hrtime();
	for (int i = 0; i < INFLIGHT; i++)
		start(&reqs[i]);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	printf("{\"ms\":%.3f,\"ops\":%ld}\n", (uv_hrtime() - t0) / 1e6, n);
	fflush(stdout);
	return 0;
}
