// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Golden replays: captures recorded from real node runs (tests/golden/NAME.jsonl)
 * go through the same read -> model -> view path as `asyncscope tree
 * --input` and must give the checked-in output byte for byte. The demo
 * capture's numbers were checked by hand against the raw events (e.g.
 * FSREQCALLBACK 16: callback 30.7us, queue 687us, lifetime 722us).
 */
#include <errno.h>

#include "event/jsonl.h"
#include "model/model_tree.h"
#include "out/out_tree.h"
#include "unit.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

static void replay(const char *name, bool json)
{
	char in_path[256], want_path[256], err[256];
	struct tree_opts o = {.max_children = 25, .max_depth = 64};
	struct capture_summary s;
	struct model *m = model_new();
	struct event_sink sink = model_sink(m);
	char *got = NULL, *want;
	size_t got_len = 0, want_len;
	FILE *in, *out;

	snprintf(in_path, sizeof(in_path), "tests/golden/%s.jsonl", name);
	snprintf(want_path, sizeof(want_path), "tests/golden/%s.tree.%s", name,
		 json ? "json" : "txt");
	in = fopen(in_path, "r");
	if (!ASSERT_TRUE(in != NULL, in_path))
		goto out;
	ASSERT_OK(jsonl_read(in, in_path, &sink, &s, err, sizeof(err)), "read capture");
	fclose(in);
	model_finish(m);
	o.summary = &s;
	out = open_memstream(&got, &got_len);
	if (json)
		tree_print_json(out, m, &o);
	else
		tree_print_text(out, m, &o);
	fclose(out);
	want = slurp(want_path, &want_len);
	if (ASSERT_TRUE(want != NULL, want_path) &&
	    !(got_len == want_len && !memcmp(got, want, got_len))) {
		size_t i = 0;

		while (i < got_len && i < want_len && got[i] == want[i])
			i++;
		UNIT_FAIL("%s differs from the replay at byte %zu: got \"%.40s\"", want_path, i,
			  got + i);
	}
	free(want);
out:
	free(got);
	model_free(m);
}

void test_golden__demo_tree_text(void)
{
	replay("demo-node22", false);
}

void test_golden__demo_tree_json(void)
{
	replay("demo-node22", true);
}
