// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* .asr captures: lossless round trip, and every damaged copy refused cleanly. */
#include <errno.h>

#include "event/capture.h"
#include "unit.h"

#define NEV 5000

struct collect {
	struct event *ev;
	size_t n;
};

static int collect(void *ctx, const struct event *e)
{
	struct collect *c = ctx;

	if (c->n < NEV)
		c->ev[c->n] = *e;
	c->n++;
	return 0;
}

/* A varied stream: every kind and layer, stacks, callers, uv objects, threads. */
static void make_events(struct event *ev)
{
	static const char *const types[] = {"TCPWRAP", "FSREQCALLBACK", "Timeout", "uv_fs"};

	for (int i = 0; i < NEV; i++) {
		struct event *e = &ev[i];

		memset(e, 0, sizeof(*e));
		e->ts_ns = 1000000000ULL + i * 1000ULL - (i % 7 == 3 ? 5000 : 0); /* not monotone */
		e->pid = 100 + i % 3;
		e->tid = e->pid + (i % 5 == 0);
		e->kind = EV_INIT + i % 7;
		e->layer = i % 11 == 0 ? LAYER_UV : i % 3 == 0 ? LAYER_JS : LAYER_NODE;
		e->id = i / 2 + 2;
		if (e->kind == EV_INIT) {
			e->type = intern(types[i % 4]);
			e->trigger = i / 3;
			e->exec = i / 4;
		}
		if (e->kind == EV_BEFORE)
			e->trigger = i;
		if (e->kind == EV_MICROTASKS) {
			e->id = 0;
			e->count = i % 9;
			e->begin_ns = e->ts_ns - 700;
		}
		if (e->kind == EV_REJECTION) {
			e->id = 0;
			e->rejection = 1 + i % 2;
			e->exec = i / 5;
			e->trigger = i / 7;
			e->begin_ns = e->ts_ns - 30000;
			e->obj = 0x1e8fe0030621ULL + i * 16;
		}
		if (e->layer == LAYER_UV && e->kind == EV_INIT) {
			e->obj = 0x7f0000001000ULL + i * 64;
			e->link_id = i % 2 ? i : 0;
			e->flags = EVF_LATE;
		}
		if (i % 13 == 0)
			e->flags |= EVF_RESET;
		if (i % 17 == 0) {
			e->caller = 0x401000 + i;
			e->caller_fn = i % 2 ? intern("node::Environment::RunTimers") : NULL;
		}
		if (i % 19 == 0) {
			e->has_stack = true;
			e->cur_exec = i;
			e->cur_trigger = i - 1;
			e->id_counter = i + 5;
			e->init_hooks = 1;
			e->stack_depth = 20;
			e->npairs = i % NODE_MAX_STACK;
			for (uint32_t k = 0; k < 2 * e->npairs; k++)
				e->pairs[k] = k * 1000003ULL;
		}
	}
}

static size_t write_capture(struct event *ev, char **buf, struct capture_summary *s)
{
	struct capture_meta m = {.pid = 4242, .clock_mono_ns = 5, .clock_real_ns = 6};
	struct capture_writer *w;
	size_t len;
	FILE *f = open_memstream(buf, &len);

	snprintf(m.node_version, sizeof(m.node_version), "v22.23.3");
	snprintf(m.exe, sizeof(m.exe), "/usr/bin/node");
	m.providers = "NONE\0TCPWRAP";
	m.providers_len = 13;
	memset(s, 0, sizeof(*s));
	s->events = NEV;
	s->lost = 3;
	s->duration_ns = 123;
	if (!ASSERT_EQ(capture_writer_open(f, &m, &w), 0, "open"))
		return 0;
	for (int i = 0; i < NEV; i++)
		capture_writer_event(w, &ev[i]);
	ASSERT_EQ(capture_writer_close(w, s), 0, "close");
	fclose(f);
	return len;
}

static bool same_event(const struct event *a, const struct event *b)
{
	return a->ts_ns == b->ts_ns && a->pid == b->pid && a->tid == b->tid && a->kind == b->kind &&
	       a->layer == b->layer && a->flags == b->flags && a->id == b->id &&
	       a->trigger == b->trigger && a->exec == b->exec && a->type == b->type &&
	       a->count == b->count && a->begin_ns == b->begin_ns && a->rejection == b->rejection &&
	       a->obj == b->obj && a->link_id == b->link_id && a->caller == b->caller &&
	       a->caller_fn == b->caller_fn && a->has_stack == b->has_stack &&
	       a->cur_exec == b->cur_exec && a->cur_trigger == b->cur_trigger &&
	       a->id_counter == b->id_counter && a->init_hooks == b->init_hooks &&
	       a->stack_depth == b->stack_depth && a->npairs == b->npairs &&
	       !memcmp(a->pairs, b->pairs, sizeof(a->pairs[0]) * 2 * a->npairs);
}

void test_capture__round_trip(void)
{
	struct event *ev = calloc(NEV, sizeof(*ev)), *back = calloc(NEV, sizeof(*back));
	struct collect c = {back, 0};
	struct capture_summary s, rs;
	struct capture_meta m;
	char *buf = NULL, err[256];
	size_t len;
	FILE *f;

	make_events(ev);
	len = write_capture(ev, &buf, &s);
	/* JSONL of the same events runs ~100 bytes each */
	ASSERT_TRUE(len < NEV * 20, "compact");
	f = fmemopen(buf, len, "r");
	ASSERT_EQ(capture_read(f, &(struct event_sink){.on_event = collect, .ctx = &c}, &m, &rs,
			       err, sizeof(err)),
		  0, err);
	fclose(f);
	ASSERT_EQ(c.n, NEV, "every event back");
	for (int i = 0; i < NEV && c.n == NEV; i++)
		if (!ASSERT_TRUE(same_event(&ev[i], &back[i]), "identical event")) {
			fprintf(stderr, "  event %d differs\n", i);
			break;
		}
	ASSERT_TRUE(rs.seen, "trailer read");
	ASSERT_EQ(rs.lost, 3, "summary lost");
	ASSERT_EQ(rs.events, NEV, "summary events");
	ASSERT_EQ(m.pid, 4242, "meta pid");
	ASSERT_TRUE(!strcmp(m.node_version, "v22.23.3"), "meta node version");
	ASSERT_EQ(m.nproviders, 2, "providers");
	ASSERT_EQ(m.clock_real_ns, 6, "clock");
	capture_meta_free(&m);
	free(buf);
	free(ev);
	free(back);
}

static bool is_prefix(const struct event *got, const struct event *all, size_t n)
{
	if (n > NEV)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!same_event(&got[i], &all[i]))
			return false;
	return true;
}

/* Every prefix and many single-byte corruptions: an error or a clean stop, never a crash. */
void test_capture__damaged_copies(void)
{
	struct event *ev = calloc(NEV, sizeof(*ev)), *back = calloc(NEV, sizeof(*back));
	struct capture_summary s, rs;
	struct capture_meta m;
	char *buf = NULL, err[256];
	size_t len, refused = 0, unfinished = 0, prefix_max = 0;

	make_events(ev);
	len = write_capture(ev, &buf, &s);
	size_t trailer = len - 4;

	/* the trailer starts at the last "END!" */
	while (trailer > 0 && memcmp(buf + trailer, "END!", 4))
		trailer--;
	for (size_t cut = 1, step = 1; cut < len; cut += step) {
		struct collect c = {back, 0};
		FILE *f = fmemopen(buf, cut, "r");

		/* every byte of the header and around the trailer, sparser between */
		step = cut < 64 || cut + 64 > trailer ? 1 : 37;
		int ret = capture_read(f, &(struct event_sink){.on_event = collect, .ctx = &c}, &m,
				       &rs, err, sizeof(err));

		fclose(f);
		capture_meta_free(&m);
		if (ret) {
			refused++;
			if (!ASSERT_TRUE(!strncmp(err, "offset ", 7), "error names the offset"))
				break;
		} else if (!ASSERT_TRUE(!rs.seen && strstr(err, "did not finish"),
					"cut copy says so")) {
			break;
		} else if (!ASSERT_TRUE(is_prefix(back, ev, c.n),
					"a cut copy gives a prefix of the events")) {
			break;
		} else {
			unfinished++;
			prefix_max = c.n > prefix_max ? c.n : prefix_max;
		}
	}
	ASSERT_TRUE(refused > 0, "cuts inside the header and trailer refused");
	ASSERT_TRUE(unfinished > 1, "cuts inside chunks read as unfinished recordings");
	ASSERT_TRUE(prefix_max > 0, "whole chunks before a cut are delivered");
	for (size_t at = 0; at < len; at += 7) {
		struct collect c = {back, 0};
		FILE *f;

		buf[at] ^= 0x5a;
		f = fmemopen(buf, len, "r");
		capture_read(f, &(struct event_sink){.on_event = collect, .ctx = &c}, &m, &rs, err,
			     sizeof(err));
		fclose(f);
		capture_meta_free(&m);
		buf[at] ^= 0x5a;
	}
	free(buf);
	free(ev);
	free(back);
}
