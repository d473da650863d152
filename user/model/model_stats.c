// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "model/model_stats.h"
#include "lib/u64_sort.h"

static const char *node_label(const struct resource *r)
{
	if (r->kind == RES_CONTEXT)
		return "main";
	if (r->kind == RES_PLACEHOLDER || !r->type)
		return "?";
	return r->type;
}

/* Appends to buf[*len..cap) as far as it fits, always terminated. */
static void append(char *buf, size_t cap, size_t *len, const char *a, const char *b)
{
	int n;

	if (*len + 1 >= cap)
		return;
	n = snprintf(buf + *len, cap - *len, "%s%s", a, b);
	if (n > 0)
		*len = *len + n < cap ? *len + n : cap - 1;
}

size_t model_path(const struct model *m, uint32_t idx, const char *sep, unsigned int max_levels,
		  char *buf, size_t cap)
{
	uint32_t chain[64];
	unsigned int n = 0;
	size_t len = 0;

	if (!cap)
		return 0;
	buf[0] = '\0';
	for (uint32_t p = model_resource(m, idx)->parent; p != RES_NONE && n < 64;
	     p = model_resource(m, p)->parent)
		chain[n++] = p;
	if (n > max_levels) {
		append(buf, cap, &len, "...", "");
		n = max_levels;
	}
	for (unsigned int i = n; i-- > 0;)
		append(buf, cap, &len, len ? sep : "", node_label(model_resource(m, chain[i])));
	if (!len)
		append(buf, cap, &len, "(no trigger)", "");
	return len;
}

/* One resource's contribution, sorted into groups. */
struct item {
	const char *type;
	const char *path; /* NULL when grouping by type only */
	enum ev_layer layer;
	uint32_t idx;
};

/*
 * Trigger depth of resource idx (links up to a root), remembered in depths
 * (0 = not known yet, else depth + 1) so that a long chain is walked once,
 * not once per member: a 250,000-deep chain took hours the naive way.
 */
static uint64_t depth_of(const struct model *m, uint64_t *depths, uint32_t idx)
{
	uint64_t known = 0, d;
	uint32_t p;

	for (p = idx; p != RES_NONE && !depths[p]; p = model_resource(m, p)->parent)
		known++;
	d = p == RES_NONE ? known : depths[p] - 1 + known + 1;
	/* d: links from idx to the root; assign it down the walked part */
	for (uint32_t q = idx; q != p; q = model_resource(m, q)->parent)
		depths[q] = d--;
	return depths[idx] - 1;
}

/* Percentiles by nearest rank over v[0..n), which this sorts. */
static void fill_dist(struct dist *d, uint64_t *v, size_t n)
{
	memset(d, 0, sizeof(*d));
	if (!n)
		return;
	u64_sort(v, n);
	d->n = n;
	/* the smallest value with at least p% of the values at or below it */
	d->p50 = v[(n * 50 + 99) / 100 - 1];
	d->p95 = v[(n * 95 + 99) / 100 - 1];
	d->p99 = v[(n * 99 + 99) / 100 - 1];
	d->max = v[n - 1];
	for (size_t i = 0; i < n; i++)
		d->total += v[i];
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c;

	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	c = strcmp(x->type, y->type);
	if (c || (!x->path && !y->path))
		return c;
	return strcmp(x->path, y->path);
}

static int cmp_group_cb(const void *a, const void *b)
{
	const struct group_stats *x = a, *y = b;

	if (x->cb.total != y->cb.total)
		return x->cb.total > y->cb.total ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	return x->path && y->path ? strcmp(x->path, y->path) : strcmp(x->type, y->type);
}

static int cmp_group_alive(const void *a, const void *b)
{
	const struct group_stats *x = a, *y = b;

	if (x->alive != y->alive)
		return x->alive > y->alive ? -1 : 1;
	if (x->oldest_alive_ns != y->oldest_alive_ns)
		return x->oldest_alive_ns > y->oldest_alive_ns ? -1 : 1;
	return cmp_group_cb(a, b);
}

/* Every resource's callback durations: cb_ns[cb_off[i] .. cb_off[i + 1]). */
struct cb_index {
	uint64_t *cb_ns;
	size_t *cb_off;
};

static int index_callbacks(const struct model *m, struct cb_index *x)
{
	size_t n = model_nresources(m), nc = model_ncallbacks(m);
	size_t *fill;

	x->cb_off = calloc(n + 1, sizeof(*x->cb_off));
	x->cb_ns = malloc((nc + 1) * sizeof(*x->cb_ns));
	fill = calloc(n + 1, sizeof(*fill));
	if (!x->cb_off || !x->cb_ns || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nc; i++)
		x->cb_off[model_callback(m, i)->res + 1]++;
	for (size_t i = 0; i < n; i++)
		x->cb_off[i + 1] += x->cb_off[i];
	for (size_t i = 0; i < nc; i++) {
		const struct model_callback *c = model_callback(m, i);

		x->cb_ns[x->cb_off[c->res] + fill[c->res]++] = c->ns;
	}
	free(fill);
	return 0;
}

/*
 * Whether a resource is alive at the end of the capture (end). A native or
 * libuv resource is until its destroy is seen. A JS-only one ends in JS,
 * unseen from outside, so only timers are judged, by inference: a Timeout
 * or Immediate whose callback never ran is still pending, and a repeating
 * Timeout (an interval, or one refreshed) that ran within twice its usual
 * period of the end is still firing: a setInterval never cleared.
 */
bool model_resource_alive(const struct resource *r, uint64_t end)
{
	uint64_t period;

	if (r->destroyed || !r->init_ts)
		return false;
	if (r->layer != LAYER_JS)
		return true;
	if (!r->type || (strcmp(r->type, "Timeout") && strcmp(r->type, "Immediate")))
		return false;
	if (!r->ncallbacks)
		return true;
	if (r->ncallbacks < 2 || r->last_before_ts <= r->first_before_ts)
		return false;
	period = (r->last_before_ts - r->first_before_ts) / (r->ncallbacks - 1);
	return end - r->last_before_ts <= 2 * period;
}

/* Groups the sorted items into out (allocated). */
static int build_groups(const struct model *m, const struct cb_index *x, struct item *it, size_t n,
			struct group_stats **out, size_t *nout)
{
	uint64_t *cbv = NULL, *qv = NULL, *lv = NULL, now = model_last_ts(m);
	size_t cap = 0, ng = 0;
	struct group_stats *g = NULL;
	int err = 0;

	*out = NULL;
	*nout = 0;
	for (size_t i = 0, j; i < n; i = j) {
		size_t nq = 0, nl = 0, total_cb = 0;
		struct group_stats *s;

		for (j = i + 1; j < n && !cmp_item(&it[i], &it[j]); j++)
			;
		if (array_grow((void **)&g, &cap, ng + 1, sizeof(*g))) {
			err = -ENOMEM;
			break;
		}
		s = &g[ng++];
		memset(s, 0, sizeof(*s));
		s->type = it[i].type;
		s->layer = it[i].layer;
		s->path = it[i].path ? strdup(it[i].path) : NULL;
		free(cbv);
		free(qv);
		free(lv);
		for (size_t k = i; k < j; k++)
			total_cb += x->cb_off[it[k].idx + 1] - x->cb_off[it[k].idx];
		cbv = malloc((total_cb + 1) * sizeof(*cbv));
		qv = malloc((j - i) * sizeof(*qv));
		lv = malloc((j - i) * sizeof(*lv));
		if (!cbv || !qv || !lv) {
			err = -ENOMEM;
			break;
		}
		total_cb = 0;
		for (size_t k = i; k < j; k++) {
			const struct resource *r = model_resource(m, it[k].idx);

			s->count++;
			s->callbacks += r->ncallbacks;
			for (size_t c = x->cb_off[it[k].idx]; c < x->cb_off[it[k].idx + 1]; c++)
				cbv[total_cb++] = x->cb_ns[c];
			if (r->init_ts && r->first_before_ts >= r->init_ts)
				qv[nq++] = r->first_before_ts - r->init_ts;
			if (r->init_ts && r->destroyed && r->destroy_ts >= r->init_ts)
				lv[nl++] = r->destroy_ts - r->init_ts;
			if (model_resource_alive(r, now)) {
				uint64_t age = now > r->init_ts ? now - r->init_ts : 0;

				s->alive++;
				s->alive_age_total_ns += age;
				if (age > s->oldest_alive_ns)
					s->oldest_alive_ns = age;
			}
		}
		fill_dist(&s->cb, cbv, total_cb);
		fill_dist(&s->queue, qv, nq);
		fill_dist(&s->lifetime, lv, nl);
	}
	free(cbv);
	free(qv);
	free(lv);
	if (err) {
		for (size_t i = 0; i < ng; i++)
			free((char *)g[i].path);
		free(g);
		return err;
	}
	*out = g;
	*nout = ng;
	return 0;
}

static int rejection_stats(const struct model *m, struct model_stats *s);

int model_stats_compute(const struct model *m, struct model_stats *s)
{
	size_t n = model_nresources(m), ni = 0;
	struct item *it = calloc(n + 1, sizeof(*it));
	char **paths = calloc(n + 1, sizeof(*paths));
	uint64_t *depths = calloc(n + 1, sizeof(*depths));
	struct cb_index x = {0};
	int err = 0;

	memset(s, 0, sizeof(*s));
	s->longest_cb_res = RES_NONE;
	if (!it || !paths || !depths || index_callbacks(m, &x)) {
		err = -ENOMEM;
		goto out;
	}
	s->threads = model_nthreads(m);
	s->events = model_nevents(m);
	s->last_ts = model_last_ts(m);
	s->micro = *model_microtasks(m);
	if ((err = rejection_stats(m, s)))
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		const struct resource *r = model_resource(m, i);
		uint64_t depth;

		if (r->kind != RES_SEEN) {
			s->placeholders += r->kind == RES_PLACEHOLDER;
			continue;
		}
		s->resources++;
		if (r->layer < 4)
			s->per_layer[r->layer]++;
		s->alive += model_resource_alive(r, s->last_ts);
		if (r->init_ts && (!s->first_ts || r->init_ts < s->first_ts))
			s->first_ts = r->init_ts;
		depth = depth_of(m, depths, i);
		if (depth > s->max_depth)
			s->max_depth = depth;
		it[ni++] = (struct item){r->type, NULL, r->layer, i};
	}
	qsort(it, ni, sizeof(*it), cmp_item);
	err = build_groups(m, &x, it, ni, &s->types, &s->ntypes);
	if (err)
		goto out;
	if (s->ntypes)
		qsort(s->types, s->ntypes, sizeof(*s->types), cmp_group_cb);

	/* the same resources by creation path */
	for (size_t k = 0; k < ni; k++) {
		char buf[512];

		model_path(m, it[k].idx, " > ", 6, buf, sizeof(buf));
		paths[k] = strdup(buf);
		if (!paths[k]) {
			err = -ENOMEM;
			goto out;
		}
		it[k].path = paths[k];
	}
	qsort(it, ni, sizeof(*it), cmp_item);
	err = build_groups(m, &x, it, ni, &s->paths, &s->npaths);
	if (err)
		goto out;
	if (s->npaths)
		qsort(s->paths, s->npaths, sizeof(*s->paths), cmp_group_cb);

	/* every resource as one group (type "all"), for totals and percentiles */
	if (ni) {
		struct group_stats *all = NULL;
		size_t nall = 0;

		for (size_t k = 0; k < ni; k++)
			it[k] = (struct item){"all", NULL, LAYER_NODE, it[k].idx};
		err = build_groups(m, &x, it, ni, &all, &nall);
		if (err)
			goto out;
		s->all = all[0];
		free(all);
	}
	for (size_t c = 0; c < model_ncallbacks(m); c++) {
		const struct model_callback *cb = model_callback(m, c);

		if (cb->ns > s->longest_cb_ns || s->longest_cb_res == RES_NONE) {
			s->longest_cb_ns = cb->ns;
			s->longest_cb_res = cb->res;
		}
	}

	/* leaks: the path groups with something alive, most first */
	s->leaks = calloc(s->npaths + 1, sizeof(*s->leaks));
	if (!s->leaks) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < s->npaths; k++)
		if (s->paths[k].alive) {
			s->leaks[s->nleaks] = s->paths[k];
			/* shared with paths[]: only paths[] owns the string */
			s->nleaks++;
		}
	qsort(s->leaks, s->nleaks, sizeof(*s->leaks), cmp_group_alive);
out:
	for (size_t k = 0; paths && k < ni; k++)
		free(paths[k]);
	free(paths);
	free(depths);
	free(it);
	free(x.cb_ns);
	free(x.cb_off);
	if (err)
		model_stats_free(s);
	return err;
}

static int by_count(const void *a, const void *b)
{
	const struct rejection_group *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->n > y->n ? -1 : x->n < y->n;
}

/* Rejections counted by kind, and by kind, type and path of where they happened. */
static int rejection_stats(const struct model *m, struct model_stats *s)
{
	size_t n = model_nrejections(m), cap = 0;

	for (size_t i = 0; i < n; i++) {
		const struct model_rejection *r = model_rejection(m, i);
		uint32_t idx = r->exec > 1 ? model_find(m, r->pid, r->tid, r->exec) : RES_NONE;
		const char *type = r->exec == 1 ? "main" : "(none)";
		char path[256] = "";
		size_t g;

		s->rejections[(r->kind - 1) & 1]++;
		if (idx != RES_NONE) {
			const struct resource *res = model_resource(m, idx);

			type = res->type ? res->type : "?";
			model_path(m, idx, " > ", 8, path, sizeof(path));
		}
		for (g = 0; g < s->nrej_groups; g++)
			if (s->rej_groups[g].kind == r->kind &&
			    !strcmp(s->rej_groups[g].type, type) &&
			    !strcmp(s->rej_groups[g].path, path))
				break;
		if (g == s->nrej_groups) {
			if (array_grow((void **)&s->rej_groups, &cap, g + 1,
				       sizeof(*s->rej_groups)))
				return -ENOMEM;
			s->rej_groups[g] = (struct rejection_group){r->kind, type, strdup(path), 0};
			if (!s->rej_groups[g].path)
				return -ENOMEM;
			s->nrej_groups++;
		}
		s->rej_groups[g].n++;
	}
	if (s->nrej_groups)
		qsort(s->rej_groups, s->nrej_groups, sizeof(*s->rej_groups), by_count);
	return 0;
}

void model_stats_free(struct model_stats *s)
{
	for (size_t i = 0; i < s->nrej_groups; i++)
		free(s->rej_groups[i].path);
	free(s->rej_groups);
	for (size_t i = 0; i < s->ntypes; i++)
		free((char *)s->types[i].path);
	for (size_t i = 0; i < s->npaths; i++)
		free((char *)s->paths[i].path);
	free(s->types);
	free(s->paths);
	free(s->leaks);
	memset(s, 0, sizeof(*s));
}
