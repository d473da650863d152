// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tree reconstruction from a recorded stream whose answers are known by hand. */
#include "model/model_tree.h"
#include "out/out_tree.h"
#include "unit.h"

static void feed(struct model *m, uint64_t ts, uint32_t tid, enum ev_kind kind, uint64_t id,
		 uint64_t trigger, const char *type)
{
	struct event e = {.ts_ns = ts,
			  .pid = 100,
			  .tid = tid,
			  .kind = kind,
			  .layer = LAYER_NODE,
			  .id = id,
			  .trigger = trigger,
			  .exec = trigger,
			  .type = type ? intern(type) : NULL};

	model_add_event(m, &e);
}

static const struct resource *find(const struct model *m, uint32_t tid, uint64_t id)
{
	for (size_t i = 0; i < model_nresources(m); i++) {
		const struct resource *r = model_resource(m, i);

		if (r->tid == tid && r->id == id)
			return r;
	}
	return NULL;
}

static struct model *build_example(void)
{
	struct model *m = model_new();

	feed(m, 10, 100, EV_INIT, 2, 1, "TCPSERVERWRAP");
	feed(m, 20, 100, EV_INIT, 3, 2, "TCPWRAP");
	feed(m, 30, 100, EV_BEFORE, 2, 0, NULL);
	feed(m, 35, 100, EV_INIT, 4, 2, "FSREQCALLBACK");
	feed(m, 50, 100, EV_AFTER, 2, 0, NULL);
	feed(m, 60, 100, EV_BEFORE, 3, 0, NULL);
	feed(m, 62, 100, EV_BEFORE, 3, 0, NULL); /* re-entered: nested callback of the same id */
	feed(m, 63, 100, EV_AFTER, 3, 0, NULL);
	feed(m, 65, 100, EV_AFTER, 3, 0, NULL);
	feed(m, 70, 100, EV_DESTROY, 2, 0, NULL);
	feed(m, 80, 100, EV_BEFORE, 9, 0, NULL); /* created before attach */
	feed(m, 90, 100, EV_AFTER, 9, 0, NULL);
	feed(m, 95, 100, EV_AFTER, 55, 0, NULL); /* after with no before */
	feed(m, 100, 100, EV_DESTROY, 3, 0, NULL);
	feed(m, 110, 100, EV_INIT, 5, 9, "WRITEWRAP"); /* child of the placeholder */
	/* a worker: its own ids, same numbers */
	feed(m, 15, 200, EV_INIT, 2, 1, "MESSAGEPORT");
	feed(m, 120, 200, EV_BEFORE, 2, 0, NULL);
	model_finish(m);
	return m;
}

void test_model_tree__statistics(void)
{
	struct model *m = build_example();
	const struct resource *a = find(m, 100, 2), *b = find(m, 100, 3), *c = find(m, 100, 4);

	if (!ASSERT_TRUE(a && b && c, "resources found"))
		goto out;
	ASSERT_EQ(a->ncallbacks, 1, "A callbacks");
	ASSERT_EQ(a->cb_total_ns, 20, "A callback time");
	ASSERT_EQ(a->first_before_ts - a->init_ts, 20, "A queue delay");
	ASSERT_EQ(a->destroy_ts - a->init_ts, 60, "A lifetime");
	ASSERT_EQ(b->ncallbacks, 2, "B callbacks (nested)");
	ASSERT_EQ(b->cb_total_ns, 1 + 5, "B callback time: inner 1, outer 5");
	ASSERT_EQ(b->cb_max_ns, 5, "B max callback");
	ASSERT_TRUE(!c->destroyed && c->ncallbacks == 0, "C alive, never called");
	ASSERT_EQ(model_orphan_afters(m), 1, "one after without before");
	ASSERT_EQ(model_open_callbacks(m), 1, "worker callback still open at the end");
	ASSERT_EQ(model_nthreads(m), 2, "two threads");
	ASSERT_EQ(model_nevents(m), 17, "events");
out:
	model_free(m);
}

void test_model_tree__links(void)
{
	struct model *m = build_example();
	const struct resource *a = find(m, 100, 2), *ctx = find(m, 100, 1), *ph = find(m, 100, 9);
	const struct resource *w = find(m, 100, 5), *worker = find(m, 200, 2),
			      *orphan = find(m, 100, 55);

	if (!ASSERT_TRUE(a && ctx && ph && w && worker && orphan, "resources found"))
		goto out;
	ASSERT_EQ(ctx->kind, RES_CONTEXT, "id 1 is the thread's main context");
	ASSERT_EQ(model_resource(m, a->parent)->id, 1, "A under the main context");
	ASSERT_EQ(model_resource(m, a->first_child)->id, 3, "A's first child is B");
	ASSERT_EQ(model_resource(m, model_resource(m, a->first_child)->next_sibling)->id, 4,
		  "then C, in init order");
	ASSERT_EQ(ph->kind, RES_PLACEHOLDER, "unseen 9 is a placeholder");
	ASSERT_EQ(ph->ncallbacks, 1, "the placeholder's callback is counted");
	ASSERT_EQ(model_resource(m, w->parent)->id, 9, "WRITEWRAP under the placeholder");
	ASSERT_EQ(worker->type, intern("MESSAGEPORT"), "worker ids are separate from main's");
	ASSERT_EQ(model_resource(m, worker->parent)->tid, 200,
		  "worker resource under its own main");
out:
	model_free(m);
}

void test_model_tree__text_view(void)
{
	struct model *m = build_example();
	struct tree_opts o = {.max_children = 25, .max_depth = 64};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	tree_print_text(f, m, &o);
	fclose(f);
	ASSERT_TRUE(strstr(buf, "pid 100 tid 100 main thread") != NULL, "thread header");
	ASSERT_TRUE(strstr(buf, "└─ (1) bootstrap / main script\n   └─ TCPSERVERWRAP 2  [1 cb "
				"20ns, queue 20ns, lived 60ns]") != NULL,
		    "main context with the server under it");
	ASSERT_TRUE(strstr(buf, "├─ TCPWRAP 3  [2 cb 6ns (max 5ns), queue 40ns, lived 80ns]") !=
			    NULL,
		    "TCPWRAP line");
	ASSERT_TRUE(strstr(buf, "└─ FSREQCALLBACK 4  [0 cb, alive (85ns)]") != NULL,
		    "alive resource");
	ASSERT_TRUE(strstr(buf, "? 9 (not seen created: before attach, or JS-only)  [1 cb 10ns]") !=
			    NULL,
		    "placeholder with its callback");
	if (unit_verbose)
		fputs(buf, stdout);
	free(buf);
	model_free(m);
}

void test_model_tree__collapse(void)
{
	struct model *m = model_new();
	struct tree_opts o = {.max_children = 3, .max_depth = 4};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (int i = 0; i < 10; i++)
		feed(m, 10 + i, 1, EV_INIT, 2 + i, 1, i < 7 ? "TCPWRAP" : "Timeout");
	/* a chain 10 deep under the last one */
	for (int i = 0; i < 10; i++)
		feed(m, 100 + i, 1, EV_INIT, 100 + i, i ? 99 + i : 11, "FSREQCALLBACK");
	model_finish(m);
	f = open_memstream(&buf, &len);
	tree_print_text(f, m, &o);
	fclose(f);
	ASSERT_TRUE(
		strstr(buf,
		       "└─ … 7 more: 4 TCPWRAP, 3 Timeout (17 resources with their descendants)") !=
			NULL,
		"siblings past --max-children summed by type");
	o.max_children = 0;
	f = freopen(NULL, "w", stdout) ? open_memstream(&buf, &len) : NULL;
	if (f) {
		tree_print_text(f, m, &o);
		fclose(f);
		ASSERT_TRUE(strstr(buf, "… 8 more descendants, 8 levels deeper") != NULL,
			    "levels past --max-depth summed");
	}
	free(buf);
	model_free(m);
}

/* A loop of triggers (only a corrupt or hand-made capture has one) must not
 * hang the walks up the tree: it is cut once and every member stays reachable. */
void test_model_tree__trigger_cycle(void)
{
	struct model *m = model_new();
	const struct resource *r[3];
	int roots = 0;

	feed(m, 10, 100, EV_INIT, 7, 9, "TIMERWRAP");
	feed(m, 20, 100, EV_INIT, 8, 7, "TCPWRAP");
	feed(m, 30, 100, EV_INIT, 9, 8, "FSREQCALLBACK");
	model_finish(m);
	for (int k = 0; k < 3; k++)
		r[k] = find(m, 100, 7 + k);
	if (!ASSERT_TRUE(r[0] && r[1] && r[2], "resources found"))
		goto out;
	for (int k = 0; k < 3; k++) {
		const struct resource *at = r[k];
		int steps = 0;

		roots += at->parent == RES_NONE;
		while (at->parent != RES_NONE && steps < 10) {
			at = model_resource(m, at->parent);
			steps++;
		}
		ASSERT_TRUE(steps < 3, "walking up ends at a root");
	}
	ASSERT_EQ(roots, 1, "the loop is cut exactly once");
out:
	model_free(m);
}
