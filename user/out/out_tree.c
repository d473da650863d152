// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_writer.h"
#include "out/out_tree.h"

void format_duration(char *buf, size_t cap, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, cap, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, cap, "%.*fus", ns < 10000 ? 2 : ns < 100000 ? 1 : 0, ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, cap, "%.*fms", ns < 10000000 ? 2 : ns < 100000000 ? 1 : 0, ns / 1e6);
	else
		snprintf(buf, cap, "%.2fs", ns / 1e9);
}

static void print_label(FILE *out, const struct model *m, const struct resource *r)
{
	uint32_t link;

	if (r->kind == RES_CONTEXT)
		fprintf(out, "(%" PRIu64 ") bootstrap / main script", r->id);
	else if (r->kind == RES_PLACEHOLDER)
		fprintf(out, "? %" PRIu64 " (not seen created: before attach%s)", r->id,
			r->layer == LAYER_UV ? "" : ", or JS-only");
	else
		fprintf(out, "%s %" PRIu64, r->type, r->id);
	/* a libuv object and the AsyncWrap that owns it */
	if (r->link_id) {
		link = model_find(m, r->pid, r->tid, r->link_id);
		if (link != RES_NONE && model_resource(m, link)->type)
			fprintf(out, " <-> %s %" PRIu64, model_resource(m, link)->type, r->link_id);
		else
			fprintf(out, " <-> async id %" PRIu64, r->link_id);
	}
}

static void print_stats(FILE *out, const struct model *m, const struct resource *r)
{
	char a[32], b[32];

	if (r->kind == RES_CONTEXT)
		return;
	/* a placeholder's life is unknown: show only what was seen of it */
	if (r->kind == RES_PLACEHOLDER && !r->ncallbacks && !r->destroyed)
		return;
	/* JS resources inferred from id stacks: their callbacks were seen from
	 * inside (first to last sighting), their destroy not at all */
	if (r->layer == LAYER_JS && r->kind == RES_SEEN) {
		format_duration(a, sizeof(a), r->cb_total_ns);
		if (r->cb_total_ns)
			fprintf(out, "  [js, seen running %" PRIu64 "x, >= %s]", r->ncallbacks, a);
		else
			fprintf(out, "  [js, seen running %" PRIu64 "x]", r->ncallbacks);
		return;
	}
	fputs("  [", out);
	if (r->ncallbacks) {
		format_duration(a, sizeof(a), r->cb_total_ns);
		format_duration(b, sizeof(b), r->cb_max_ns);
		fprintf(out, "%" PRIu64 " cb %s", r->ncallbacks, a);
		if (r->ncallbacks > 1)
			fprintf(out, " (max %s)", b);
	} else {
		fputs("0 cb", out);
	}
	if (r->init_ts && r->first_before_ts >= r->init_ts) {
		format_duration(a, sizeof(a), r->first_before_ts - r->init_ts);
		fprintf(out, ", queue %s", a);
	}
	if (r->destroyed && r->init_ts && r->destroy_ts >= r->init_ts) {
		format_duration(a, sizeof(a), r->destroy_ts - r->init_ts);
		fprintf(out, ", lived %s", a);
	} else if (r->destroyed) {
		fputs(", destroyed", out);
	} else if (r->init_ts) {
		format_duration(a, sizeof(a), model_last_ts(m) - r->init_ts);
		fprintf(out, ", alive (%s)", a);
	}
	fputc(']', out);
}

struct type_count {
	const char *type;
	uint64_t n;
};

static size_t count_subtree(const struct model *m, uint32_t idx)
{
	size_t n = 1;

	for (uint32_t c = model_resource(m, idx)->first_child; c != RES_NONE;
	     c = model_resource(m, c)->next_sibling)
		n += count_subtree(m, c);
	return n;
}

/* Sums the siblings from idx on by type: "… 975 more: 970 TCPWRAP, 5 Timeout". */
static void print_rest(FILE *out, const struct model *m, uint32_t idx, const char *prefix)
{
	struct type_count counts[16];
	size_t ntypes = 0, nres = 0, nsub = 0, other = 0;

	for (uint32_t c = idx; c != RES_NONE; c = model_resource(m, c)->next_sibling) {
		const struct resource *r = model_resource(m, c);
		const char *type = r->type ? r->type : "?";
		size_t i;

		nres++;
		nsub += count_subtree(m, c);
		for (i = 0; i < ntypes && counts[i].type != type; i++)
			;
		if (i == ntypes) {
			if (ntypes == sizeof(counts) / sizeof(counts[0])) {
				other++;
				continue;
			}
			counts[ntypes++] = (struct type_count){type, 0};
		}
		counts[i].n++;
	}
	fprintf(out, "%s└─ … %zu more:", prefix, nres);
	for (size_t i = 0; i < ntypes; i++)
		fprintf(out, "%s %" PRIu64 " %s", i ? "," : "", counts[i].n, counts[i].type);
	if (other)
		fprintf(out, ", %zu of other types", other);
	if (nsub > nres)
		fprintf(out, " (%zu resources with their descendants)", nsub);
	fputc('\n', out);
}

static size_t subtree_depth(const struct model *m, uint32_t idx)
{
	size_t deepest = 0;

	/* iterative along the first chain keeps long linear chains cheap */
	for (uint32_t c = model_resource(m, idx)->first_child; c != RES_NONE;
	     c = model_resource(m, c)->next_sibling) {
		size_t d = subtree_depth(m, c);

		if (d > deepest)
			deepest = d;
	}
	return deepest + 1;
}

static void print_children(FILE *out, const struct model *m, uint32_t first, char *prefix,
			   size_t prefix_len, unsigned int depth, const struct tree_opts *o)
{
	unsigned int shown = 0;

	if (o->max_depth && depth >= o->max_depth) {
		size_t n = 0, deepest = 0;

		for (uint32_t c = first; c != RES_NONE; c = model_resource(m, c)->next_sibling) {
			size_t d = subtree_depth(m, c);

			n += count_subtree(m, c);
			if (d > deepest)
				deepest = d;
		}
		fprintf(out,
			"%s└─ … %zu more descendants, %zu levels deeper (--max-depth 0 shows "
			"all)\n",
			prefix, n, deepest);
		return;
	}

	for (uint32_t c = first; c != RES_NONE;) {
		const struct resource *r = model_resource(m, c);
		bool last = r->next_sibling == RES_NONE;

		if (o->max_children && shown == o->max_children && !last) {
			print_rest(out, m, c, prefix);
			return;
		}
		fprintf(out, "%s%s", prefix, last ? "└─ " : "├─ ");
		print_label(out, m, r);
		print_stats(out, m, r);
		fputc('\n', out);
		if (r->first_child != RES_NONE) {
			strcpy(prefix + prefix_len, last ? "   " : "│  ");
			print_children(out, m, r->first_child, prefix,
				       prefix_len + strlen(prefix + prefix_len), depth + 1, o);
			prefix[prefix_len] = '\0';
		}
		shown++;
		c = r->next_sibling;
	}
}

void tree_print_text(FILE *out, const struct model *m, const struct tree_opts *o)
{
	size_t nthreads = model_nthreads(m);
	/* "│  " is 5 bytes; the depth limit bounds the prefix */
	size_t cap = 5 * (size_t)(o->max_depth ? o->max_depth + 1 : model_nresources(m) + 1) + 1;
	char *prefix = calloc(1, cap);

	if (!prefix)
		return;
	fprintf(out, "%zu resources, %" PRIu64 " events, %zu thread%s", model_nresources(m),
		model_nevents(m), nthreads, nthreads == 1 ? "" : "s");
	if (o->summary && o->summary->lost)
		fprintf(out, ", %" PRIu64 " EVENTS LOST", o->summary->lost);
	fputc('\n', out);
	for (size_t i = 0; i < nthreads; i++) {
		const struct thread_roots *t = model_thread(m, i);

		fprintf(out, "\npid %u tid %u%s (%u resources)\n", t->pid, t->tid,
			t->pid == t->tid ? " main thread" : "", t->nresources);
		prefix[0] = '\0';
		print_children(out, m, t->first_root, prefix, 0, 0, o);
	}
	free(prefix);
}

static void json_resource(struct json_writer *w, const struct model *m, uint32_t idx)
{
	const struct resource *r = model_resource(m, idx);

	jsonw_start_object(w);
	jsonw_uint_field(w, "pid", r->pid);
	jsonw_uint_field(w, "tid", r->tid);
	jsonw_uint_field(w, "id", r->id);
	jsonw_string_field(w, "kind",
			   r->kind == RES_SEEN	  ? "resource" :
			   r->kind == RES_CONTEXT ? "context" :
						    "placeholder");
	if (r->type)
		jsonw_string_field(w, "type", r->type);
	jsonw_string_field(w, "layer", ev_layer_name(r->layer));
	if (r->link_id)
		jsonw_uint_field(w, "wrap", r->link_id);
	if (r->parent != RES_NONE)
		jsonw_uint_field(w, "parent", model_resource(m, r->parent)->id);
	else
		jsonw_null_field(w, "parent");
	if (r->kind == RES_SEEN) {
		jsonw_uint_field(w, "trigger", r->trigger);
		jsonw_uint_field(w, "exec", r->exec);
		jsonw_uint_field(w, "init_ts", r->init_ts);
	}
	jsonw_uint_field(w, "callbacks", r->ncallbacks);
	jsonw_uint_field(w, "callback_total_ns", r->cb_total_ns);
	jsonw_uint_field(w, "callback_max_ns", r->cb_max_ns);
	if (r->init_ts && r->first_before_ts >= r->init_ts)
		jsonw_uint_field(w, "queue_ns", r->first_before_ts - r->init_ts);
	jsonw_bool_field(w, "alive", !r->destroyed);
	if (r->destroyed && r->init_ts && r->destroy_ts >= r->init_ts)
		jsonw_uint_field(w, "lifetime_ns", r->destroy_ts - r->init_ts);
	jsonw_end_object(w);
}

/* Flat: one object per resource with its parent's id, in tree order, so any
 * depth of trigger chain stays a shallow document. */
static void json_subtree(struct json_writer *w, const struct model *m, uint32_t first)
{
	for (uint32_t c = first; c != RES_NONE; c = model_resource(m, c)->next_sibling) {
		json_resource(w, m, c);
		json_subtree(w, m, model_resource(m, c)->first_child);
	}
}

void tree_print_json(FILE *out, const struct model *m, const struct tree_opts *o)
{
	struct json_writer w;

	jsonw_init(&w, out, false);
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "resources", model_nresources(m));
	jsonw_uint_field(&w, "events", model_nevents(m));
	jsonw_uint_field(&w, "lost", o->summary ? o->summary->lost : 0);
	jsonw_name(&w, "nodes");
	jsonw_start_array(&w);
	for (size_t i = 0; i < model_nthreads(m); i++)
		json_subtree(&w, m, model_thread(m, i)->first_root);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fputc('\n', out);
}
