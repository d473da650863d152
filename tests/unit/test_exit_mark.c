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
	feed(x, 7, EV_AFTER, 11, 0); /* the delivery is over: later destroys wait again */
	feed(x, 7, EV_DESTROY, 13, 0);
	feed(x, 7, EV_DESTROYS_DUE, 14, EVF_AT_EXIT);
	feed(x, 7, EV_DESTROY, 15, EVF_AT_EXIT); /* after the stop: marked already */
	ASSERT_EQ(o.n, 5, "lost to a stop, then one marked by the probe");
	ASSERT_TRUE(o.ev[3].id == 13 && (o.ev[3].flags & EVF_AT_EXIT),
		    "queued at the stop: marked");
	ASSERT_TRUE(o.ev[4].id == 15 && (o.ev[4].flags & EVF_AT_EXIT), "after the stop: marked");
	ASSERT_OK(exit_mark_finish(x), "finish");
	ASSERT_EQ(o.n, 6, "the other thread's destroy released at the end");
	ASSERT_TRUE(o.ev[5].id == 20 && !(o.ev[5].flags & EVF_AT_EXIT), "fate unknown: unmarked");
	exit_mark_free(x);
}

/* async_hooks drains its queue until it is empty: a wrap that dies while the
 * destroy hooks run (a weak one collected) is delivered in the same batch,
 * even when a stop comes next (seen: a fork parent's PROCESSWRAP) */
void test_exit_mark__destroy_during_delivery_is_delivered(void)
{
	struct out o = {.n = 0};
	struct event_sink next = {.on_event = collect, .ctx = &o};
	struct exit_mark *x = exit_mark_new(&next);

	if (!ASSERT_TRUE(x != NULL, "new"))
		return;
	feed(x, 7, EV_DESTROY, 37, 0);
	feed(x, 7, EV_DESTROYS_DUE, 38, 0);
	feed(x, 7, EV_DESTROY, 36, 0); /* dies while 37's hook runs */
	feed(x, 7, EV_DESTROYS_DUE, 39, EVF_AT_EXIT);
	ASSERT_EQ(o.n, 2, "both forwarded");
	ASSERT_TRUE(o.ev[1].id == 36 && !(o.ev[1].flags & EVF_AT_EXIT),
		    "delivered in the batch: not at_exit");
	exit_mark_free(x);
}
