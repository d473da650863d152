/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Drains the ring buffer in batches, decodes records into events for a sink,
 * and counts what it could not use. Unknown records are counted and skipped.
 */
#ifndef __ASYNCSCOPE_INGEST_H
#define __ASYNCSCOPE_INGEST_H

#include "event/event.h"
#include "resolve/resolve_node.h"

struct ingest;

/* 0 or -errno. summary counts are updated as records arrive. */
int ingest_new(int ringbuf_fd, const struct node_layout *layout, const struct event_sink *sink,
	       struct capture_summary *summary, struct ingest **out);
/* Waits up to timeout_ms, then consumes everything pending. Returns the
 * number of records, the sink's stop value (> 0 as -ECANCELED), or -errno. */
int ingest_poll(struct ingest *in, int timeout_ms);
void ingest_free(struct ingest *in);
/* --js-stacks: EV_JS_STACK records are symbolized with js (owned by the
 * caller) and attached to the node init that follows them */
struct js_symbolizer;
void ingest_set_js(struct ingest *in, struct js_symbolizer *js);

#endif /* __ASYNCSCOPE_INGEST_H */
