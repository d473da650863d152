// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * metrics_http: real sockets on 127.0.0.1. Handling is synchronous in this
 * thread, so each client sends its whole request before
 * http_server_handle() and reads the answer after.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

/* A high port from the pid, moving on while one is taken by someone else. */
static struct http_server *open_server(struct render_ctx *ctx, int *port)
{
	struct http_server *s = NULL;
	char addr[64], err[256];

	for (int i = 0; i < 32; i++) {
		int ret;

		*port = 39000 + (getpid() * 7 + i * 31) % 1000;
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", *port);
		ret = http_server_open(addr, render, ctx, &s, err, sizeof(err));
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

/* A connected client that has sent req (len bytes); -1 on failure. */
static int client(int port, const char *req, size_t len)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!ASSERT_TRUE(fd >= 0, "client socket"))
		return -1;
	/* a server bug must fail the test, not hang it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!ASSERT_OK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), "connect") ||
	    (len && !ASSERT_EQ(send(fd, req, len, MSG_NOSIGNAL), len, "request sent"))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Everything up to EOF, NUL-terminated; closes fd. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	while ((r = recv(fd, buf + n, cap - n - 1, 0)) > 0) {
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
	http_server_handle(s);
	r->raw = read_all(fd, &r->len);
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

	s = open_server(&ctx, &port);
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
	ASSERT_EQ(http_server_requests(s), 3, "three answered");
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

	s = open_server(&ctx, &port);
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
	ASSERT_EQ(http_server_requests(s), sizeof(cases) / sizeof(cases[0]), "all answered");
	http_server_close(s);
}

void test_metrics_http__oversized_and_nul(void)
{
	struct render_ctx ctx = {0};
	struct http_server *s;
	struct response r;
	char big[9000];
	int port;

	s = open_server(&ctx, &port);
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

	s = open_server(&ctx, &port);
	if (!s)
		return;
	/* nothing pending: returns at once */
	http_server_handle(s);
	ASSERT_EQ(http_server_requests(s), 0, "nothing answered");

	fds[0] = client(port, REQ("GET /metrics HTTP/1.1\r\n\r\n"));
	fds[1] = client(port, REQ("GET /x HTTP/1.1\r\n\r\n"));
	fds[2] = client(port, NULL, 0); /* connects and hangs up: nothing to answer */
	if (fds[2] >= 0)
		close(fds[2]);
	http_server_handle(s);
	ASSERT_EQ(http_server_requests(s), 2, "both requests in one call");
	for (int i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		a = read_all(fds[i], &len);
		ASSERT_TRUE(!strncmp(a, i ? "HTTP/1.1 404" : "HTTP/1.1 200", 12), a);
		free(a);
	}
	http_server_close(s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void test_metrics_http__slow_client_is_bounded(void)
{
	struct render_ctx ctx = {0};
	struct http_server *s;
	double t0, took;
	char *a;
	size_t len;
	int port, fd;

	s = open_server(&ctx, &port);
	if (!s)
		return;
	/* a request head that never ends: given up after about a second */
	fd = client(port, REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
	if (fd < 0)
		goto out;
	t0 = now_s();
	http_server_handle(s);
	took = now_s() - t0;
	ASSERT_TRUE(took > 0.8 && took < 2.5, "read bounded by ~1 s");
	a = read_all(fd, &len);
	ASSERT_TRUE(!strncmp(a, "HTTP/1.1 400 ", 13), a);
	free(a);
out:
	http_server_close(s);
}

void test_metrics_http__port_in_use(void)
{
	struct render_ctx ctx = {0};
	struct http_server *s, *s2 = (void *)1;
	char addr[64], err[256] = "", want[128];
	int port, ret;

	s = open_server(&ctx, &port);
	if (!s)
		return;
	ASSERT_TRUE(http_server_fd(s) >= 0, "listening fd");
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	ret = http_server_open(addr, render, &ctx, &s2, err, sizeof(err));
	ASSERT_EQ(ret, -EADDRINUSE, "second server on the same port");
	ASSERT_TRUE(s2 == NULL, "no server returned");
	snprintf(want, sizeof(want), "listen %s: Address already in use", addr);
	ASSERT_STREQ(err, want, "one-line reason");

	ret = http_server_open("127.0.0.1:0", render, &ctx, &s2, err, sizeof(err));
	ASSERT_EQ(ret, -EINVAL, "port 0 refused");
	ASSERT_TRUE(!strncmp(err, "listen 127.0.0.1:0: ", 20), err);
	ret = http_server_open("localhost:9464", render, &ctx, &s2, err, sizeof(err));
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
