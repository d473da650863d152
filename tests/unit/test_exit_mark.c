// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Destroys held until settled: delivered, or lost to a stop (at_exit). */
#include "model/exit_mark.h"
#include "unit.h"

#define MAX_OUT 16

struct out {
	struct event ev[MAX_OUT];
	int n;
};

static int collect(void *ctx, const struct event *e)
{
	struct out *o = ctx;

	if (o->n < MAX_OUT)
		o->ev[o->n++] = *e;
	return 0;
}

static void feed(struct exit_mark *x, uint32_t tid, enum ev_kind kind, uint64_t id, uint32_t flags)
{
	struct event e = {.ts_ns = id,
			  .pid = 1,
			  .tid = tid,
			  .kind = kind,
			  .layer = LAYER_NODE,
			  .id = id,
			  .flags = flags};
	struct event_sink s = exit_mark_sink(x);

	s.on_event(s.ctx, &e);
}

void test_exit_mark__settles_held_destroys(void)
{
	struct out o = {.n = 0};
	struct event_sink next = {.on_event = collect, .ctx = &o};
	struct exit_mark *x = exit_mark_new(&next);

	if (!ASSERT_TRUE(x != NULL, "new"))
		return;
	feed(x, 7, EV_DESTROY, 10, 0);
	feed(x, 8, EV_DESTROY, 20, 0); /* another thread */
	feed(x, 7, EV_BEFORE, 11, 0);
	ASSERT_EQ(o.n, 1, "destroys held, the before forwarded");
	feed(x, 7, EV_DESTROYS_DUE, 12, 0);
	ASSERT_EQ(o.n, 2, "delivered: forwarded, the due record not");
	ASSERT_TRUE(o.ev[1].id == 10 && !(o.ev[1].flags & EVF_AT_EXIT), "delivered unmarked");
	feed(x, 7, EV_DESTROY, 13, 0);
	feed(x, 7, EV_DESTROYS_DUE, 14, EVF_AT_EXIT);
	feed(x, 7, EV_DESTROY, 15, EVF_AT_EXIT); /* after the stop: marked already */
	ASSERT_EQ(o.n, 4, "lost to a stop, then one marked by the probe");
	ASSERT_TRUE(o.ev[2].id == 13 && (o.ev[2].flags & EVF_AT_EXIT),
		    "queued at the stop: marked");
	ASSERT_TRUE(o.ev[3].id == 15 && (o.ev[3].flags & EVF_AT_EXIT), "after the stop: marked");
	ASSERT_OK(exit_mark_finish(x), "finish");
	ASSERT_EQ(o.n, 5, "the other thread's destroy released at the end");
	ASSERT_TRUE(o.ev[4].id == 20 && !(o.ev[4].flags & EVF_AT_EXIT), "fate unknown: unmarked");
	exit_mark_free(x);
}
