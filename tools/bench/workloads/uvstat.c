// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The libuv counterpart of fsstat.js: uv_fs_stat with 32 in flight, N in
 * all (env N, default 40000), a 0 ms timer re-armed 1/8 as often, and a
 * loopback TCP ping-pong (16-byte messages echoed back) running alongside
 * until the stats are done, in a plain C program: timers + fs + tcp. Same
 * handshake as the node workloads: prints "ready PID", waits for a line on
 * stdin, then prints {"ms":..,"ops":N,"pings":P}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define INFLIGHT 32

static uv_fs_t reqs[INFLIGHT];
static uv_timer_t timer;
static long n, started, done, pings;

/* the TCP ping-pong: client -> server end -> echoed back */
static uv_tcp_t server, client, peer;
static uv_connect_t connect_req;
static char bufs[2][16];
static int stopping, peer_open;

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	(void)size;
	*buf = uv_buf_init(bufs[h == (uv_handle_t *)&peer], sizeof(bufs[0]));
}

static void on_write(uv_write_t *w, int status)
{
	(void)status;
	free(w);
}

static void send_on(uv_stream_t *s, const char *data, size_t len)
{
	uv_write_t *w = malloc(sizeof(*w));
	uv_buf_t b = uv_buf_init((char *)data, len);

	if (w && uv_write(w, s, &b, 1, on_write))
		free(w);
}

static void stop_tcp(void)
{
	stopping = 1;
	uv_close((uv_handle_t *)&client, NULL);
	if (peer_open)
		uv_close((uv_handle_t *)&peer, NULL);
	uv_close((uv_handle_t *)&server, NULL);
}

static void on_peer_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	if (nread > 0 && !stopping)
		send_on(s, buf->base, nread); /* echo */
}

static void on_client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	if (nread > 0 && !stopping) {
		pings++;
		send_on(s, "ping-ping-ping!!", 16);
	}
}

static void on_connection(uv_stream_t *srv, int status)
{
	if (status || stopping)
		return;
	uv_tcp_init(uv_default_loop(), &peer);
	peer_open = 1;
	if (uv_accept(srv, (uv_stream_t *)&peer) == 0)
		uv_read_start((uv_stream_t *)&peer, alloc_cb, on_peer_read);
}

static void on_connect(uv_connect_t *req, int status)
{
	if (status || stopping)
		return;
	uv_read_start(req->handle, alloc_cb, on_client_read);
	send_on(req->handle, "ping-ping-ping!!", 16);
}

static int start_tcp(void)
{
	struct sockaddr_in addr;
	int len = sizeof(addr);

	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(uv_default_loop(), &server);
	uv_tcp_init(uv_default_loop(), &client);
	if (uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0) ||
	    uv_listen((uv_stream_t *)&server, 8, on_connection) ||
	    uv_tcp_getsockname(&server, (struct sockaddr *)&addr, &len))
		return -1;
	return uv_tcp_connect(&connect_req, &client, (const struct sockaddr *)&addr, on_connect);
}

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
		stop_tcp();
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
	if (start_tcp()) {
		fprintf(stderr, "uvstat: cannot set up the loopback TCP pair\n");
		return 1;
	}
	for (int i = 0; i < INFLIGHT; i++)
		start(&reqs[i]);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	printf("{\"ms\":%.3f,\"ops\":%ld,\"pings\":%ld}\n", (uv_hrtime() - t0) / 1e6, n, pings);
	fflush(stdout);
	return 0;
}
