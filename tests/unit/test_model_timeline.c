// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Timeline reconstruction: nesting, durations, flows, unfinished callbacks. */
#include "model/model_timeline.h"
#include "out/out_timeline.h"
#include "unit.h"

static void feed(struct timeline *t, uint64_t ts, enum ev_kind kind, uint64_t id, uint64_t trigger,
		 const char *type, uint32_t flags)
{
	struct event e = {.ts_ns = ts,
			  .pid = 1,
			  .tid = 1,
			  .kind = kind,
			  .layer = LAYER_NODE,
			  .id = id,
			  .trigger = trigger,
			  .flags = flags,
			  .type = type ? intern(type) : NULL};

	if (flags & EVF_INFERRED)
		e.layer = LAYER_JS;
	timeline_add_event(t, &e);
}

void test_model_timeline__slices_and_flows(void)
{
	struct timeline *t = timeline_new();
	const struct slice *s;
	const struct flow *f;

	feed(t, 5, EV_INIT, 2, 1, "TCPWRAP", 0);
	feed(t, 10, EV_BEFORE, 2, 0, NULL, 0);
	feed(t, 11, EV_INIT, 3, 2, "Timeout", EVF_INFERRED);
	feed(t, 12, EV_BEFORE, 3, 0, NULL, EVF_INFERRED);
	feed(t, 13, EV_INIT, 4, 3, "FSREQCALLBACK", 0);
	feed(t, 15, EV_AFTER, 3, 0, NULL, EVF_INFERRED);
	feed(t, 20, EV_AFTER, 2, 0, NULL, 0);
	feed(t, 30, EV_BEFORE, 4, 0, NULL, 0);
	feed(t, 31, EV_AFTER, 4, 0, NULL, 0);
	feed(t, 40, EV_BEFORE, 2, 0, NULL, 0); /* never returns */
	timeline_finish(t);

	if (!ASSERT_EQ(timeline_nslices(t), 4, "slices"))
		goto out;
	s = timeline_slice(t, 0);
	ASSERT_TRUE(s->id == 2 && s->start_ns == 10 && s->end_ns == 20 && s->depth == 0, "outer");
	ASSERT_STREQ(s->type, "TCPWRAP", "outer type");
	s = timeline_slice(t, 1);
	ASSERT_TRUE(s->id == 3 && s->start_ns == 12 && s->end_ns == 15 && s->depth == 1, "nested");
	ASSERT_TRUE(s->sampled && s->layer == LAYER_JS, "nested is a sampled JS callback");
	s = timeline_slice(t, 3);
	ASSERT_TRUE(s->id == 2 && s->unfinished && s->end_ns == 40, "still running at the end");
	ASSERT_EQ(timeline_nflows(t), 2, "flows: 2 -> 3 and 3 -> 4");
	f = timeline_flow(t, 1);
	ASSERT_TRUE(f->trigger == 3 && f->child == 4 && f->init_ns == 13 && f->target_ns == 30,
		    "flow from the callback that created 4 to its first callback");
out:
	timeline_free(t);
}

void test_model_timeline__text(void)
{
	struct timeline *t = timeline_new();
	struct timeline_opts o = {.limit = 0, .width = 10};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	feed(t, 1000, EV_INIT, 2, 1, "TCPWRAP", 0);
	feed(t, 1000, EV_BEFORE, 2, 0, NULL, 0);
	feed(t, 6000, EV_AFTER, 2, 0, NULL, 0);
	feed(t, 11000, EV_BEFORE, 2, 0, NULL, 0);
	feed(t, 11000, EV_AFTER, 2, 0, NULL, 0);
	timeline_finish(t);
	f = open_memstream(&buf, &len);
	timeline_print_text(f, t, &o);
	fclose(f);
	ASSERT_TRUE(strstr(buf, "2 callbacks over 10.0us") != NULL, "header");
	ASSERT_TRUE(
		strstr(buf,
		       "       0ns    5.00us  TCPWRAP 2                          |#####     |") !=
			NULL,
		"first callback takes half the axis");
	ASSERT_TRUE(
		strstr(buf,
		       "    10.0us       0ns  TCPWRAP 2                          |         #|") !=
			NULL,
		"second at the end of the axis");
	if (unit_verbose)
		fputs(buf, stdout);
	free(buf);
	timeline_free(t);
}
