// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon_config.h"
#include "daemon/metrics_http.h"

#define HEAD_MAX 8192

struct http_conn {
	int fd;
	bool writing;	  /* the head is in: the answer is going out */
	int64_t idle_at;  /* while reading: closed if nothing more came by then (ms) */
	int64_t deadline; /* closed then, whatever it is doing */
	char *out;	  /* the whole answer: status line, headers and body */
	size_t out_len, out_off, head_len;
	char head[HEAD_MAX];
};

struct http_server {
	int fd, epfd;
	struct http_server_opts o;
	struct http_conn **conns; /* o.max_conns slots, nconns used */
	size_t nconns;
	struct http_server_stats stats;
};

int http_server_open(const char *listen_addr, const struct http_server_opts *o,
		     struct http_server **out, char *err, size_t errlen)
{
	/* data.ptr NULL: the listening socket; a client's is its http_conn */
	struct epoll_event ev = {.events = EPOLLIN};
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
	s->fd = s->epfd = -1;
	s->o = *o;
	if (!s->o.max_conns)
		s->o.max_conns = HTTP_MAX_CONNS;
	if (!s->o.idle_ms)
		s->o.idle_ms = HTTP_IDLE_MS;
	if (!s->o.deadline_ms)
		s->o.deadline_ms = HTTP_DEADLINE_MS;
	s->conns = calloc(s->o.max_conns, sizeof(*s->conns));
	if (!s->conns)
		goto fail;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* a restarted daemon must not wait out TIME_WAIT of its old scrapes */
	if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(s->fd, 64))
		goto fail;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->fd, &ev))
		goto fail;
	*out = s;
	return 0;
fail:
	ret = -errno;
	snprintf(err, errlen, "listen %s: %s", listen_addr, strerror(-ret));
	http_server_close(s);
	return ret;
}

int http_server_fd(const struct http_server *s)
{
	return s ? s->epfd : -1;
}

const struct http_server_stats *http_server_stats(const struct http_server *s)
{
	static const struct http_server_stats none;

	return s ? &s->stats : &none;
}

/* Forgets c; closing its socket takes it out of the epoll too. */
static void conn_free(struct http_server *s, struct http_conn *c)
{
	for (size_t i = 0; i < s->nconns; i++) {
		if (s->conns[i] == c) {
			s->conns[i] = s->conns[--s->nconns];
			break;
		}
	}
	close(c->fd);
	free(c->out);
	free(c);
}

void http_server_close(struct http_server *s)
{
	if (!s)
		return;
	while (s->nconns)
		conn_free(s, s->conns[0]);
	free(s->conns);
	if (s->epfd >= 0)
		close(s->epfd);
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

/* An answer sent, or a last word at the deadline: c ends. */
static void conn_end(struct http_server *s, struct http_conn *c)
{
	char drain[4096];

	/*
	 * Closing with unread bytes queued makes the kernel send a reset, which
	 * can destroy the answer before the client reads it; so end our side
	 * first and take what has already arrived, without waiting for more.
	 */
	shutdown(c->fd, SHUT_WR);
	for (int i = 0; i < 16 && recv(c->fd, drain, sizeof(drain), 0) > 0; i++)
		;
	conn_free(s, c);
}

/* Sends what the socket takes now, the rest once it is writable again. */
static void conn_write(struct http_server *s, struct http_conn *c)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};

	while (c->out_off < c->out_len) {
		/* MSG_NOSIGNAL: a scraper hanging up must not kill the daemon with SIGPIPE */
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev))
				conn_free(s, c);
			return;
		}
		if (w <= 0) {
			conn_free(s, c); /* the client hung up */
			return;
		}
		c->out_off += w;
	}
	s->stats.requests++;
	conn_end(s, c);
}

/* The whole answer into c->out; 0 or -ENOMEM. */
static int queue(struct http_conn *c, const char *status, const char *type, const char *extra,
		 const char *body, size_t len, bool head_only)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n"
		     "\r\n",
		     status, type, len, extra ? extra : "");
	if (head_only)
		len = 0;
	c->out = malloc(n + len);
	if (!c->out)
		return -ENOMEM;
	memcpy(c->out, hdr, n);
	memcpy(c->out + n, body, len);
	c->out_len = n + len;
	return 0;
}

static int queue_text(struct http_conn *c, const char *status, const char *extra, const char *text,
		      bool head_only)
{
	return queue(c, status, "text/plain; charset=utf-8", extra, text, strlen(text), head_only);
}

static int queue_metrics(struct http_server *s, struct http_conn *c, bool head_only)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = open_memstream(&body, &len);
	if (!f)
		return queue_text(c, "500 Internal Server Error", NULL, "out of memory\n",
				  head_only);
	if (s->o.render)
		s->o.render(s->o.ctx, f);
	if (fclose(f)) {
		free(body);
		return queue_text(c, "500 Internal Server Error", NULL, "out of memory\n",
				  head_only);
	}
	/* HEAD renders too: its Content-Length must be that of the GET */
	ret = queue(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", NULL, body, len,
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

/* Queues the answer to one request head; 0 or -ENOMEM. */
static int answer(struct http_server *s, struct http_conn *c, char *head, size_t len)
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
		return queue_text(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
				  "only GET and HEAD are served\n", false);
	if (!strcmp(target, "/metrics"))
		return queue_metrics(s, c, is_head);
	if (!strcmp(target, "/"))
		return queue_text(c, "200 OK", NULL,
				  "asyncscope daemon: Prometheus metrics are at /metrics\n",
				  is_head);
	return queue_text(c, "404 Not Found", NULL, "not found; metrics are at /metrics\n",
			  is_head);
bad:
	return queue_text(c, "400 Bad Request", NULL, "bad request\n", false);
}

/* The length of the head if it ends in buf[0, to), where buf[0, from) held
 * no end; 0 if not yet. A blank line ends it: CRLF CRLF, or LF LF from
 * hand-typed requests. */
static size_t head_end(const char *buf, size_t from, size_t to)
{
	/* look again from a little before the new bytes: a split "\r\n\r\n" */
	for (size_t i = from > 3 ? from - 3 : 0; i < to; i++) {
		if (buf[i] != '\n')
			continue;
		if ((i >= 1 && buf[i - 1] == '\n') ||
		    (i >= 3 && !memcmp(buf + i - 3, "\r\n\r\n", 4)))
			return i + 1;
	}
	return 0;
}

/* Reads what has come of the request head; once it is whole (or cannot
 * be), the answer starts going out. */
static void conn_read(struct http_server *s, struct http_conn *c)
{
	int err = 0;

	for (;;) {
		size_t end;
		ssize_t r;

		if (c->head_len == HEAD_MAX) {
			err = queue_text(c, "400 Bad Request", NULL, "request head over 8 KiB\n",
					 false);
			break;
		}
		r = recv(c->fd, c->head + c->head_len, HEAD_MAX - c->head_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return; /* the rest later, or never: the deadlines see to that */
		if (r < 0 || (r == 0 && !c->head_len)) {
			/* a reset, a port probe or a client that gave up: nothing to answer */
			conn_free(s, c);
			return;
		}
		if (r == 0) {
			err = queue_text(c, "400 Bad Request", NULL, "incomplete request head\n",
					 false);
			break;
		}
		end = head_end(c->head, c->head_len, c->head_len + r);
		c->head_len += r;
		c->idle_at = now_ms() + s->o.idle_ms;
		if (end) {
			err = answer(s, c, c->head, end);
			break;
		}
	}
	if (err) {
		conn_free(s, c); /* out of memory: no answer to give */
		return;
	}
	c->writing = true;
	conn_write(s, c);
}

/*
 * Takes the connections waiting, at most max_conns a call, so that a flood
 * of them cannot hold the loop either (level-triggered: the epoll wakes the
 * loop again for the rest). Beyond max_conns open, a connection is closed
 * at once: its client learns now, where one left in the backlog would wait
 * for a slot that the clients holding them decide about.
 */
static void accept_some(struct http_server *s)
{
	for (unsigned int i = 0; i < s->o.max_conns; i++) {
		struct epoll_event ev = {.events = EPOLLIN};
		struct http_conn *c;
		int64_t now;
		int fd;

		fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
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
		c = s->nconns < s->o.max_conns ? calloc(1, sizeof(*c)) : NULL;
		ev.data.ptr = c;
		if (!c || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			s->stats.refused++;
			close(fd);
			free(c);
			continue;
		}
		now = now_ms();
		c->fd = fd;
		c->idle_at = now + s->o.idle_ms;
		c->deadline = now + s->o.deadline_ms;
		s->conns[s->nconns++] = c;
		conn_read(s, c); /* the request is often there already */
	}
}

void http_server_handle(struct http_server *s)
{
	struct epoll_event evs[32];
	int n;

	if (!s)
		return;
	/*
	 * Each ready socket once; a connection freed here is only ever that
	 * of the event being handled, so no later event of the batch points
	 * at freed memory.
	 */
	n = epoll_wait(s->epfd, evs, 32, 0);
	for (int i = 0; i < n; i++) {
		struct http_conn *c = evs[i].data.ptr;

		if (!c)
			accept_some(s);
		else if (c->writing)
			conn_write(s, c);
		else
			conn_read(s, c);
	}
}

/* Past its time: a client that sent part of a head is told why, if its
 * socket takes the few bytes now; then it is closed. */
static void conn_expire(struct http_server *s, struct http_conn *c)
{
	static const char timeout[] = "HTTP/1.1 408 Request Timeout\r\n"
				      "Content-Length: 0\r\n"
				      "Connection: close\r\n"
				      "\r\n";

	s->stats.timed_out++;
	if (c->writing || !c->head_len) {
		conn_free(s, c);
		return;
	}
	send(c->fd, timeout, sizeof(timeout) - 1, MSG_NOSIGNAL);
	conn_end(s, c);
}

int http_server_tick(struct http_server *s)
{
	int64_t now = now_ms(), next = INT64_MAX;

	if (!s)
		return -1;
	/* backwards: conn_free moves the last connection into the freed slot */
	for (size_t i = s->nconns; i-- > 0;) {
		struct http_conn *c = s->conns[i];
		int64_t due = c->writing || c->deadline < c->idle_at ? c->deadline : c->idle_at;

		if (due <= now)
			conn_expire(s, c);
		else if (due < next)
			next = due;
	}
	return next == INT64_MAX ? -1 : (int)(next - now);
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
