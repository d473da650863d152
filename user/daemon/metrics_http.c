// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon_config.h"
#include "daemon/metrics_http.h"

#define HEAD_MAX	8192
#define READ_TIMEOUT_MS 1000
#define SEND_TIMEOUT_MS 2000

struct http_server {
	int fd;
	http_render_fn render;
	void *ctx;
	uint64_t requests;
};

int http_server_open(const char *listen_addr, http_render_fn render, void *ctx,
		     struct http_server **out, char *err, size_t errlen)
{
	struct http_server *s = NULL;
	struct sockaddr_in sin;
	int one = 1, ret;

	*out = NULL;
	if (daemon_config_parse_listen(listen_addr, &sin)) {
		snprintf(err, errlen,
			 "listen %s: expected an IPv4 address and a port 1..65535 (e.g. "
			 "127.0.0.1:9464)",
			 listen_addr ? listen_addr : "(none)");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "listen %s: out of memory", listen_addr);
		return -ENOMEM;
	}
	s->render = render;
	s->ctx = ctx;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* a restarted daemon must not wait out TIME_WAIT of its old scrapes */
	if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(s->fd, 64))
		goto fail;
	*out = s;
	return 0;
fail:
	ret = -errno;
	snprintf(err, errlen, "listen %s: %s", listen_addr, strerror(errno));
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return ret;
}

int http_server_fd(const struct http_server *s)
{
	return s ? s->fd : -1;
}

uint64_t http_server_requests(const struct http_server *s)
{
	return s ? s->requests : 0;
}

void http_server_close(struct http_server *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * SO_RCVTIMEO/SO_SNDTIMEO bound one call only; setting them to what is left
 * of the deadline before each call bounds the whole exchange, so a client
 * trickling a byte at a time cannot hold the loop beyond it. false when the
 * deadline has passed.
 */
static bool arm_timeout(int fd, int opt, int64_t deadline)
{
	int64_t left = deadline - now_ms();
	struct timeval tv;

	if (left <= 0)
		return false;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	return !setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

enum head_state { HEAD_OK, HEAD_NONE, HEAD_PARTIAL, HEAD_TOO_BIG };

/* Reads up to the blank line ending the request head (CRLF CRLF, or LF LF
 * from hand-typed requests). *len is what was read. */
static enum head_state read_head(int fd, char *buf, size_t cap, size_t *len)
{
	int64_t deadline = now_ms() + READ_TIMEOUT_MS;
	size_t n = 0;

	while (n < cap) {
		ssize_t r;

		if (!arm_timeout(fd, SO_RCVTIMEO, deadline))
			break;
		r = recv(fd, buf + n, cap - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* closed, timed out or reset */
		/* look again from a little before the new bytes: a split "\r\n\r\n" */
		for (size_t i = n > 3 ? n - 3 : 0; i < n + (size_t)r; i++) {
			if (buf[i] != '\n')
				continue;
			if ((i >= 1 && buf[i - 1] == '\n') ||
			    (i >= 3 && !memcmp(buf + i - 3, "\r\n\r\n", 4))) {
				*len = i + 1;
				return HEAD_OK;
			}
		}
		n += r;
	}
	*len = n;
	if (n == cap)
		return HEAD_TOO_BIG;
	return n ? HEAD_PARTIAL : HEAD_NONE;
}

/* Sends every iov byte or gives up at the deadline; 0 or -1. */
static int send_all(int fd, struct iovec *iov, int iovcnt)
{
	int64_t deadline = now_ms() + SEND_TIMEOUT_MS;

	while (iovcnt) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = iovcnt};
		ssize_t w;

		if (!iov->iov_len) {
			iov++;
			iovcnt--;
			continue;
		}
		if (!arm_timeout(fd, SO_SNDTIMEO, deadline))
			return -1;
		/* MSG_NOSIGNAL: a scraper hanging up must not kill the daemon with SIGPIPE */
		w = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (w > 0) {
			size_t step = (size_t)w < iov->iov_len ? (size_t)w : iov->iov_len;

			iov->iov_base = (char *)iov->iov_base + step;
			iov->iov_len -= step;
			w -= step;
			if (!iov->iov_len) {
				iov++;
				iovcnt--;
			}
		}
	}
	return 0;
}

static int respond(int fd, const char *status, const char *type, const char *extra,
		   const char *body, size_t len, bool head_only)
{
	char hdr[512];
	struct iovec iov[2];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n"
		     "\r\n",
		     status, type, len, extra ? extra : "");
	iov[0] = (struct iovec){.iov_base = hdr, .iov_len = (size_t)n};
	iov[1] = (struct iovec){.iov_base = (void *)body, .iov_len = head_only ? 0 : len};
	return send_all(fd, iov, 2);
}

static int respond_text(int fd, const char *status, const char *extra, const char *text,
			bool head_only)
{
	return respond(fd, status, "text/plain; charset=utf-8", extra, text, strlen(text),
		       head_only);
}

static int answer_metrics(struct http_server *s, int fd, bool head_only)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = open_memstream(&body, &len);
	if (!f)
		return respond_text(fd, "500 Internal Server Error", NULL, "out of memory\n",
				    head_only);
	if (s->render)
		s->render(s->ctx, f);
	if (fclose(f)) {
		free(body);
		return respond_text(fd, "500 Internal Server Error", NULL, "out of memory\n",
				    head_only);
	}
	/* HEAD renders too: its Content-Length must be that of the GET */
	ret = respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", NULL, body, len,
		      head_only);
	free(body);
	return ret;
}

/* RFC 9110 tchar: an unknown but well-formed method gets 405, not 400 */
static bool is_token_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Answers one request head; 0 when the whole answer went out. */
static int answer(struct http_server *s, int fd, char *head, size_t len)
{
	char *line_end = memchr(head, '\n', len), *method, *target, *version, *sp1, *sp2, *q;
	bool is_get, is_head;

	if (!line_end || memchr(head, '\0', line_end - head))
		goto bad;
	if (line_end > head && line_end[-1] == '\r')
		line_end--;
	*line_end = '\0';
	/* request-line = method SP request-target SP HTTP-version */
	method = head;
	sp1 = strchr(method, ' ');
	if (!sp1 || sp1 == method)
		goto bad;
	*sp1 = '\0';
	target = sp1 + 1;
	sp2 = strchr(target, ' ');
	if (!sp2 || sp2 == target)
		goto bad;
	*sp2 = '\0';
	version = sp2 + 1;
	if (strncmp(version, "HTTP/1.", 7) || !(version[7] >= '0' && version[7] <= '9') ||
	    version[8])
		goto bad;
	for (const char *p = method; *p; p++)
		if (!is_token_char(*p))
			goto bad;
	if (target[0] != '/')
		goto bad;
	q = strchr(target, '?');
	if (q)
		*q = '\0';
	is_get = !strcmp(method, "GET");
	is_head = !strcmp(method, "HEAD");
	if (!is_get && !is_head)
		return respond_text(fd, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
				    "only GET and HEAD are served\n", false);
	if (!strcmp(target, "/metrics"))
		return answer_metrics(s, fd, is_head);
	if (!strcmp(target, "/"))
		return respond_text(fd, "200 OK", NULL,
				    "asyncscope daemon: Prometheus metrics are at /metrics\n",
				    is_head);
	return respond_text(fd, "404 Not Found", NULL, "not found; metrics are at /metrics\n",
			    is_head);
bad:
	return respond_text(fd, "400 Bad Request", NULL, "bad request\n", false);
}

static void serve(struct http_server *s, int fd)
{
	char head[HEAD_MAX], drain[4096];
	size_t len = 0;
	int ret;

	switch (read_head(fd, head, sizeof(head), &len)) {
	case HEAD_NONE:
		return; /* a port probe or a client that gave up: nothing to answer */
	case HEAD_PARTIAL:
		ret = respond_text(fd, "400 Bad Request", NULL, "incomplete request head\n", false);
		break;
	case HEAD_TOO_BIG:
		ret = respond_text(fd, "400 Bad Request", NULL, "request head over 8 KiB\n", false);
		break;
	default:
		ret = answer(s, fd, head, len);
		break;
	}
	if (!ret)
		s->requests++;
	/*
	 * Closing with unread bytes queued makes the kernel send a reset, which
	 * can destroy the answer before the client reads it; so end our side
	 * first and take what has already arrived, without waiting for more.
	 */
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 16 && recv(fd, drain, sizeof(drain), MSG_DONTWAIT) > 0; i++)
		;
}

void http_server_handle(struct http_server *s)
{
	if (!s)
		return;
	for (;;) {
		/* blocking (timeouts bound it), unlike the listening socket */
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			/* the connection died while queued: take the next one */
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			/*
			 * EAGAIN: all taken. EMFILE and the like: leave the
			 * rest queued for the next readable event.
			 */
			return;
		}
		serve(s, fd);
		close(fd);
	}
}

void prom_label_value(FILE *out, const char *v)
{
	if (!v)
		return;
	for (; *v; v++) {
		switch (*v) {
		case '\\':
			fputs("\\\\", out);
			break;
		case '"':
			fputs("\\\"", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		default:
			fputc(*v, out);
		}
	}
}
