// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the capture readers (make fuzz): any byte string is
 * read as an .asr capture or, if it does not start like one, as JSON Lines,
 * and whatever comes out goes through the tree, timeline and stats models,
 * as `asyncscope report` would. A crash, a sanitizer report or a leak is a
 * bug; an error message is the right answer to garbage.
 */
#include <stdio.h>
#include <stdlib.h>

#include "event/capture.h"
#include "event/jsonl.h"
#include "model/model_stats.h"
#include "model/model_timeline.h"
#include "model/model_tree.h"

struct models {
	struct model *m;
	struct timeline *t;
};

static int feed(void *ctx, const struct event *e)
{
	struct models *x = ctx;

	model_add_event(x->m, e);
	timeline_add_event(x->t, e);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct models x = {model_new(), timeline_new()};
	struct event_sink sink = {.on_event = feed, .ctx = &x};
	struct capture_summary summary;
	struct capture_meta meta;
	struct model_stats stats;
	char err[512];
	FILE *f;

	if (!size || !x.m || !x.t)
		goto out;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		goto out;
	if (capture_is_asr(data, size)) {
		capture_read(f, &sink, &meta, &summary, err, sizeof(err));
		capture_meta_free(&meta);
	} else {
		jsonl_read(f, "fuzz", &sink, &summary, err, sizeof(err));
	}
	fclose(f);
	model_finish(x.m);
	timeline_finish(x.t);
	if (!model_stats_compute(x.m, &stats))
		model_stats_free(&stats);
out:
	model_free(x.m);
	timeline_free(x.t);
	return 0;
}
