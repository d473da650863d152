/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reconstruction of executionAsyncId timelines: per thread, which async id
 * ran when (a slice per before -> after, nested), and which callback each
 * resource was created in (for trigger -> child flows). Printing lives in
 * out_timeline.c.
 */
#ifndef __ASYNCSCOPE_MODEL_TIMELINE_H
#define __ASYNCSCOPE_MODEL_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

struct slice {
	uint32_t pid, tid;
	uint64_t id;
	const char *type; /* NULL if the resource's init was not seen */
	enum ev_layer layer;
	uint64_t start_ns, end_ns;
	uint32_t depth;	 /* nesting among slices on the thread */
	bool sampled;	 /* JS layer in default mode: bounds seen from inside */
	bool unfinished; /* still running at the end of the capture */
	/* a run of V8's microtask queue (id 0), and the microtasks it ran */
	bool microtasks;
	uint64_t count;
};

/* A resource created while another ran: an arrow trigger -> first callback. */
struct flow {
	uint32_t pid, tid;
	uint64_t trigger, child;
	uint64_t init_ns;   /* where the arrow starts */
	uint64_t target_ns; /* the child's first callback, 0 if it never ran */
};

struct timeline;

struct timeline *timeline_new(void);
void timeline_free(struct timeline *t);
int timeline_add_event(void *timeline, const struct event *e);
static inline struct event_sink timeline_sink(struct timeline *t)
{
	return (struct event_sink){.on_event = timeline_add_event, .ctx = t};
}
/* Closes slices still open at the end, sorts slices by thread and start. */
void timeline_finish(struct timeline *t);

size_t timeline_nslices(const struct timeline *t);
const struct slice *timeline_slice(const struct timeline *t, size_t i);
size_t timeline_nflows(const struct timeline *t);
const struct flow *timeline_flow(const struct timeline *t, size_t i);
uint64_t timeline_first_ns(const struct timeline *t);
uint64_t timeline_last_ns(const struct timeline *t);

#endif /* __ASYNCSCOPE_MODEL_TIMELINE_H */
