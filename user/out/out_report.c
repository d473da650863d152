// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The stats, top and leaks views (text and JSON) and the folded output. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/json_writer.h"
#include "out/out_report.h"
#include "out/out_tree.h"

static void dur(char *buf, size_t cap, uint64_t ns)
{
	format_duration(buf, cap, ns);
}

/* ---- stats ---- */

static void print_wall(FILE *out, const struct capture_meta *meta, uint64_t mono_ns)
{
	struct tm tm;
	time_t t;

	if (!meta || !meta->clock_mono_ns || !mono_ns)
		return;
	/* event times are CLOCK_MONOTONIC; the header pairs it with wall time */
	t = (time_t)((meta->clock_real_ns + (mono_ns - meta->clock_mono_ns)) / 1000000000ULL);
	gmtime_r(&t, &tm);
	fprintf(out, "started %04d-%02d-%02d %02d:%02d:%02d UTC; ", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void report_print_stats_text(FILE *out, const struct report_input *in)
{
	const struct model_stats *s = in->stats;
	const struct capture_summary *sum = in->summary;
	const struct capture_meta *meta = in->meta;
	uint64_t span = s->last_ts > s->first_ts ? s->last_ts - s->first_ts : 0;
	char d[32];
	bool any = false;

	fprintf(out, "capture    ");
	if (meta && meta->pid)
		fprintf(out, "pid %" PRIu64 " ", meta->pid);
	if (meta && meta->exe[0])
		fprintf(out, "%s", meta->exe);
	if (meta && meta->node_version[0])
		fprintf(out, ", node %s", meta->node_version);
	if (meta && meta->layers[0])
		fprintf(out, ", layers %s", meta->layers);
	if (meta && meta->js_mode[0] && strstr(meta->layers, "node"))
		fprintf(out, ", JS %s", meta->js_mode);
	if (!meta || (!meta->pid && !meta->exe[0]))
		fprintf(out, "(no target information: converted from JSON Lines)");
	fputc('\n', out);
	dur(d, sizeof(d), span);
	fprintf(out, "           ");
	print_wall(out, meta, s->first_ts);
	fprintf(out, "%s of events; %" PRIu64 " events", d, sum->events ? sum->events : s->events);
	if (span)
		fprintf(out, " (%.0f/s)",
			(double)(sum->events ? sum->events : s->events) * 1e9 / span);
	fputc('\n', out);
	fprintf(out, "events    ");
	for (int k = EV_NONE + 1; k < EV_KIND_COUNT; k++)
		fprintf(out, " %s %" PRIu64 "%s", ev_kind_name(k), sum->counts[k],
			k + 1 < EV_KIND_COUNT ? "," : "\n");
	if (s->micro.runs)
		fprintf(out,
			"microtasks %" PRIu64 " in %" PRIu64 " runs of V8's queue (%.1f a run, at "
			"most %" PRIu64 ")\n",
			s->micro.microtasks, s->micro.runs,
			(double)s->micro.microtasks / s->micro.runs, s->micro.max);
	if (s->rejections[0] || s->rejections[1]) {
		fprintf(out, "rejections %" PRIu64 " unhandled, %" PRIu64 " handled late\n",
			s->rejections[0], s->rejections[1]);
		for (size_t i = 0; i < s->nrej_groups; i++) {
			const struct rejection_group *g = &s->rej_groups[i];

			fprintf(out, "  %8" PRIu64 " %-12s in %s%s%s\n", g->n,
				rejection_kind_name(g->kind), g->type, g->path[0] ? " <- " : "",
				g->path);
		}
	}
	fprintf(out,
		"resources  %" PRIu64 " (node %" PRIu64 ", js %" PRIu64 ", uv %" PRIu64
		") in %" PRIu64 " threads; %" PRIu64 " alive at the end",
		s->resources, s->per_layer[LAYER_NODE], s->per_layer[LAYER_JS],
		s->per_layer[LAYER_UV], s->threads, s->alive);
	if (s->placeholders)
		fprintf(out, "; %" PRIu64 " seen only as triggers (made before attach, or JS-only)",
			s->placeholders);
	fputc('\n', out);
	fprintf(out, "types      %zu; longest trigger chain %" PRIu64 "\n", s->ntypes,
		s->max_depth);
	fprintf(out, "not seen  ");
	for (int i = 0; i < nsummary_fields; i++) {
		const char *name = summary_fields[i].name;
		uint64_t v = *summary_value((struct capture_summary *)sum, &summary_fields[i]);

		if (!summary_fields[i].missed || !v)
			continue;
		fprintf(out, " %s %" PRIu64 ",", name, v);
		any = true;
	}
	fprintf(out, "%s\n",
		any ? " (see docs/event-format.md)" : " nothing: no event lost or skipped");
	if (!sum->seen)
		fprintf(out, "warning    the capture has no summary: it was cut short\n");
}

void report_print_stats_json(FILE *out, const struct report_input *in)
{
	const struct model_stats *s = in->stats;
	const struct capture_summary *sum = in->summary;
	const struct capture_meta *meta = in->meta;
	struct json_writer w;

	jsonw_init(&w, out, true);
	jsonw_start_object(&w);
	if (meta) {
		jsonw_name(&w, "target");
		jsonw_start_object(&w);
		jsonw_uint_field(&w, "pid", meta->pid);
		jsonw_string_field(&w, "exe", meta->exe);
		jsonw_string_field(&w, "command", meta->command);
		jsonw_string_field(&w, "node_version", meta->node_version);
		jsonw_string_field(&w, "node_build_id", meta->node_build_id);
		jsonw_string_field(&w, "uv_path", meta->uv_path);
		jsonw_string_field(&w, "layers", meta->layers);
		jsonw_string_field(&w, "js_mode", meta->js_mode);
		if (meta->clock_mono_ns && s->first_ts)
			jsonw_uint_field(&w, "start_unix_ns",
					 meta->clock_real_ns + (s->first_ts - meta->clock_mono_ns));
		jsonw_end_object(&w);
	}
	jsonw_name(&w, "events");
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "total", sum->events);
	for (int k = EV_NONE + 1; k < EV_KIND_COUNT; k++)
		jsonw_uint_field(&w, ev_kind_name(k), sum->counts[k]);
	jsonw_end_object(&w);
	jsonw_name(&w, "not_seen");
	jsonw_start_object(&w);
	for (int i = 0; i < nsummary_fields; i++)
		if (summary_fields[i].missed)
			jsonw_uint_field(
				&w, summary_fields[i].name,
				*summary_value((struct capture_summary *)sum, &summary_fields[i]));
	jsonw_end_object(&w);
	jsonw_bool_field(&w, "complete", sum->seen);
	jsonw_uint_field(&w, "span_ns", s->last_ts > s->first_ts ? s->last_ts - s->first_ts : 0);
	jsonw_name(&w, "microtasks");
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "total", s->micro.microtasks);
	jsonw_uint_field(&w, "runs", s->micro.runs);
	jsonw_uint_field(&w, "max_per_run", s->micro.max);
	jsonw_end_object(&w);
	jsonw_name(&w, "rejections");
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "unhandled", s->rejections[0]);
	jsonw_uint_field(&w, "handled_late", s->rejections[1]);
	jsonw_name(&w, "where");
	jsonw_start_array(&w);
	for (size_t i = 0; i < s->nrej_groups; i++) {
		jsonw_start_object(&w);
		jsonw_string_field(&w, "kind", rejection_kind_name(s->rej_groups[i].kind));
		jsonw_string_field(&w, "type", s->rej_groups[i].type);
		jsonw_string_field(&w, "path", s->rej_groups[i].path);
		jsonw_uint_field(&w, "count", s->rej_groups[i].n);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	jsonw_uint_field(&w, "resources", s->resources);
	jsonw_uint_field(&w, "node_resources", s->per_layer[LAYER_NODE]);
	jsonw_uint_field(&w, "js_resources", s->per_layer[LAYER_JS]);
	jsonw_uint_field(&w, "uv_resources", s->per_layer[LAYER_UV]);
	jsonw_uint_field(&w, "placeholders", s->placeholders);
	jsonw_uint_field(&w, "alive", s->alive);
	jsonw_uint_field(&w, "threads", s->threads);
	jsonw_uint_field(&w, "types", s->ntypes);
	jsonw_uint_field(&w, "max_trigger_depth", s->max_depth);
	jsonw_end_object(&w);
	fputc('\n', out);
}

/* ---- top ---- */

static void dist_json(struct json_writer *w, const char *name, const struct dist *d)
{
	jsonw_name(w, name);
	jsonw_start_object(w);
	jsonw_uint_field(w, "n", d->n);
	jsonw_uint_field(w, "total_ns", d->total);
	jsonw_uint_field(w, "p50_ns", d->p50);
	jsonw_uint_field(w, "p95_ns", d->p95);
	jsonw_uint_field(w, "p99_ns", d->p99);
	jsonw_uint_field(w, "max_ns", d->max);
	jsonw_end_object(w);
}

static void group_json(struct json_writer *w, const struct group_stats *g)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "type", g->type);
	jsonw_string_field(w, "layer", ev_layer_name(g->layer));
	if (g->path)
		jsonw_string_field(w, "path", g->path);
	jsonw_uint_field(w, "count", g->count);
	jsonw_uint_field(w, "alive", g->alive);
	jsonw_uint_field(w, "callbacks", g->callbacks);
	dist_json(w, "callback", &g->cb);
	dist_json(w, "queue_delay", &g->queue);
	dist_json(w, "lifetime", &g->lifetime);
	if (g->alive) {
		jsonw_uint_field(w, "oldest_alive_ns", g->oldest_alive_ns);
		jsonw_uint_field(w, "mean_alive_age_ns", g->alive_age_total_ns / g->alive);
	}
	jsonw_end_object(w);
}

static size_t shown(size_t n, unsigned int limit)
{
	return limit && n > limit ? limit : n;
}

void report_print_top_text(FILE *out, const struct report_input *in, unsigned int limit)
{
	const struct model_stats *s = in->stats;
	char a[16], b[16], c[16], d[16], e[16];

	fprintf(out, "Types by total callback time\n");
	fprintf(out, "  %-22s %-5s %8s %9s %9s %9s %9s %9s %9s %7s\n", "type", "layer", "count",
		"callbacks", "total cb", "p95 cb", "max cb", "queue p50", "queue p95", "alive");
	for (size_t i = 0; i < shown(s->ntypes, limit); i++) {
		const struct group_stats *g = &s->types[i];

		dur(a, sizeof(a), g->cb.total);
		dur(b, sizeof(b), g->cb.p95);
		dur(c, sizeof(c), g->cb.max);
		dur(d, sizeof(d), g->queue.p50);
		dur(e, sizeof(e), g->queue.p95);
		fprintf(out,
			"  %-22s %-5s %8" PRIu64 " %9" PRIu64 " %9s %9s %9s %9s %9s %7" PRIu64 "\n",
			g->type, ev_layer_name(g->layer), g->count, g->callbacks, a, b, c,
			g->queue.n ? d : "-", g->queue.n ? e : "-", g->alive);
	}
	if (s->ntypes > shown(s->ntypes, limit))
		fprintf(out, "  ... %zu more types (--limit 0 shows all)\n", s->ntypes - limit);
	fprintf(out, "\nCreation paths by total callback time (path: the types it was created "
		     "under, root first)\n");
	fprintf(out, "  %9s %8s %9s %9s %9s  %s\n", "total cb", "count", "callbacks", "max cb",
		"queue p95", "type <- path");
	for (size_t i = 0; i < shown(s->npaths, limit); i++) {
		const struct group_stats *g = &s->paths[i];

		dur(a, sizeof(a), g->cb.total);
		dur(c, sizeof(c), g->cb.max);
		dur(e, sizeof(e), g->queue.p95);
		fprintf(out, "  %9s %8" PRIu64 " %9" PRIu64 " %9s %9s  %s <- %s\n", a, g->count,
			g->callbacks, c, g->queue.n ? e : "-", g->type, g->path);
	}
	if (s->npaths > shown(s->npaths, limit))
		fprintf(out, "  ... %zu more paths (--limit 0 shows all)\n", s->npaths - limit);
}

void report_print_top_json(FILE *out, const struct report_input *in, unsigned int limit)
{
	const struct model_stats *s = in->stats;
	struct json_writer w;

	jsonw_init(&w, out, true);
	jsonw_start_object(&w);
	jsonw_name(&w, "types");
	jsonw_start_array(&w);
	for (size_t i = 0; i < shown(s->ntypes, limit); i++)
		group_json(&w, &s->types[i]);
	jsonw_end_array(&w);
	jsonw_name(&w, "paths");
	jsonw_start_array(&w);
	for (size_t i = 0; i < shown(s->npaths, limit); i++)
		group_json(&w, &s->paths[i]);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fputc('\n', out);
}

/* ---- leaks ---- */

void report_print_leaks_text(FILE *out, const struct report_input *in, unsigned int limit)
{
	const struct model_stats *s = in->stats;
	char a[16], b[16];

	if (!s->nleaks) {
		fprintf(out, "Nothing was alive at the end of the capture (native and libuv "
			     "resources, JS timers).\n");
		return;
	}
	fprintf(out,
		"%" PRIu64 " resources alive at the end of the capture, by type and creation path\n"
		"(alive is not leaked when the capture ended first: compare ages with its length;\n"
		"of JS-only resources, whose end happens in JS unseen, only timers are listed:\n"
		"a Timeout or Immediate never run, or a repeating Timeout still firing)\n",
		s->alive);
	fprintf(out, "  %7s %9s %9s  %s\n", "alive", "oldest", "mean age", "type <- path");
	for (size_t i = 0; i < shown(s->nleaks, limit); i++) {
		const struct group_stats *g = &s->leaks[i];

		dur(a, sizeof(a), g->oldest_alive_ns);
		dur(b, sizeof(b), g->alive_age_total_ns / g->alive);
		fprintf(out, "  %7" PRIu64 " %9s %9s  %s <- %s\n", g->alive, a, b, g->type,
			g->path);
	}
	if (s->nleaks > shown(s->nleaks, limit))
		fprintf(out, "  ... %zu more groups (--limit 0 shows all)\n", s->nleaks - limit);
}

void report_print_leaks_json(FILE *out, const struct report_input *in, unsigned int limit)
{
	const struct model_stats *s = in->stats;
	struct json_writer w;

	jsonw_init(&w, out, true);
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "alive", s->alive);
	jsonw_name(&w, "groups");
	jsonw_start_array(&w);
	for (size_t i = 0; i < shown(s->nleaks, limit); i++)
		group_json(&w, &s->leaks[i]);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fputc('\n', out);
}

/* ---- folded ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * One line per resource with callback time: thread;ancestors;type self_ns,
 * with equal stacks summed, sorted (what flamegraph.pl, speedscope and
 * inferno read).
 */
int report_print_folded(FILE *out, const struct model *m)
{
	size_t n = model_nresources(m), nl = 0;
	char **lines = calloc(n + 1, sizeof(*lines));
	bool many_pids = false;

	if (!lines)
		return -1;
	for (size_t t = 1; t < model_nthreads(m); t++)
		many_pids |= model_thread(m, t)->pid != model_thread(m, 0)->pid;
	for (uint32_t i = 0; i < n; i++) {
		const struct resource *r = model_resource(m, i);
		char path[1024], thread[64], pid[24] = "";
		size_t len;

		if (r->kind != RES_SEEN || !r->cb_total_ns)
			continue;
		model_path(m, i, ";", 64, path, sizeof(path));
		if (many_pids)
			snprintf(pid, sizeof(pid), "pid %u ", r->pid);
		if (r->pid == r->tid)
			snprintf(thread, sizeof(thread), "%smain thread", pid);
		else
			snprintf(thread, sizeof(thread), "%sthread %u", pid, r->tid);
		len = strlen(thread) + strlen(path) + strlen(r->type) + 32;
		lines[nl] = malloc(len);
		if (!lines[nl])
			break;
		/* stack, a tab, the weight: sorting puts equal stacks together */
		if (strcmp(path, "(no trigger)"))
			snprintf(lines[nl], len, "%s;%s;%s\t%" PRIu64, thread, path, r->type,
				 r->cb_total_ns);
		else
			snprintf(lines[nl], len, "%s;%s\t%" PRIu64, thread, r->type,
				 r->cb_total_ns);
		nl++;
	}
	qsort(lines, nl, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < nl;) {
		char *stack = lines[i], *tab = strchr(stack, '\t');
		size_t slen = tab - stack, j;
		uint64_t total = 0;

		for (j = i; j < nl && !strncmp(lines[j], stack, slen) && lines[j][slen] == '\t';
		     j++)
			total += strtoull(lines[j] + slen + 1, NULL, 10);
		fprintf(out, "%.*s %" PRIu64 "\n", (int)slen, stack, total);
		i = j;
	}
	for (size_t i = 0; i < nl; i++)
		free(lines[i]);
	free(lines);
	return 0;
}
