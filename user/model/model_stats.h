/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Aggregates over a finished model (model_tree.h) for the top, leaks and
 * stats views and the folded output: per type, per creation path (the chain
 * of types a resource was created under), and what is still alive. No
 * printing here: out_report.c does that.
 */
#ifndef __ASYNCSCOPE_MODEL_STATS_H
#define __ASYNCSCOPE_MODEL_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model_tree.h"

struct dist {
	uint64_t n, p50, p95, p99, max, total;
};

/* One group of resources: a type in a layer, or a creation path. */
struct group_stats {
	const char *type; /* interned */
	enum ev_layer layer;
	const char *path;		  /* creation path (malloc'ed), NULL for per-type groups */
	uint64_t count, alive, callbacks; /* resources, still alive at the end, callbacks */
	struct dist cb;			  /* callback time per callback, ns (max/total exact) */
	struct dist queue;		  /* init to first callback, ns */
	struct dist lifetime;		  /* init to destroy, ns (destroyed ones) */
	uint64_t oldest_alive_ns, alive_age_total_ns; /* ages at the end of the capture */
};

struct model_stats {
	struct group_stats *types; /* by total callback time, largest first */
	size_t ntypes;
	struct group_stats *paths; /* per creation path and type, same order */
	size_t npaths;
	struct group_stats *leaks; /* alive at the end, per path: most first */
	size_t nleaks;
	uint64_t resources, placeholders, alive, threads, events;
	uint64_t per_layer[4]; /* resources per enum ev_layer */
	uint64_t first_ts, last_ts;
	uint64_t max_depth;	/* longest trigger chain */
	struct group_stats all; /* every resource as one group (type "all") */
	/* the longest single callback (event-loop blocking): its resource, or
	 * RES_NONE when there was no callback */
	uint32_t longest_cb_res;
	uint64_t longest_cb_ns;
	struct model_microtasks micro; /* V8's microtask runs */
	/* promise rejections by enum rejection_kind (index kind - 1), and by
	 * kind and where they happened: the running resource's type and
	 * creation path (most first) */
	uint64_t rejections[2];
	struct rejection_group {
		uint32_t kind;
		const char *type; /* "main", "(none)" or the resource's type */
		char *path;	  /* its creation path */
		uint64_t n;
	} * rej_groups;
	size_t nrej_groups;
};

/* Alive at end: not destroyed; for JS-only resources, a timer still
 * pending or still repeating (inferred: their end happens in JS). */
bool model_resource_alive(const struct resource *r, uint64_t end);

/* Computes everything from a finished model. 0 or -ENOMEM. */
int model_stats_compute(const struct model *m, struct model_stats *s);
void model_stats_free(struct model_stats *s);

/*
 * The creation path of resource idx: the types of its ancestors, root first,
 * "main" for a thread's bootstrap context, "?" for one not seen created,
 * joined by sep; at most max_levels nearest ancestors ("..." before them).
 * Returns the length written (truncated at cap).
 */
size_t model_path(const struct model *m, uint32_t idx, const char *sep, unsigned int max_levels,
		  char *buf, size_t cap);

#endif /* __ASYNCSCOPE_MODEL_STATS_H */
