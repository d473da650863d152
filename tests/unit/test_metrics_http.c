// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * metrics_http: real sockets on 127.0.0.1, client and server in this one
 * thread. http_server_handle() never waits, so a client reads its answer
 * while calling it between reads (read_all), as the daemon's loop would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/metrics_http.h"
#include "unit.h"

struct render_ctx {
	int calls;
	size_t lines;
};

static void render(void *ctx, FILE *out)
{
	struct render_ctx *r = ctx;

	r->calls++;
	fputs("# HELP asyncscope_test_total A test counter.\n"
	      "# TYPE asyncscope_test_total counter\n",
	      out);
	for (size_t i = 0; i < r->lines; i++)
		fprintf(out, "asyncscope_test_total{line=\"%zu\"} %zu\n", i, i * 7);
}

/* The expected body, rendered the same way into memory. */
static char *expected_body(size_t lines, size_t *len)
{
	struct render_ctx r = {.lines = lines};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	render(&r, f);
	fclose(f);
	return buf;
}

/* A high port from the pid, moving on while one is taken by someone else;
 * limits NULL: the defaults. */
static struct http_server *open_server(struct render_ctx *ctx,
				       const struct http_server_opts *limits, int *port)
{
	struct http_server_opts o = limits ? *limits : (struct http_server_opts){0};
	struct http_server *s = NULL;
	char addr[64], err[256];

	o.render = render;
	o.ctx = ctx;
	for (int i = 0; i < 32; i++) {
		int ret;

		*port = 39000 + (getpid() * 7 + i * 31) % 1000;
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", *port);
		ret = http_server_open(addr, &o, &s, err, sizeof(err));
		if (!ret)
			return s;
		if (ret != -EADDRINUSE) {
			UNIT_FAIL("http_server_open %s: %d %s", addr, ret, err);
			return NULL;
		}
	}
	UNIT_FAIL("no free port in 39000..39999");
	return NULL;
}

/* A connected client that has sent req (len bytes); -1 on failure.
 * rcvbuf: its receive buffer (0: the kernel's), set before connecting so
 * that the window it offers is that small. */
static int client_rcvbuf(int port, const char *req, size_t len, int rcvbuf)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!ASSERT_TRUE(fd >= 0, "client socket"))
		return -1;
	/* a server bug must fail the test, not hang it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (!ASSERT_OK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), "connect") ||
	    (len && !ASSERT_EQ(send(fd, req, len, MSG_NOSIGNAL), len, "request sent"))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int client(int port, const char *req, size_t len)
{
	return client_rcvbuf(port, req, len, 0);
}

static void close_clients(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Everything up to EOF (5 s at most), NUL-terminated, serving s (NULL:
 * nothing to serve) between reads; closes fd. */
static char *read_all(struct http_server *s, int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	double until = now_s() + 5;
	ssize_t r = -1;

	while (now_s() < until) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		http_server_handle(s);
		if (poll(&p, 1, 10) <= 0)
			continue;
		r = recv(fd, buf + n, cap - n - 1, 0);
		if (r <= 0)
			break;
		n += r;
		if (cap - n < 2048)
			buf = realloc(buf, cap *= 2);
	}
	ASSERT_TRUE(r == 0, "answer ends with EOF");
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

struct response {
	char *raw;
	size_t len;
	const char *status; /* "HTTP/1.1 200 OK" */
	const char *headers;
	const char *body;
	size_t body_len;
	long long content_length; /* -1: none */
};

/* One request through a fresh connection; false when no answer parsed. */
static bool exchange(struct http_server *s, int port, const char *req, size_t len,
		     struct response *r)
{
	int fd = client(port, req, len);
	char *end, *cl;

	memset(r, 0, sizeof(*r));
	if (fd < 0)
		return false;
	r->raw = read_all(s, fd, &r->len);
	end = strstr(r->raw, "\r\n\r\n");
	if (!ASSERT_TRUE(end != NULL, "header block ends"))
		return false;
	*end = '\0';
	r->body = end + 4;
	r->body_len = r->len - (r->body - r->raw);
	r->status = r->raw;
	end = strstr(r->raw, "\r\n");
	if (end) {
		*end = '\0';
		r->headers = end + 2;
	} else {
		r->headers = "";
	}
	cl = strstr(r->headers, "Content-Length: ");
	r->content_length = cl ? atoll(cl + 16) : -1;
	return true;
}

static bool has_header(const struct response *r, const char *line)
{
	size_t n = strlen(line);

	for (const char *h = r->headers; h && *h;) {
		if (!strncmp(h, line, n) && (h[n] == '\r' || h[n] == '\0'))
			return true;
		h = strstr(h, "\r\n");
		if (h)
			h += 2;
	}
	return false;
}

#define REQ(s) s, sizeof(s) - 1

void test_metrics_http__get_metrics(void)
{
	struct render_ctx ctx = {.lines = 300};
	struct http_server *s;
	struct response r;
	char *want;
	size_t want_len;
	int port;

	s = open_server(&ctx, NULL, &port);
	if (!s)
		return;
	want = expected_body(ctx.lines, &want_len);
	if (exchange(s, port, REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), &r)) {
		ASSERT_STREQ(r.status, "HTTP/1.1 200 OK", "status line");
		ASSERT_TRUE(
			has_header(&r, "Content-Type: text/plain; version=0.0.4; charset=utf-8"),
			r.headers);
		ASSERT_TRUE(has_header(&r, "Connection: close"), r.headers);
		ASSERT_EQ(r.content_length, r.body_len, "Content-Length is the body size");
		ASSERT_EQ(r.body_len, want_len, "body size");
		ASSERT_TRUE(r.body_len == want_len && !memcmp(r.body, want, want_len),
			    "body is what render wrote");
		ASSERT_EQ(ctx.calls, 1, "rendered once");
	}
	free(r.raw);

	/* query string ignored; HTTP/1.0 and bare LFs accepted */
	if (exchange(s, port, REQ("GET /metrics?name[]=x HTTP/1.0\n\n"), &r)) {
		ASSERT_STREQ(r.status, "HTTP/1.1 200 OK", "query string ignored");
		ASSERT_EQ(r.body_len, want_len, "same body");
	}
	free(r.raw);

	/* HEAD: the same headers, no body */
	if (exchange(s, port, REQ("HEAD /metrics HTTP/1.1\r\n\r\n"), &r)) {
		ASSERT_STREQ(r.status, "HTTP/1.1 200 OK", "HEAD status");
		ASSERT_EQ(r.content_length, want_len, "HEAD Content-Length as for GET");
		ASSERT_EQ(r.body_len, 0, "HEAD has no body");
	}
	free(r.raw);
	ASSERT_EQ(http_server_stats(s)->requests, 3, "three answered");
	free(want);
	http_server_close(s);
}

void test_metrics_http__other_paths_and_methods(void)
{
	static const struct {
		const char *req, *status;
	} cases[] = {
		{"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK"},
		{"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"GET /metrics/ HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
		 "HTTP/1.1 405 Method Not Allowed"},
		{"DELETE / HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
		{"hello\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"GET /metrics\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"GET /metrics HTTP/2.0\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"GET metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"GET  /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"G(T /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	};
	struct render_ctx ctx = {.lines = 1};
	struct http_server *s;
	struct response r;
	int port;

	s = open_server(&ctx, NULL, &port);
	if (!s)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (exchange(s, port, cases[i].req, strlen(cases[i].req), &r)) {
			ASSERT_STREQ(r.status, cases[i].status, cases[i].req);
			ASSERT_EQ(r.content_length, r.body_len, cases[i].req);
			ASSERT_TRUE(has_header(&r, "Connection: close"), cases[i].req);
		}
		if (!strncmp(cases[i].req, "GET / ", 6))
			ASSERT_TRUE(r.body && strstr(r.body, "/metrics"), "/ points at /metrics");
		if (!strncmp(cases[i].req, "DELETE", 6))
			ASSERT_TRUE(has_header(&r, "Allow: GET, HEAD"), "405 says what is allowed");
		free(r.raw);
	}
	ASSERT_EQ(ctx.calls, 0, "nothing rendered for other paths");
	ASSERT_EQ(http_server_stats(s)->requests, sizeof(cases) / sizeof(cases[0]), "all answered");
	http_server_close(s);
}

void test_metrics_http__oversized_and_nul(void)
{
	struct render_ctx ctx = {0};
	struct http_server *s;
	struct response r;
	char big[9000];
	int port;

	s = open_server(&ctx, NULL, &port);
	if (!s)
		return;
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', sizeof(big) - 5);
	if (exchange(s, port, big, sizeof(big), &r))
		ASSERT_STREQ(r.status, "HTTP/1.1 400 Bad Request", "head over 8 KiB");
	free(r.raw);
	if (exchange(s, port, REQ("GET /metrics\0 HTTP/1.1\r\n\r\n"), &r))
		ASSERT_STREQ(r.status, "HTTP/1.1 400 Bad Request", "NUL in request line");
	free(r.raw);
	ASSERT_EQ(ctx.calls, 0, "nothing rendered");
	http_server_close(s);
}

void test_metrics_http__several_pending_and_none(void)
{
	struct render_ctx ctx = {.lines = 2};
	struct http_server *s;
	int port, fds[3];
	char *a;
	size_t len;

	s = open_server(&ctx, NULL, &port);
	if (!s)
		return;
	/* nothing pending: returns at once */
	http_server_handle(s);
	ASSERT_EQ(http_server_stats(s)->requests, 0, "nothing answered");

	fds[0] = client(port, REQ("GET /metrics HTTP/1.1\r\n\r\n"));
	fds[1] = client(port, REQ("GET /x HTTP/1.1\r\n\r\n"));
	fds[2] = client(port, NULL, 0); /* connects and hangs up: nothing to answer */
	if (fds[2] >= 0)
		close(fds[2]);
	http_server_handle(s);
	ASSERT_EQ(http_server_stats(s)->requests, 2, "both requests in one call");
	for (int i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		a = read_all(s, fds[i], &len);
		ASSERT_TRUE(!strncmp(a, i ? "HTTP/1.1 404" : "HTTP/1.1 200", 12), a);
		free(a);
	}
	http_server_close(s);
}

void test_metrics_http__idle_clients_do_not_block(void)
{
	struct render_ctx ctx = {.lines = 1};
	struct http_server *s;
	struct response r;
	int port, fds[6];
	double t0, took;

	s = open_server(&ctx, NULL, &port);
	if (!s)
		return;
	/* three say nothing, three start a head and stop */
	for (int i = 0; i < 6; i++)
		fds[i] = i < 3 ? client(port, NULL, 0) :
				 client(port, REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
	t0 = now_s();
	http_server_handle(s);
	took = now_s() - t0;
	ASSERT_TRUE(took < 0.1, "handle does not wait for clients that say nothing or too little");
	if (exchange(s, port, REQ("GET /metrics HTTP/1.1\r\n\r\n"), &r))
		ASSERT_STREQ(r.status, "HTTP/1.1 200 OK", "answered beside them");
	free(r.raw);
	ASSERT_EQ(http_server_stats(s)->timed_out, 0, "the six still open");
	ASSERT_TRUE(http_server_tick(s) > 0, "their idle time is ahead");
	close_clients(fds, 6);
	http_server_close(s);
}

/* Appends what fd holds now to buf (*n bytes, NUL-terminated); true once
 * the server has closed it (EOF or reset). */
static bool closed_yet(int fd, char *buf, size_t cap, size_t *n)
{
	for (;;) {
		ssize_t r = recv(fd, buf + *n, cap - *n - 1, MSG_DONTWAIT);

		if (r <= 0)
			return r == 0 || (errno != EAGAIN && errno != EINTR);
		*n += r;
		buf[*n] = '\0';
	}
}

void test_metrics_http__deadlines(void)
{
	struct http_server_opts lim = {.idle_ms = 200, .deadline_ms = 600};
	struct render_ctx ctx = {0};
	struct http_server *s;
	char got[2][512] = {""};
	size_t n[2] = {0, 0};
	double t0, next_byte, closed_at[2] = {0, 0};
	int port, fds[2], due;

	s = open_server(&ctx, &lim, &port);
	if (!s)
		return;
	ASSERT_EQ(http_server_tick(s), -1, "no connection: no deadline");
	/* one says nothing; one starts a head and adds a byte every 50 ms */
	fds[0] = client(port, NULL, 0);
	fds[1] = client(port, REQ("GET /metrics HTTP/1.1\r\n"));
	if (fds[0] < 0 || fds[1] < 0)
		goto out;
	t0 = now_s();
	http_server_handle(s);
	due = http_server_tick(s);
	ASSERT_TRUE(due > 0 && due <= 200, "next due: the idle time");
	next_byte = t0 + 0.05;
	while (now_s() - t0 < 1.5 && !(closed_at[0] && closed_at[1])) {
		http_server_tick(s);
		poll(NULL, 0, 5);
		http_server_handle(s);
		if (!closed_at[1] && now_s() >= next_byte) {
			send(fds[1], "X", 1, MSG_NOSIGNAL);
			next_byte += 0.05;
		}
		for (int i = 0; i < 2; i++)
			if (!closed_at[i] && closed_yet(fds[i], got[i], sizeof(got[i]), &n[i]))
				closed_at[i] = now_s() - t0;
	}
	ASSERT_TRUE(closed_at[0] >= 0.2 && closed_at[0] < 0.45, "silent client closed at ~0.2 s");
	ASSERT_EQ(n[0], 0, "... with no answer");
	ASSERT_TRUE(closed_at[1] >= 0.6 && closed_at[1] < 0.9, "trickling client closed at ~0.6 s");
	ASSERT_TRUE(!strncmp(got[1], "HTTP/1.1 408 ", 13), got[1]);
	ASSERT_EQ(http_server_stats(s)->timed_out, 2, "both counted");
	ASSERT_EQ(http_server_stats(s)->requests, 0, "nothing answered");
	ASSERT_EQ(http_server_tick(s), -1, "none left");
out:
	close_clients(fds, 2);
	http_server_close(s);
}

void test_metrics_http__connection_cap(void)
{
	struct http_server_opts lim = {.max_conns = 3};
	struct render_ctx ctx = {.lines = 1};
	struct http_server *s;
	struct response r;
	int port, fds[3], extra;
	size_t len;
	char *a;

	s = open_server(&ctx, &lim, &port);
	if (!s)
		return;
	for (int i = 0; i < 3; i++)
		fds[i] = client(port, NULL, 0);
	http_server_handle(s);
	extra = client(port, NULL, 0); /* with a request unread, the close would be a reset */
	http_server_handle(s);
	ASSERT_EQ(http_server_stats(s)->refused, 1, "the fourth closed at once");
	if (extra >= 0) {
		a = read_all(NULL, extra, &len);
		ASSERT_EQ(len, 0, "... unanswered");
		free(a);
	}
	/* a slot freed: served again */
	close_clients(fds, 1);
	http_server_handle(s);
	if (exchange(s, port, REQ("GET /metrics HTTP/1.1\r\n\r\n"), &r))
		ASSERT_STREQ(r.status, "HTTP/1.1 200 OK", "served once a slot is free");
	free(r.raw);
	ASSERT_EQ(http_server_stats(s)->refused, 1, "no more refused");
	close_clients(fds + 1, 2);
	http_server_close(s);
}

void test_metrics_http__slow_reader_does_not_block(void)
{
	struct render_ctx ctx = {.lines = 200000};
	struct http_server *s;
	double t0, took;
	size_t len, want_len;
	char *a, *want;
	int port, fd;

	s = open_server(&ctx, NULL, &port);
	if (!s)
		return;
	want = expected_body(ctx.lines, &want_len);
	/* a small window: the ~9 MB answer goes out in many writes */
	fd = client_rcvbuf(port, REQ("GET /metrics HTTP/1.1\r\n\r\n"), 4096);
	if (fd < 0)
		goto out;
	t0 = now_s();
	http_server_handle(s);
	took = now_s() - t0;
	ASSERT_TRUE(took < 0.5, "handle does not wait for a client that does not read");
	ASSERT_EQ(http_server_stats(s)->requests, 0, "the answer not all out yet");
	a = read_all(s, fd, &len);
	ASSERT_TRUE(len > want_len && !memcmp(a + len - want_len, want, want_len),
		    "the whole body, in order");
	ASSERT_EQ(http_server_stats(s)->requests, 1, "answered once all out");
	ASSERT_EQ(ctx.calls, 1, "rendered once");
	free(a);
out:
	free(want);
	http_server_close(s);
}

void test_metrics_http__port_in_use(void)
{
	struct render_ctx ctx = {0};
	struct http_server_opts opts = {.render = render, .ctx = &ctx};
	struct http_server *s, *s2 = (void *)1;
	char addr[64], err[256] = "", want[128];
	int port, ret;

	s = open_server(&ctx, NULL, &port);
	if (!s)
		return;
	ASSERT_TRUE(http_server_fd(s) >= 0, "listening fd");
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	ret = http_server_open(addr, &opts, &s2, err, sizeof(err));
	ASSERT_EQ(ret, -EADDRINUSE, "second server on the same port");
	ASSERT_TRUE(s2 == NULL, "no server returned");
	snprintf(want, sizeof(want), "listen %s: Address already in use", addr);
	ASSERT_STREQ(err, want, "one-line reason");

	ret = http_server_open("127.0.0.1:0", &opts, &s2, err, sizeof(err));
	ASSERT_EQ(ret, -EINVAL, "port 0 refused");
	ASSERT_TRUE(!strncmp(err, "listen 127.0.0.1:0: ", 20), err);
	ret = http_server_open("localhost:9464", &opts, &s2, err, sizeof(err));
	ASSERT_EQ(ret, -EINVAL, "hostname refused");
	http_server_close(s);
	http_server_close(NULL);
}

void test_metrics_http__prom_label_value(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	prom_label_value(f, "plain /usr/bin/node");
	fputc('|', f);
	prom_label_value(f, "a\\b\"c\"\nd");
	fputc('|', f);
	prom_label_value(f, "");
	prom_label_value(f, NULL);
	fputc('|', f);
	prom_label_value(f, "tab\there ünïcode");
	fclose(f);
	ASSERT_STREQ(buf, "plain /usr/bin/node|a\\\\b\\\"c\\\"\\nd||tab\there ünïcode", "escaped");
	free(buf);
}
