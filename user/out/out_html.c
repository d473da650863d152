// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML report: user/out/html/report.html (built into the binary, see
 * html_asset.S) with the capture's data put in place of its placeholder.
 * The data is the trigger forest, flattened with parents first, and the
 * callback slices (schema version 1, described at the top of the template).
 * Big captures are folded so the page stays usable: past MAX_CHILDREN
 * children, or MAX_NODES nodes in all, the rest of a parent's children are
 * summed up per type; only the MAX_SLICES longest callbacks are drawn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_writer.h"
#include "model/model_stats.h"
#include "out/out_html.h"
#include "out/out_timeline.h"

#define MAX_NODES    20000
#define MAX_CHILDREN 500
#define MAX_SLICES   50000
#define MAX_DEPTH    200 /* deeper chains are summed up (and recursion bounded) */

extern const char asyncscope_report_html[];
extern const char asyncscope_report_html_end[];

static const char PLACEHOLDER[] = "/*ASYNCSCOPE_DATA*/";

struct html_state {
	const struct model *m;
	struct json_writer *w;
	uint64_t t0;
	int64_t *node_of; /* resource index -> emitted node index (or its aggregate's) */
	uint64_t emitted, folded;
	uint32_t thread; /* index of the thread being written */
};

static uint64_t rel(const struct html_state *h, uint64_t ts)
{
	return ts > h->t0 ? ts - h->t0 : 0;
}

/* The next resource after cur in a preorder walk of root's subtree, without
 * recursion: trigger chains can be many thousands deep. */
static uint32_t walk_next(const struct model *m, uint32_t cur, uint32_t root)
{
	const struct resource *r = model_resource(m, cur);

	if (r->first_child != RES_NONE)
		return r->first_child;
	while (cur != root) {
		r = model_resource(m, cur);
		if (r->next_sibling != RES_NONE)
			return r->next_sibling;
		cur = r->parent;
	}
	return RES_NONE;
}

/* Sums a subtree's callback time into *cb and sends its nodes to agg. */
static void fold_subtree(struct html_state *h, uint32_t root, int64_t agg, uint64_t *cb)
{
	for (uint32_t c = root; c != RES_NONE; c = walk_next(h->m, c, root)) {
		*cb += model_resource(h->m, c)->cb_total_ns;
		h->node_of[c] = agg;
		h->folded++;
	}
}

static void write_node(struct html_state *h, uint32_t idx, int64_t parent)
{
	const struct resource *r = model_resource(h->m, idx);
	struct json_writer *w = h->w;
	char label[160];

	if (r->kind == RES_CONTEXT)
		snprintf(label, sizeof(label), "bootstrap / main script");
	else if (r->kind == RES_PLACEHOLDER)
		snprintf(label, sizeof(label), "? %llu", (unsigned long long)r->id);
	else
		snprintf(label, sizeof(label), "%s %llu", r->type, (unsigned long long)r->id);
	jsonw_start_object(w);
	jsonw_int_field(w, "parent", parent);
	jsonw_uint_field(w, "thread", h->thread);
	jsonw_string_field(w, "kind",
			   r->kind == RES_CONTEXT     ? "context" :
			   r->kind == RES_PLACEHOLDER ? "placeholder" :
							"resource");
	jsonw_string_field(w, "layer", r->kind == RES_SEEN ? ev_layer_name(r->layer) : "");
	jsonw_string_field(w, "type",
			   r->kind == RES_SEEN	  ? r->type :
			   r->kind == RES_CONTEXT ? "context" :
						    "?");
	jsonw_uint_field(w, "id", r->id);
	jsonw_string_field(w, "label", label);
	jsonw_uint_field(w, "count", 1);
	jsonw_uint_field(w, "cb_count", r->ncallbacks);
	jsonw_uint_field(w, "cb_ns", r->cb_total_ns);
	jsonw_uint_field(w, "cb_max_ns", r->cb_max_ns);
	if (r->init_ts && r->first_before_ts >= r->init_ts)
		jsonw_uint_field(w, "queue_ns", r->first_before_ts - r->init_ts);
	else
		jsonw_null_field(w, "queue_ns");
	if (r->init_ts)
		jsonw_uint_field(w, "init_ns", rel(h, r->init_ts));
	else
		jsonw_null_field(w, "init_ns");
	if (r->destroyed && r->destroy_ts)
		jsonw_uint_field(w, "end_ns", rel(h, r->destroy_ts));
	else
		jsonw_null_field(w, "end_ns");
	jsonw_bool_field(w, "alive", r->kind == RES_SEEN && !r->destroyed);
	jsonw_end_object(w);
	h->node_of[idx] = h->emitted++;
}

/* The children of one parent that do not get a node of their own, per type. */
struct fold {
	const char *type;
	uint64_t count, cb_count, cb_ns, cb_max_ns;
	int64_t index;
};

static void write_children(struct html_state *h, uint32_t first, int64_t parent,
			   unsigned int depth);

static void write_subtree(struct html_state *h, uint32_t idx, int64_t parent, unsigned int depth)
{
	int64_t me;

	write_node(h, idx, parent);
	me = h->node_of[idx];
	write_children(h, model_resource(h->m, idx)->first_child, me, depth + 1);
}

static void write_children(struct html_state *h, uint32_t first, int64_t parent, unsigned int depth)
{
	struct fold folds[64];
	size_t nfolds = 0, nth = 0;

	for (uint32_t c = first; c != RES_NONE; c = model_resource(h->m, c)->next_sibling) {
		const struct resource *r = model_resource(h->m, c);
		const char *type = r->kind == RES_SEEN ? r->type : "?";
		size_t f;

		if (nth++ < MAX_CHILDREN && h->emitted < MAX_NODES && depth < MAX_DEPTH) {
			write_subtree(h, c, parent, depth);
			continue;
		}
		for (f = 0; f < nfolds && folds[f].type != type; f++)
			;
		if (f == nfolds) {
			if (nfolds == 64)
				f = 63; /* the 64th bucket takes every further type */
			else
				folds[nfolds++] = (struct fold){.type = type, .index = -1};
		}
		folds[f].count++;
		folds[f].cb_count += r->ncallbacks;
		if (r->cb_max_ns > folds[f].cb_max_ns)
			folds[f].cb_max_ns = r->cb_max_ns;
		/* the aggregate nodes are written right after, this one at emitted + f */
		fold_subtree(h, c, h->emitted + f, &folds[f].cb_ns);
	}
	for (size_t f = 0; f < nfolds; f++) {
		struct json_writer *w = h->w;
		char label[96];

		snprintf(label, sizeof(label), "+%llu %s", (unsigned long long)folds[f].count,
			 f == 63 ? "more" : folds[f].type);
		jsonw_start_object(w);
		jsonw_int_field(w, "parent", parent);
		jsonw_uint_field(w, "thread", h->thread);
		jsonw_string_field(w, "kind", "aggregate");
		jsonw_string_field(w, "layer", "");
		jsonw_string_field(w, "type", folds[f].type);
		jsonw_uint_field(w, "id", 0);
		jsonw_string_field(w, "label", label);
		jsonw_uint_field(w, "count", folds[f].count);
		jsonw_uint_field(w, "cb_count", folds[f].cb_count);
		jsonw_uint_field(w, "cb_ns", folds[f].cb_ns);
		jsonw_uint_field(w, "cb_max_ns", folds[f].cb_max_ns);
		jsonw_null_field(w, "queue_ns");
		jsonw_null_field(w, "init_ns");
		jsonw_null_field(w, "end_ns");
		jsonw_bool_field(w, "alive", false);
		jsonw_end_object(w);
		h->emitted++;
	}
}

static int cmp_longest(const void *a, const void *b, void *ctx)
{
	const struct timeline *t = ctx;
	const struct slice *x = timeline_slice(t, *(const size_t *)a);
	const struct slice *y = timeline_slice(t, *(const size_t *)b);
	uint64_t dx = x->end_ns - x->start_ns, dy = y->end_ns - y->start_ns;

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int write_data(FILE *out, const struct model *m, const struct timeline *t,
		      const struct report_input *in, const char *source)
{
	size_t nres = model_nresources(m), ns = timeline_nslices(t), keep = ns;
	struct html_state h = {.m = m};
	struct json_writer w;
	size_t *order = NULL;
	uint64_t t0 = timeline_first_ns(t);

	if (in->stats->first_ts && (!t0 || in->stats->first_ts < t0))
		t0 = in->stats->first_ts;
	h.t0 = t0;
	h.w = &w;
	h.node_of = malloc((nres + 1) * sizeof(*h.node_of));
	if (!h.node_of)
		return -ENOMEM;
	for (size_t i = 0; i < nres; i++)
		h.node_of[i] = -1;
	jsonw_init(&w, out, false);
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "version", 1);
	jsonw_name(&w, "meta");
	jsonw_start_object(&w);
	jsonw_string_field(&w, "source", source);
	jsonw_uint_field(&w, "events", in->summary->events);
	jsonw_uint_field(&w, "duration_ns",
			 timeline_last_ns(t) > t0 ? timeline_last_ns(t) - t0 : 0);
	jsonw_uint_field(&w, "lost", in->summary->lost);
	jsonw_string_field(&w, "node_version", in->meta ? in->meta->node_version : "");
	if (in->meta && in->meta->pid)
		jsonw_uint_field(&w, "pid", in->meta->pid);
	if (in->meta && in->meta->exe[0])
		jsonw_string_field(&w, "exe", in->meta->exe);
	jsonw_end_object(&w);

	jsonw_name(&w, "threads");
	jsonw_start_array(&w);
	for (size_t i = 0; i < model_nthreads(m); i++) {
		const struct thread_roots *th = model_thread(m, i);
		char name[32];

		snprintf(name, sizeof(name), th->pid == th->tid ? "main thread" : "thread %u",
			 th->tid);
		jsonw_start_object(&w);
		jsonw_uint_field(&w, "pid", th->pid);
		jsonw_uint_field(&w, "tid", th->tid);
		jsonw_string_field(&w, "name", name);
		jsonw_uint_field(&w, "resources", th->nresources);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);

	jsonw_name(&w, "nodes");
	jsonw_start_array(&w);
	for (size_t i = 0; i < model_nthreads(m); i++) {
		h.thread = i;
		write_children(&h, model_thread(m, i)->first_root, -1, 0);
	}
	jsonw_end_array(&w);

	/* the longest callbacks when there are too many to draw */
	order = malloc((ns + 1) * sizeof(*order));
	if (!order) {
		free(h.node_of);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ns; i++)
		order[i] = i;
	if (ns > MAX_SLICES) {
		qsort_r(order, ns, sizeof(*order), cmp_longest, (void *)t);
		keep = MAX_SLICES;
		qsort(order, keep, sizeof(*order), cmp_index);
	}
	jsonw_name(&w, "slices");
	jsonw_start_array(&w);
	for (size_t k = 0; k < keep; k++) {
		const struct slice *s = timeline_slice(t, order[k]);
		uint32_t res = s->microtasks ?
				       RES_NONE :
				       model_find(m, s->pid, s->tid, layer_key_id(s->layer, s->id));
		size_t th = 0;
		char label[160];

		for (size_t i = 0; i < model_nthreads(m); i++)
			if (model_thread(m, i)->pid == s->pid && model_thread(m, i)->tid == s->tid)
				th = i;
		timeline_slice_label(label, sizeof(label), s);
		jsonw_start_object(&w);
		jsonw_uint_field(&w, "thread", th);
		jsonw_int_field(&w, "node", res == RES_NONE ? -1 : h.node_of[res]);
		jsonw_uint_field(&w, "start_ns", rel(&h, s->start_ns));
		jsonw_uint_field(&w, "dur_ns", s->end_ns - s->start_ns);
		jsonw_uint_field(&w, "depth", s->depth);
		jsonw_string_field(&w, "label", label);
		jsonw_string_field(&w, "layer", ev_layer_name(s->layer));
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_name(&w, "truncated");
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "nodes", h.folded);
	jsonw_uint_field(&w, "slices", ns - keep);
	jsonw_end_object(&w);
	jsonw_end_object(&w);
	free(order);
	free(h.node_of);
	return 0;
}

int html_report_write(FILE *out, const struct model *m, const struct timeline *t,
		      const struct report_input *in, const char *source)
{
	const char *tpl = asyncscope_report_html, *end = asyncscope_report_html_end;
	const char *at = memmem(tpl, end - tpl, PLACEHOLDER, sizeof(PLACEHOLDER) - 1);
	char *json = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	if (!at)
		return -EINVAL; /* a template without its placeholder: a build error */
	mem = open_memstream(&json, &len);
	if (!mem)
		return -ENOMEM;
	err = write_data(mem, m, t, in, source);
	if (fclose(mem) || err) {
		free(json);
		return err ? err : -ENOMEM;
	}
	fwrite(tpl, 1, at - tpl, out);
	/* inside <script>, "</script" or "<!--" would change how the element
	 * ends; '<' only occurs inside JSON strings, where \u003c means the same */
	for (size_t i = 0; i < len; i++) {
		if (json[i] == '<')
			fputs("\\u003c", out);
		else
			fputc(json[i], out);
	}
	at += sizeof(PLACEHOLDER) - 1;
	fwrite(at, 1, end - at, out);
	free(json);
	return ferror(out) ? -EIO : 0;
}
