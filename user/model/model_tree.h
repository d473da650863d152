/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reconstruction: resources keyed by (pid, tid, layer_key_id(layer, id)):
 * asyncIds (node and js layers) and uv ids apart. Their lifecycle
 * statistics and the trigger forest. Fed event by event from any source;
 * printing lives in out_tree.c.
 */
#ifndef __ASYNCSCOPE_MODEL_TREE_H
#define __ASYNCSCOPE_MODEL_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

#define RES_NONE UINT32_MAX

enum res_kind {
	RES_SEEN,	 /* its init was observed */
	RES_PLACEHOLDER, /* referenced (trigger, callback, destroy) but created before attach or
			    JS-only */
	RES_CONTEXT,	 /* id 1: the bootstrap / main-script context of a thread */
};

struct resource {
	uint32_t pid, tid;
	uint64_t key; /* layer_key_id(layer, id): what the resource is looked up by */
	uint64_t id, trigger, exec;
	uint64_t link_id; /* uv layer: async id of the AsyncWrap that owns it */
	const char *type; /* NULL unless RES_SEEN */
	enum res_kind kind;
	enum ev_layer layer;
	uint64_t init_ts, first_before_ts, last_before_ts, destroy_ts; /* 0: not seen */
	uint64_t ncallbacks, cb_total_ns, cb_max_ns;
	bool destroyed;
	uint32_t parent, first_child, last_child, next_sibling; /* set by model_finish */
};

struct thread_roots {
	uint32_t pid, tid;
	uint64_t first_ts;
	uint32_t first_root, last_root; /* resources with no parent, in order */
	uint32_t nresources;
};

struct model;

struct model *model_new(void);
void model_free(struct model *m);

/* Feeds one event; always 0 (the event_sink contract). */
int model_add_event(void *model, const struct event *e);
static inline struct event_sink model_sink(struct model *m)
{
	return (struct event_sink){.on_event = model_add_event, .ctx = m};
}

/* Links the forest: parents from trigger ids, placeholders for the unseen. */
void model_finish(struct model *m);

/* Index of the resource (pid, tid, layer_key_id(layer, id)), RES_NONE if unknown. */
uint32_t model_find(const struct model *m, uint32_t pid, uint32_t tid, uint64_t key);

/* A callback that ran to its after: whose, and how long (before to after). */
struct model_callback {
	uint32_t res;
	uint64_t ns;
};
size_t model_ncallbacks(const struct model *m);
const struct model_callback *model_callback(const struct model *m, size_t i);

size_t model_nresources(const struct model *m);
const struct resource *model_resource(const struct model *m, uint32_t idx);
size_t model_nthreads(const struct model *m);
const struct thread_roots *model_thread(const struct model *m, size_t i);
uint64_t model_nevents(const struct model *m);
/* Timestamp of the last event, the "now" for resources still alive. */
uint64_t model_last_ts(const struct model *m);
/* V8's microtask runs (EV_MICROTASKS): how many, the microtasks they ran in
 * all, and the most one run did */
struct model_microtasks {
	uint64_t runs, microtasks, max;
};
const struct model_microtasks *model_microtasks(const struct model *m);
/* Promise rejections Node reported (EV_REJECTION), in order, with the
 * resource whose callback was running when the promise was rejected. */
struct model_rejection {
	uint32_t pid, tid;
	uint32_t kind; /* enum rejection_kind */
	uint64_t exec; /* executionAsyncId then (0: none, 1: main) */
	uint64_t ts_ns;
};
size_t model_nrejections(const struct model *m);
const struct model_rejection *model_rejection(const struct model *m, size_t i);
/* callbacks whose after never came (still running at the end) */
uint64_t model_open_callbacks(const struct model *m);
/* after without a matching before on its thread */
uint64_t model_orphan_afters(const struct model *m);

#endif /* __ASYNCSCOPE_MODEL_TREE_H */
