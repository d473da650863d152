// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "model/ci_summary.h"
#include "lib/json_string.h"
#include "lib/json_writer.h"
#include "lib/u64_sort.h"

static int values_append(struct ci_values *vs, const char *name, uint64_t value)
{
	if (array_grow((void **)&vs->v, &vs->cap, vs->n + 1, sizeof(*vs->v)))
		return -ENOMEM;
	vs->v[vs->n].name = strdup(name);
	if (!vs->v[vs->n].name)
		return -ENOMEM;
	vs->v[vs->n++].value = value;
	return 0;
}

int ci_values_set(struct ci_values *vs, const char *name, uint64_t value)
{
	for (size_t i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].name, name)) {
			vs->v[i].value = value;
			return 0;
		}
	return values_append(vs, name, value);
}

static int cmp_value(const void *a, const void *b)
{
	return strcmp(((const struct ci_value *)a)->name, ((const struct ci_value *)b)->name);
}

void ci_values_sort(struct ci_values *vs)
{
	if (vs->n)
		qsort(vs->v, vs->n, sizeof(*vs->v), cmp_value);
}

const struct ci_value *ci_values_find(const struct ci_values *vs, const char *name)
{
	for (size_t i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].name, name))
			return &vs->v[i];
	return NULL;
}

static void values_free(struct ci_values *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i].name);
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

void ci_summary_free(struct ci_summary *s)
{
	values_free(&s->metrics);
	values_free(&s->leaks);
}

/* "p95.callback" or "p95.callback.TYPE" and the like, for one distribution */
static int set_dist(struct ci_values *vs, const char *what, const char *type, const struct dist *d,
		    bool with_max)
{
	static const char *const pct[] = {"p50", "p95", "p99", "max"};
	const uint64_t v[] = {d->p50, d->p95, d->p99, d->max};
	char name[256];
	int err = 0;

	for (int i = 0; i < (with_max ? 4 : 3) && !err; i++) {
		snprintf(name, sizeof(name), "%s.%s%s%s", pct[i], what, type ? "." : "",
			 type ? type : "");
		err = ci_values_set(vs, name, v[i]);
	}
	return err;
}

static int set_named(struct ci_values *vs, const char *what, const char *type, uint64_t value)
{
	char name[256];

	snprintf(name, sizeof(name), "%s.%s", what, type);
	return ci_values_set(vs, name, value);
}

int ci_summary_from_run(const struct model *m, const struct model_stats *st,
			const struct capture_summary *cs, const struct capture_meta *meta,
			struct ci_summary *out)
{
	struct ci_values *mv = &out->metrics;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->runs = 1;
	if (meta) {
		snprintf(out->tool_version, sizeof(out->tool_version), "%s", meta->tool_version);
		snprintf(out->command, sizeof(out->command), "%s", meta->command);
		snprintf(out->node_version, sizeof(out->node_version), "%s", meta->node_version);
		snprintf(out->layers, sizeof(out->layers), "%s", meta->layers);
		snprintf(out->js_mode, sizeof(out->js_mode), "%s", meta->js_mode);
	}
	err = err ?: ci_values_set(mv, "events", cs->events);
	err = err ?: ci_values_set(mv, "lost", cs->lost + cs->read_errors);
	err = err ?: ci_values_set(mv, "resources", st->resources);
	err = err ?: ci_values_set(mv, "leaks", st->alive);
	err = err ?: ci_values_set(mv, "max_depth", st->max_depth);
	err = err ?: ci_values_set(mv, "microtasks", st->micro.microtasks);
	err = err ?: ci_values_set(mv, "rejections.unhandled", st->rejections[0]);
	err = err ?: ci_values_set(mv, "rejections.handled_late", st->rejections[1]);
	err = err ?: ci_values_set(mv, "max_callback", st->longest_cb_ns);
	err = err ?: ci_values_set(mv, "callbacks", st->all.callbacks);
	err = err ?: set_dist(mv, "callback", NULL, &st->all.cb, false);
	err = err ?: set_dist(mv, "queue_delay", NULL, &st->all.queue, true);
	err = err ?: set_dist(mv, "lifetime", NULL, &st->all.lifetime, true);
	for (size_t i = 0; i < st->ntypes && !err; i++) {
		const struct group_stats *g = &st->types[i];

		err = err ?: set_named(mv, "count", g->type, g->count);
		err = err ?: set_named(mv, "callbacks", g->type, g->callbacks);
		err = err ?: set_named(mv, "total.callback", g->type, g->cb.total);
		err = err ?: set_dist(mv, "callback", g->type, &g->cb, true);
		err = err ?: set_dist(mv, "queue_delay", g->type, &g->queue, true);
		err = err ?: set_dist(mv, "lifetime", g->type, &g->lifetime, true);
		/* of JS-only types only timers can be judged alive (model_stats.h) */
		if (g->layer != LAYER_JS || g->alive)
			err = err ?: set_named(mv, "leaks", g->type, g->alive);
	}
	for (size_t i = 0; i < st->nleaks && !err; i++) {
		char name[768];

		snprintf(name, sizeof(name), "%s <- %s", st->leaks[i].type, st->leaks[i].path);
		err = ci_values_set(&out->leaks, name, st->leaks[i].alive);
	}
	if (st->longest_cb_res != RES_NONE) {
		const struct resource *r = model_resource(m, st->longest_cb_res);

		out->longest_ns = st->longest_cb_ns;
		snprintf(out->longest_type, sizeof(out->longest_type), "%s",
			 r->type ? r->type : "?");
		model_path(m, st->longest_cb_res, " > ", 16, out->longest_chain,
			   sizeof(out->longest_chain));
	}
	ci_values_sort(&out->metrics);
	ci_values_sort(&out->leaks);
	if (err)
		ci_summary_free(out);
	return err;
}

/* the median of n values (the lower middle one for even n: a value a run had) */
static uint64_t median(uint64_t *v, size_t n)
{
	u64_sort(v, n);
	return v[(n - 1) / 2];
}

static int median_values(const struct ci_summary *runs, size_t n, size_t field_off,
			 struct ci_values *out)
{
	uint64_t *v = calloc(n, sizeof(*v));
	int err = 0;

	if (!v)
		return -ENOMEM;
	for (size_t r = 0; r < n && !err; r++) {
		const struct ci_values *vs = (const void *)((const char *)&runs[r] + field_off);

		for (size_t i = 0; i < vs->n && !err; i++) {
			if (ci_values_find(out, vs->v[i].name))
				continue;
			for (size_t k = 0; k < n; k++) {
				const struct ci_values *o =
					(const void *)((const char *)&runs[k] + field_off);
				const struct ci_value *x = ci_values_find(o, vs->v[i].name);

				v[k] = x ? x->value : 0;
			}
			err = ci_values_set(out, vs->v[i].name, median(v, n));
		}
	}
	free(v);
	ci_values_sort(out);
	return err;
}

int ci_summary_median(const struct ci_summary *runs, size_t n, struct ci_summary *out)
{
	uint64_t *longest;
	size_t mid = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!n)
		return -EINVAL;
	/* the run whose longest callback is the median one speaks for all */
	longest = calloc(n, sizeof(*longest));
	if (!longest)
		return -ENOMEM;
	for (size_t r = 0; r < n; r++)
		longest[r] = runs[r].longest_ns;
	u64_sort(longest, n);
	for (size_t r = 0; r < n; r++)
		if (runs[r].longest_ns == longest[(n - 1) / 2])
			mid = r;
	free(longest);
	*out = runs[mid];
	memset(&out->metrics, 0, sizeof(out->metrics));
	memset(&out->leaks, 0, sizeof(out->leaks));
	out->runs = n;
	out->exit_status = 0;
	for (size_t r = 0; r < n && !out->exit_status; r++)
		out->exit_status = runs[r].exit_status;
	err = median_values(runs, n, offsetof(struct ci_summary, metrics), &out->metrics);
	err = err ?: median_values(runs, n, offsetof(struct ci_summary, leaks), &out->leaks);
	if (err)
		ci_summary_free(out);
	return err;
}

static void write_values(struct json_writer *w, const char *name, const struct ci_values *vs)
{
	jsonw_name(w, name);
	jsonw_start_object(w);
	for (size_t i = 0; i < vs->n; i++)
		jsonw_uint_field(w, vs->v[i].name, vs->v[i].value);
	jsonw_end_object(w);
}

int ci_summary_write_json(FILE *out, const struct ci_summary *s)
{
	struct json_writer w;

	jsonw_init(&w, out, true);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "format", CI_SUMMARY_FORMAT);
	jsonw_uint_field(&w, "version", CI_SUMMARY_VERSION);
	jsonw_string_field(&w, "tool_version", s->tool_version);
	jsonw_string_field(&w, "command", s->command);
	jsonw_string_field(&w, "node_version", s->node_version);
	jsonw_string_field(&w, "layers", s->layers);
	jsonw_string_field(&w, "js_mode", s->js_mode);
	jsonw_uint_field(&w, "runs", s->runs);
	jsonw_uint_field(&w, "exit_status", s->exit_status);
	jsonw_name(&w, "longest_callback");
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "ns", s->longest_ns);
	jsonw_string_field(&w, "type", s->longest_type);
	jsonw_string_field(&w, "chain", s->longest_chain);
	jsonw_end_object(&w);
	write_values(&w, "metrics", &s->metrics);
	write_values(&w, "leaks", &s->leaks);
	jsonw_end_object(&w);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

/* ---- reading: just the shape written above ------------------------------ */

struct reader {
	const char *buf, *p, *end;
	const char *why;
};

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

static bool take(struct reader *r, char c)
{
	skip_ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

static int read_string(struct reader *r, char *out, size_t cap)
{
	const char *next;

	skip_ws(r);
	next = json_read_string(r->p, r->end, out, cap, &r->why);
	if (!next)
		return -1;
	r->p = next;
	return 0;
}

static int read_uint(struct reader *r, uint64_t *v)
{
	char *e;

	skip_ws(r);
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return r->why = "expected a non-negative integer", -1;
	errno = 0;
	*v = strtoull(r->p, &e, 10);
	if (errno || e > r->end)
		return r->why = "integer out of range", -1;
	r->p = e;
	return 0;
}

/*
 * { "name": uint, ... }: appended, then sorted once, as ci_values_set()
 * per name would make reading quadratic in the number of metrics. A name
 * given twice has no one value: refused.
 */
static int read_values(struct reader *r, struct ci_values *vs)
{
	char name[1024];
	uint64_t v;

	if (!take(r, '{'))
		return r->why = "expected an object", -1;
	if (take(r, '}'))
		return 0;
	do {
		if (read_string(r, name, sizeof(name)) || !take(r, ':') || read_uint(r, &v))
			return r->why ? -1 : (r->why = "expected ':'", -1);
		if (values_append(vs, name, v))
			return r->why = "out of memory", -1;
	} while (take(r, ','));
	if (!take(r, '}'))
		return r->why = "expected ',' or '}'", -1;
	ci_values_sort(vs);
	for (size_t i = 1; i < vs->n; i++)
		if (!strcmp(vs->v[i - 1].name, vs->v[i].name))
			return r->why = "a metric or leak named twice", -1;
	return 0;
}

static int read_field(struct reader *r, const char *key, struct ci_summary *s, bool *saw_format)
{
	struct {
		const char *key;
		char *str;
		size_t cap;
		uint64_t *num;
	} const fields[] = {
		{"tool_version", s->tool_version, sizeof(s->tool_version), NULL},
		{"command", s->command, sizeof(s->command), NULL},
		{"node_version", s->node_version, sizeof(s->node_version), NULL},
		{"layers", s->layers, sizeof(s->layers), NULL},
		{"js_mode", s->js_mode, sizeof(s->js_mode), NULL},
		{"runs", NULL, 0, &s->runs},
		{"exit_status", NULL, 0, &s->exit_status},
	};
	char buf[64];
	uint64_t version;

	if (!strcmp(key, "format")) {
		if (read_string(r, buf, sizeof(buf)))
			return -1;
		if (strcmp(buf, CI_SUMMARY_FORMAT))
			return r->why = "not an asyncscope ci summary (\"format\" differs)", -1;
		*saw_format = true;
		return 0;
	}
	if (!strcmp(key, "version")) {
		if (read_uint(r, &version))
			return -1;
		if (version != CI_SUMMARY_VERSION)
			return r->why = "summary format version not supported by this asyncscope",
			       -1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(key, fields[i].key))
			return fields[i].str ? read_string(r, fields[i].str, fields[i].cap) :
					       read_uint(r, fields[i].num);
	if (!strcmp(key, "metrics"))
		return read_values(r, &s->metrics);
	if (!strcmp(key, "leaks"))
		return read_values(r, &s->leaks);
	if (!strcmp(key, "longest_callback")) {
		char k[32];

		if (!take(r, '{'))
			return r->why = "expected an object", -1;
		do {
			if (read_string(r, k, sizeof(k)) || !take(r, ':'))
				return -1;
			if (!strcmp(k, "ns") ?
				    read_uint(r, &s->longest_ns) :
			    !strcmp(k, "type") ?
				    read_string(r, s->longest_type, sizeof(s->longest_type)) :
			    !strcmp(k, "chain") ?
				    read_string(r, s->longest_chain, sizeof(s->longest_chain)) :
				    (r->why = "unknown key in longest_callback", -1))
				return -1;
		} while (take(r, ','));
		return take(r, '}') ? 0 : (r->why = "expected ',' or '}'", -1);
	}
	return r->why = "unknown key", -1;
}

int ci_summary_read_json(FILE *in, const char *name, struct ci_summary *s, char *err,
			 size_t err_cap)
{
	struct reader r = {0};
	char *buf = NULL, key[64];
	size_t cap = 0, len = 0, got;
	bool saw_format = false;
	int ret = -EBADMSG;

	memset(s, 0, sizeof(*s));
	for (;;) {
		if (array_grow((void **)&buf, &cap, len + 4096, 1)) {
			free(buf);
			snprintf(err, err_cap, "%s: out of memory", name);
			return -ENOMEM;
		}
		got = fread(buf + len, 1, cap - len, in);
		len += got;
		if (!got)
			break;
	}
	buf[len] = '\0'; /* strtoull stops here at the latest */
	r = (struct reader){buf, buf, buf + len, NULL};
	if (!take(&r, '{')) {
		r.why = len ? "expected '{': not a JSON summary" : "empty file";
		goto out;
	}
	do {
		if (read_string(&r, key, sizeof(key)) || !take(&r, ':'))
			goto out;
		if (read_field(&r, key, s, &saw_format))
			goto out;
	} while (take(&r, ','));
	if (!take(&r, '}')) {
		r.why = "expected ',' or '}'";
		goto out;
	}
	skip_ws(&r);
	if (r.p != r.end) {
		r.why = "trailing bytes after the summary";
		goto out;
	}
	if (!saw_format) {
		r.why = "no \"format\": not an asyncscope ci summary";
		goto out;
	}
	ret = 0;
out:
	if (ret)
		snprintf(err, err_cap, "%s: offset %zu: %s", name, (size_t)(r.p - r.buf),
			 r.why ? r.why : "malformed");
	free(buf);
	if (ret)
		ci_summary_free(s);
	return ret;
}
