// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The aggregates behind top and leaks, on streams whose answers are known. */
#include "model/model_stats.h"
#include "unit.h"

static void feed(struct model *m, uint64_t ts, enum ev_kind kind, uint64_t id, uint64_t trigger,
		 const char *type)
{
	struct event e = {.ts_ns = ts,
			  .pid = 100,
			  .tid = 100,
			  .kind = kind,
			  .layer = LAYER_UV,
			  .id = id,
			  .trigger = trigger,
			  .type = type ? intern(type) : NULL};

	model_add_event(m, &e);
}

/*
 * One timer with 20 callbacks lasting 1..20 us, made at t=0 and first run at
 * t=1000 us; two fs requests under it, one never completed.
 */
void test_model_stats__percentiles_and_leaks(void)
{
	struct model *m = model_new();
	struct model_stats s;
	const struct group_stats *timer = NULL, *fs = NULL;
	uint64_t t = 1001000;

	feed(m, 1000, EV_INIT, 1, 0, "uv_timer");
	for (int i = 20; i >= 1; i--) { /* out of order: the sort is tested too */
		feed(m, t, EV_BEFORE, 1, 0, NULL);
		feed(m, t + i * 1000, EV_AFTER, 1, 0, NULL);
		t += 100000;
	}
	feed(m, t, EV_INIT, 2, 1, "uv_fs");
	feed(m, t + 10, EV_INIT, 3, 1, "uv_fs");
	feed(m, t + 500, EV_BEFORE, 2, 0, NULL);
	feed(m, t + 700, EV_AFTER, 2, 0, NULL);
	feed(m, t + 800, EV_DESTROY, 2, 0, NULL);
	model_finish(m);
	if (!ASSERT_OK(model_stats_compute(m, &s), "computed"))
		goto out;
	for (size_t i = 0; i < s.ntypes; i++) {
		if (s.types[i].type == intern("uv_timer"))
			timer = &s.types[i];
		if (s.types[i].type == intern("uv_fs"))
			fs = &s.types[i];
	}
	if (!ASSERT_TRUE(timer && fs && s.ntypes == 2, "two types"))
		goto out_stats;
	ASSERT_TRUE(s.types[0].type == intern("uv_timer"), "largest total callback time first");
	ASSERT_EQ(timer->callbacks, 20, "timer callbacks");
	ASSERT_EQ(timer->cb.total, 210000, "total = 1+..+20 us");
	ASSERT_EQ(timer->cb.p50, 10000, "p50 by nearest rank: the 10th of 20");
	ASSERT_EQ(timer->cb.p95, 19000, "p95: the 19th of 20");
	ASSERT_EQ(timer->cb.p99, 20000, "p99: the 20th of 20");
	ASSERT_EQ(timer->cb.max, 20000, "max");
	ASSERT_EQ(timer->queue.p50, 1000000, "queue delay: init to first callback");
	ASSERT_EQ(fs->count, 2, "fs requests");
	ASSERT_EQ(fs->alive, 1, "one fs request never completed");
	ASSERT_EQ(fs->lifetime.max, 800, "lifetime of the completed one");
	ASSERT_EQ(s.alive, 2, "alive: the timer and one request");
	ASSERT_EQ(s.max_depth, 1, "fs under the timer: one link");
	if (ASSERT_EQ(s.nleaks, 2, "leak groups: timer and fs <- uv_timer")) {
		const struct group_stats *l =
			s.leaks[0].type == intern("uv_fs") ? &s.leaks[0] : &s.leaks[1];

		ASSERT_STREQ(l->path, "uv_timer", "the request's creation path");
		ASSERT_EQ(l->oldest_alive_ns, 800 - 10, "age at the end of the capture");
	}
out_stats:
	model_stats_free(&s);
out:
	model_free(m);
}

/* JS timers end in JS: alive is inferred from their callbacks (model_stats.h) */
void test_model_stats__js_timers_alive(void)
{
	struct resource pending = {.layer = LAYER_JS, .type = "Timeout", .init_ts = 5};
	struct resource interval = {.layer = LAYER_JS,
				    .type = "Timeout",
				    .init_ts = 5,
				    .ncallbacks = 3,
				    .first_before_ts = 10,
				    .last_before_ts = 30};
	struct resource once = {.layer = LAYER_JS,
				.type = "Timeout",
				.init_ts = 5,
				.ncallbacks = 1,
				.first_before_ts = 10,
				.last_before_ts = 10};
	struct resource tick = {.layer = LAYER_JS, .type = "TickObject", .init_ts = 5};
	struct resource native = {.layer = LAYER_NODE, .type = "TCPWRAP", .init_ts = 5};

	ASSERT_TRUE(model_resource_alive(&pending, 100), "a Timeout never run is pending");
	ASSERT_TRUE(model_resource_alive(&interval, 45), "an interval that ran 15 before the end");
	ASSERT_TRUE(!model_resource_alive(&interval, 51), "one silent for over twice its period");
	ASSERT_TRUE(!model_resource_alive(&once, 100), "a one-shot Timeout that ran is done");
	ASSERT_TRUE(!model_resource_alive(&tick, 100), "other JS types are not judged");
	ASSERT_TRUE(model_resource_alive(&native, 100), "native: alive until destroyed");
	native.destroyed = true;
	ASSERT_TRUE(!model_resource_alive(&native, 100), "native destroyed");
}
