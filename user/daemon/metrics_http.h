/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A minimal HTTP/1.x server for Prometheus scraping, driven from the
 * daemon's epoll loop: GET /metrics answers the Prometheus text format
 * (0.0.4) rendered by a callback, GET / points there, anything else is
 * 404, 405 or 400. One request per connection, answered synchronously when
 * the listening socket is readable; every connection is bounded in time
 * (1 s to read the request head, 2 s to send the answer) and in size (8 KiB
 * of request head), so a bad client can stall the loop briefly but never
 * for good.
 */
#ifndef __ASYNCSCOPE_METRICS_HTTP_H
#define __ASYNCSCOPE_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct http_server;

/* Writes the body of GET /metrics (Prometheus text format 0.0.4) to out. */
typedef void (*http_render_fn)(void *ctx, FILE *out);

/*
 * Binds and listens (SO_REUSEADDR, non-blocking, close-on-exec) on
 * "ADDR:PORT". 0 or -errno, with a one-line reason in err
 * ("listen 127.0.0.1:9464: Address already in use").
 */
int http_server_open(const char *listen, http_render_fn render, void *ctx, struct http_server **out,
		     char *err, size_t errlen);

/* The listening socket, for epoll (level-triggered: EPOLLIN). */
int http_server_fd(const struct http_server *s);

/* Call when the listening fd is readable: accepts every pending connection
 * and answers each. */
void http_server_handle(struct http_server *s);

/* Requests answered (whatever the status), for self-metrics. */
uint64_t http_server_requests(const struct http_server *s);

/* NULL-safe. */
void http_server_close(struct http_server *s);

/* Writes v as a Prometheus label value body (without the surrounding
 * quotes): backslash, double quote and newline escaped. */
void prom_label_value(FILE *out, const char *v);

#endif /* __ASYNCSCOPE_METRICS_HTTP_H */
