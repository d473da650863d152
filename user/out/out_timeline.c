// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <string.h>

#include "lib/json_writer.h"
#include "out/out_timeline.h"
#include "out/out_tree.h"

void timeline_slice_label(char *buf, size_t cap, const struct slice *s)
{
	if (s->microtasks)
		snprintf(buf, cap, "microtasks (%" PRIu64 ")", s->count);
	else
		snprintf(buf, cap, "%s %" PRIu64 "%s", s->type ? s->type : "?", s->id,
			 s->layer == LAYER_JS ? " (js)" : "");
}

void timeline_print_text(FILE *out, const struct timeline *t, const struct timeline_opts *o)
{
	uint64_t t0 = timeline_first_ns(t), span = timeline_last_ns(t) - t0;
	size_t n = timeline_nslices(t), i = 0;
	unsigned int width = o->width ? o->width : TIMELINE_WIDTH;
	char total[32];

	format_duration(total, sizeof(total), span);
	fprintf(out, "%zu callbacks over %s (offsets from the first event)\n", n, total);
	while (i < n) {
		const struct slice *first = timeline_slice(t, i);
		size_t end = i, shown = 0;
		uint64_t busy = 0;
		char b[32];

		while (end < n && timeline_slice(t, end)->tid == first->tid &&
		       timeline_slice(t, end)->pid == first->pid)
			end++;
		for (size_t k = i; k < end; k++)
			if (timeline_slice(t, k)->depth == 0)
				busy += timeline_slice(t, k)->end_ns -
					timeline_slice(t, k)->start_ns;
		format_duration(b, sizeof(b), busy);
		fprintf(out, "\npid %u tid %u%s: %zu callbacks, %s in callbacks\n", first->pid,
			first->tid, first->pid == first->tid ? " main thread" : "", end - i, b);
		fprintf(out, "  %10s %9s  %-34s |%-*s|\n", "start", "duration", "resource", width,
			"time ->");
		for (size_t k = i; k < end; k++) {
			const struct slice *s = timeline_slice(t, k);
			char start[32], dur[32], name[64], label[80], lane[256];
			unsigned int a, z;

			if (o->limit && shown == o->limit) {
				fprintf(out, "  … %zu more (--limit 0 lists all)\n", end - k);
				break;
			}
			format_duration(start, sizeof(start), s->start_ns - t0);
			format_duration(dur, sizeof(dur), s->end_ns - s->start_ns);
			timeline_slice_label(name, sizeof(name), s);
			snprintf(label, sizeof(label), "%*s%s",
				 (int)(2 * (s->depth < 8 ? s->depth : 8)), "", name);
			/* the callback's place on the time axis */
			a = span ? (unsigned int)((s->start_ns - t0) * width / span) : 0;
			z = span ? (unsigned int)((s->end_ns - t0) * width / span) : 0;
			if (a >= width)
				a = width - 1;
			if (z <= a)
				z = a + 1;
			if (z > width)
				z = width;
			memset(lane, ' ', width);
			memset(lane + a, '#', z - a);
			lane[width] = '\0';
			fprintf(out, "  %10s %9s%s %-34.34s |%s|%s\n", start, dur,
				s->sampled ? "~" : " ", label, lane,
				s->unfinished ? " (still running)" : "");
			shown++;
		}
		i = end;
	}
	fprintf(out, "\n~ JS callback seen from inside (first to last sighting)\n");
}

static void chrome_ts(struct json_writer *w, const char *name, uint64_t ns, uint64_t t0)
{
	jsonw_name(w, name);
	jsonw_fixed3(w, (double)(ns - t0) / 1000.0);
}

void timeline_print_chrome(FILE *out, const struct timeline *t)
{
	uint64_t t0 = timeline_first_ns(t);
	struct json_writer w;
	uint32_t last_tid = 0, last_pid = 0;

	jsonw_init(&w, out, false);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "displayTimeUnit", "ns");
	jsonw_name(&w, "traceEvents");
	jsonw_start_array(&w);
	for (size_t i = 0; i < timeline_nslices(t); i++) {
		const struct slice *s = timeline_slice(t, i);
		char name[64];

		if (s->tid != last_tid || s->pid != last_pid) {
			/* one named track per thread */
			jsonw_start_object(&w);
			jsonw_string_field(&w, "ph", "M");
			jsonw_string_field(&w, "name", "thread_name");
			jsonw_uint_field(&w, "pid", s->pid);
			jsonw_uint_field(&w, "tid", s->tid);
			jsonw_name(&w, "args");
			jsonw_start_object(&w);
			jsonw_string_field(&w, "name",
					   s->pid == s->tid ? "main thread" : "worker thread");
			jsonw_end_object(&w);
			jsonw_end_object(&w);
			last_tid = s->tid;
			last_pid = s->pid;
		}
		timeline_slice_label(name, sizeof(name), s);
		jsonw_start_object(&w);
		jsonw_string_field(&w, "ph", "X");
		jsonw_string_field(&w, "cat", ev_layer_name(s->layer));
		jsonw_string_field(&w, "name", name);
		jsonw_uint_field(&w, "pid", s->pid);
		jsonw_uint_field(&w, "tid", s->tid);
		chrome_ts(&w, "ts", s->start_ns, t0);
		jsonw_name(&w, "dur");
		jsonw_fixed3(&w, (double)(s->end_ns - s->start_ns) / 1000.0);
		jsonw_name(&w, "args");
		jsonw_start_object(&w);
		if (s->microtasks)
			jsonw_uint_field(&w, "microtasks", s->count);
		else
			jsonw_uint_field(&w, s->layer == LAYER_UV ? "uvId" : "asyncId", s->id);
		if (s->sampled)
			jsonw_bool_field(&w, "sampled", true);
		if (s->unfinished)
			jsonw_bool_field(&w, "unfinished", true);
		jsonw_end_object(&w);
		jsonw_end_object(&w);
	}
	/* flows: from the callback the resource was created in, to its first */
	for (size_t i = 0; i < timeline_nflows(t); i++) {
		const struct flow *f = timeline_flow(t, i);
		uint64_t flow_id = (f->child << 20) ^ f->tid;

		if (!f->target_ns)
			continue;
		jsonw_start_object(&w);
		jsonw_string_field(&w, "ph", "s");
		jsonw_string_field(&w, "cat", "trigger");
		jsonw_string_field(&w, "name", "trigger");
		jsonw_uint_field(&w, "id", flow_id);
		jsonw_uint_field(&w, "pid", f->pid);
		jsonw_uint_field(&w, "tid", f->tid);
		chrome_ts(&w, "ts", f->init_ns, t0);
		jsonw_end_object(&w);
		jsonw_start_object(&w);
		jsonw_string_field(&w, "ph", "f");
		jsonw_string_field(&w, "bp", "e");
		jsonw_string_field(&w, "cat", "trigger");
		jsonw_string_field(&w, "name", "trigger");
		jsonw_uint_field(&w, "id", flow_id);
		jsonw_uint_field(&w, "pid", f->pid);
		jsonw_uint_field(&w, "tid", f->tid);
		chrome_ts(&w, "ts", f->target_ns, t0);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fputc('\n', out);
}
