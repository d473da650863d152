/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A minimal HTTP/1.x server for Prometheus scraping, driven from the
 * daemon's epoll loop: GET /metrics answers the Prometheus text format
 * (0.0.4) rendered by a callback, GET / points there, anything else is
 * 404, 405 or 400. One request per connection. No call ever waits for a
 * client: every socket is non-blocking, each connection is a small state
 * machine (read the request head, up to 8 KiB; then write the answer, in
 * as many writes as the client's pace needs), and is closed when it has
 * been silent too long while sending its head or has outlived its deadline
 * (HTTP_IDLE_MS, HTTP_DEADLINE_MS). At most HTTP_MAX_CONNS are open; one
 * more is accepted and closed at once, and counted.
 */
#ifndef __ASYNCSCOPE_METRICS_HTTP_H
#define __ASYNCSCOPE_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HTTP_MAX_CONNS	 64
#define HTTP_IDLE_MS	 1000 /* silence allowed while the request head comes in */
#define HTTP_DEADLINE_MS 3000 /* from accept to the answer's last byte */

struct http_server;

/* Writes the body of GET /metrics (Prometheus text format 0.0.4) to out. */
typedef void (*http_render_fn)(void *ctx, FILE *out);

struct http_server_opts {
	http_render_fn render;
	void *ctx;
	/* 0: the defaults above (tests use smaller ones) */
	unsigned int max_conns, idle_ms, deadline_ms;
};

/* What the server did, for the daemon's self-metrics. */
struct http_server_stats {
	uint64_t requests;  /* answered in full, whatever the status */
	uint64_t refused;   /* closed at once: HTTP_MAX_CONNS were open */
	uint64_t timed_out; /* closed at their idle time or deadline */
};

/*
 * Binds and listens (SO_REUSEADDR, non-blocking, close-on-exec) on
 * "ADDR:PORT". 0 or -errno, with a one-line reason in err
 * ("listen 127.0.0.1:9464: Address already in use").
 */
int http_server_open(const char *listen, const struct http_server_opts *o, struct http_server **out,
		     char *err, size_t errlen);

/* One fd for the caller's epoll (level-triggered, EPOLLIN): an epoll of
 * the server's own, readable when the listening socket or a client is. */
int http_server_fd(const struct http_server *s);

/* Call when that fd is readable: accepts, reads and writes what can be
 * without waiting. */
void http_server_handle(struct http_server *s);

/* Closes the connections past their idle time or deadline; returns the
 * milliseconds until the next one is due, -1 when none is open (an epoll
 * timeout). */
int http_server_tick(struct http_server *s);

const struct http_server_stats *http_server_stats(const struct http_server *s);

/* NULL-safe; closes every open connection too. */
void http_server_close(struct http_server *s);

/* Writes v as a Prometheus label value body (without the surrounding
 * quotes): backslash, double quote and newline escaped. */
void prom_label_value(FILE *out, const char *v);

#endif /* __ASYNCSCOPE_METRICS_HTTP_H */
