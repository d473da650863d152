// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known shape: a TCP echo server and N=4 clients in the same loop. Each
 * client connects, writes "ping", reads the echo, and closes; the server
 * echoes with uv_write and closes its side when the client goes away; after
 * the last client the server closes.
 *   expected: 1 listening uv_tcp (trigger 0); N accepted uv_tcp whose
 *   trigger is the listening handle (created in its connection callback);
 *   N client uv_tcp and N uv_connect (trigger 0); N client uv_write
 *   triggered by their uv_connect; N server uv_write triggered by the
 *   accepted connection; every request 1 callback + destroy; every handle
 *   destroyed through its close callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define N 4

struct client {
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	char buf[16];
};

struct conn {
	uv_tcp_t tcp;
	uv_write_t write;
	char buf[64];
};

static uv_tcp_t server;
static struct client clients[N];
static struct conn conns[N];
static int naccepted, nclosed;

static void alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	(void)size;
	if (h->data)
		*b = uv_buf_init(((struct client *)h->data)->buf, sizeof(clients[0].buf));
	else
		*b = uv_buf_init(((struct conn *)((char *)h - offsetof(struct conn, tcp)))->buf, 64);
}

static void on_server_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_conn_closed(uv_handle_t *h)
{
	(void)h;
	if (++nclosed == N)
		uv_close((uv_handle_t *)&server, on_server_closed);
}

static void on_echoed(uv_write_t *w, int status)
{
	(void)w;
	(void)status;
}

static void on_server_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = (struct conn *)((char *)s - offsetof(struct conn, tcp));

	if (n > 0) {
		uv_buf_t out = uv_buf_init(b->base, n);

		uv_write(&c->write, s, &out, 1, on_echoed);
	} else if (n < 0) {
		uv_close((uv_handle_t *)s, on_conn_closed);
	}
}

static void on_connection(uv_stream_t *srv, int status)
{
	struct conn *c = &conns[naccepted++];

	(void)status;
	uv_tcp_init(srv->loop, &c->tcp);
	c->tcp.data = NULL;
	uv_accept(srv, (uv_stream_t *)&c->tcp);
	uv_read_start((uv_stream_t *)&c->tcp, alloc, on_server_read);
}

static void on_client_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	if (n != 0)
		uv_close((uv_handle_t *)s, on_client_closed);
}

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	uv_read_start(w->handle, alloc, on_client_read);
}

static void on_connected(uv_connect_t *req, int status)
{
	struct client *c = req->data;
	uv_buf_t b = uv_buf_init("ping", 4);

	if (status)
		exit(2);
	uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_written);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	struct sockaddr_in addr;
	int namelen = sizeof(addr);

	printf("ready %d\n", (int)uv_os_getpid());
	fflush(stdout);
	getchar();
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(loop, &server);
	uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
	uv_listen((uv_stream_t *)&server, 16, on_connection);
	uv_tcp_getsockname(&server, (struct sockaddr *)&addr, &namelen);
	for (int i = 0; i < N; i++) {
		uv_tcp_init(loop, &clients[i].tcp);
		clients[i].tcp.data = &clients[i];
		clients[i].connect.data = &clients[i];
		uv_tcp_connect(&clients[i].connect, &clients[i].tcp, (const struct sockaddr *)&addr,
			       on_connected);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	return uv_loop_close(loop) ? 1 : 0;
}
