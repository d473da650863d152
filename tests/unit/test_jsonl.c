// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON Lines stream: escaping, round trip, and errors that name the line. */
#include <errno.h>

#include "lib/json_writer.h"
#include "event/jsonl.h"
#include "unit.h"

#define MAX_EV 8

struct collect {
	struct event ev[MAX_EV];
	int n;
};

static int collect(void *ctx, const struct event *e)
{
	struct collect *c = ctx;

	if (c->n < MAX_EV)
		c->ev[c->n++] = *e;
	return 0;
}

void test_jsonl__escaping(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_write_escaped(f, "a\"b\\c\n\t\x01 é");
	fclose(f);
	ASSERT_STREQ(buf, "\"a\\\"b\\\\c\\n\\t\\u0001 é\"", "escaped");
	free(buf);
}

void test_jsonl__round_trip(void)
{
	struct event in[3] = {
		{.ts_ns = 1000,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_INIT,
		 .layer = LAYER_NODE,
		 .id = 5,
		 .trigger = 1,
		 .exec = 1,
		 .type = intern("we\"ird\\type\n")},
		{.ts_ns = 2000,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_AFTER,
		 .layer = LAYER_NODE,
		 .id = 5,
		 .flags = EVF_UNMATCHED},
		{.ts_ns = 18446744073709551615ULL,
		 .pid = 7,
		 .tid = 9,
		 .kind = EV_DESTROY,
		 .layer = LAYER_NODE,
		 .id = 9007199254740991ULL,
		 .flags = EVF_RESET | EVF_AT_EXIT},
	};
	struct capture_summary s = {.events = 3, .lost = 4}, rs;
	struct collect c = {.n = 0};
	struct event_sink sink = {.on_event = collect, .ctx = &c};
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	s.counts[EV_INIT] = 1;
	for (int i = 0; i < 3; i++)
		jsonl_write_event(f, &in[i]);
	jsonl_write_summary(f, &s);
	fclose(f);
	f = fmemopen(buf, len, "r");
	ASSERT_OK(jsonl_read(f, "mem", &sink, &rs, err, sizeof(err)), "read back");
	fclose(f);
	if (!ASSERT_EQ(c.n, 3, "events read"))
		goto out;
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(c.ev[i].ts_ns, in[i].ts_ns, "ts");
		ASSERT_EQ(c.ev[i].tid, in[i].tid, "tid");
		ASSERT_EQ(c.ev[i].kind, in[i].kind, "kind");
		ASSERT_EQ(c.ev[i].id, in[i].id, "id");
		ASSERT_EQ(c.ev[i].flags, in[i].flags, "flags");
	}
	ASSERT_TRUE(c.ev[0].type == in[0].type, "type survives escaping");
	ASSERT_TRUE(rs.seen && rs.lost == 4 && rs.counts[EV_INIT] == 1, "summary read back");
out:
	free(buf);
}

/* Every field the writer emits is read back: write -> read -> write is the
 * identity, for uv objects and flags, callers and id stacks too. */
void test_jsonl__every_field_survives(void)
{
	static const char long_fn[] =
		"_ZN4node20InternalMakeCallbackEPNS_11EnvironmentEN2v85LocalINS2_6ObjectEEES5_NS3_"
		"INS2_8FunctionEEEiPNS3_INS2_5ValueEEENS_13async_contextES9_xxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	struct event in[4] = {
		{.ts_ns = 10,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_INIT,
		 .layer = LAYER_UV,
		 .id = 3,
		 .type = intern("uv_tcp"),
		 .obj = 0x55d1c0ffee,
		 .link_id = 42,
		 .flags = EVF_LATE | EVF_INTERNAL | EVF_ADOPTED},
		{.ts_ns = 20,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_BEFORE,
		 .layer = LAYER_NODE,
		 .id = 42,
		 .caller = 0xea47bf,
		 .caller_fn = intern(long_fn),
		 .has_stack = true,
		 .cur_exec = 42,
		 .cur_trigger = 5,
		 .stack_depth = 3,
		 .npairs = 2,
		 .pairs = {1, 0, 9, 1}},
		{.ts_ns = 30,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_AFTER,
		 .layer = LAYER_NODE,
		 .id = 42,
		 .has_stack = true},
		{.ts_ns = 40,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_INIT,
		 .layer = LAYER_JS,
		 .id = 43,
		 .type = intern("Timeout"),
		 .trigger = 42,
		 .exec = 42,
		 .flags = EVF_INFERRED},
	};
	struct collect c = {.n = 0};
	struct event_sink sink = {.on_event = collect, .ctx = &c};
	struct capture_summary rs;
	char *a = NULL, *b = NULL, err[256];
	size_t alen = 0, blen = 0;
	FILE *f = open_memstream(&a, &alen);

	for (int i = 0; i < 4; i++)
		jsonl_write_event(f, &in[i]);
	fclose(f);
	f = fmemopen(a, alen, "r");
	ASSERT_OK(jsonl_read(f, "mem", &sink, &rs, err, sizeof(err)), "read back");
	fclose(f);
	if (!ASSERT_EQ(c.n, 4, "events read"))
		goto out;
	f = open_memstream(&b, &blen);
	for (int i = 0; i < c.n; i++)
		jsonl_write_event(f, &c.ev[i]);
	fclose(f);
	ASSERT_STREQ(b, a, "written again, byte for byte");
	ASSERT_EQ(c.ev[1].pairs[3], 1, "stack pairs read");
out:
	free(a);
	free(b);
}

void test_jsonl__bad_stack_is_refused(void)
{
	const char *text = "{\"ts\":1,\"pid\":1,\"tid\":1,\"event\":\"before\",\"id\":2,"
			   "\"stack\":{\"exec\":1,\"trigger\":0,\"depth\":1,\"pairs\":[[1]]}}\n";
	struct collect c = {.n = 0};
	struct event_sink sink = {.on_event = collect, .ctx = &c};
	struct capture_summary rs;
	char err[256];
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	ASSERT_EQ(jsonl_read(f, "mem", &sink, &rs, err, sizeof(err)), -EBADMSG, "refused");
	fclose(f);
	ASSERT_TRUE(strstr(err, "mem:1:") && strstr(err, "stack"), "names the line and field");
}

void test_jsonl__errors_name_the_line(void)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		/* cut short, but not the last line: corrupt */
		{"{\"event\":\"init\"\n{\"ts\":1,\"pid\":1,\"tid\":1,\"event\":\"before\",\"id\":2}"
		 "\n",
		 "x:1: unterminated object"},
		/* the last line, not cut: a closed object, or not an object at all */
		{"{\"ts\":1 \"pid\":2}", "x:1: expected ',' or '}'"},
		{"hello", "x:1: expected '{' at start of line"},
		{"\n\n{\"ts\":1,\"pid\":1,\"tid\":1,\"event\":\"before\"}\n",
		 "x:3: missing or non-integer \"id\""},
		{"[1,2]\n", "x:1: expected '{' at start of line"},
		{"{\"ts\":1 \"pid\":2}\n", "x:1: expected ',' or '}'"},
		{"{\"event\":\"init\",\"ts\":1,\"pid\":1,\"tid\":1,\"id\":2}\n",
		 "x:1: init without \"type\""},
	};
	struct collect c = {.n = 0};
	struct event_sink sink = {.on_event = collect, .ctx = &c};
	struct capture_summary s;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = fmemopen((void *)cases[i].text, strlen(cases[i].text), "r");

		err[0] = '\0';
		ASSERT_EQ(jsonl_read(f, "x", &sink, &s, err, sizeof(err)), -EBADMSG, cases[i].msg);
		ASSERT_TRUE(strncmp(err, cases[i].msg, strlen(cases[i].msg)) == 0, err);
		fclose(f);
	}
}

void test_jsonl__unknown_kinds_are_counted(void)
{
	const char *text = "{\"ts\":1,\"pid\":1,\"tid\":1,\"event\":\"future\",\"id\":2}\n"
			   "{\"ts\":2,\"pid\":1,\"tid\":1,\"event\":\"before\",\"id\":2,\"extra\":{"
			   "\"a\":[1]}}\n";
	struct collect c = {.n = 0};
	struct event_sink sink = {.on_event = collect, .ctx = &c};
	struct capture_summary s;
	char err[256];
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	ASSERT_OK(jsonl_read(f, "x", &sink, &s, err, sizeof(err)), "read");
	fclose(f);
	ASSERT_EQ(s.unknown_records, 1, "unknown kind counted");
	ASSERT_EQ(c.n, 1, "known kind delivered, nested extra field skipped");
}

/* Reads cut at every byte of the last line (with or without a newline). */
static int read_cut(const char *text, size_t len, bool newline, struct collect *c, char *err,
		    size_t err_cap)
{
	struct event_sink sink = {.on_event = collect, .ctx = c};
	struct capture_summary s;
	char *buf = malloc(len + 1);
	FILE *f;
	int ret;

	memcpy(buf, text, len);
	buf[len] = '\n';
	f = fmemopen(buf, len + newline, "r");
	c->n = 0;
	ret = jsonl_read(f, "x", &sink, &s, err, err_cap);
	fclose(f);
	free(buf);
	return ret;
}

/* What a killed writer leaves: read up to the cut, and say where it is. */
void test_jsonl__cut_last_line_is_read_up_to_it(void)
{
	struct event ev[3] = {
		{.ts_ns = 1, .pid = 7, .tid = 8, .kind = EV_BEFORE, .layer = LAYER_NODE, .id = 5},
		{.ts_ns = 2, .pid = 7, .tid = 8, .kind = EV_AFTER, .layer = LAYER_NODE, .id = 5},
		{.ts_ns = 3,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_INIT,
		 .layer = LAYER_NODE,
		 .id = 6,
		 .type = intern("a\"}{[\\"),
		 .has_stack = true,
		 .stack_depth = 1,
		 .npairs = 1,
		 .pairs = {5, 1}},
	};
	const char *want = "line 3 cut short (the file ends inside it)";
	struct collect c;
	char *text = NULL, err[256];
	size_t len = 0, start = 0, bad = 0;
	FILE *f = open_memstream(&text, &len);

	for (int i = 0; i < 3; i++) {
		jsonl_write_event(f, &ev[i]);
		if (i == 1)
			start = ftell(f);
	}
	fclose(f);
	/* every proper prefix of the last line (its escapes, string, stack) */
	for (size_t cut = start + 1; cut < len - 1; cut++)
		for (int nl = 0; nl < 2; nl++) {
			err[0] = '\0';
			if (read_cut(text, cut, nl, &c, err, sizeof(err)) || c.n != 2 ||
			    strncmp(err, want, strlen(want))) {
				if (!bad++)
					UNIT_FAIL("cut at %zu%s: %d events, '%s'", cut,
						  nl ? " + newline" : "", c.n, err);
			}
		}
	ASSERT_EQ(bad, 0, "every cut read up to line 3");
	/* the whole last line without its newline is not cut */
	ASSERT_OK(read_cut(text, len - 1, false, &c, err, sizeof(err)), "no final newline");
	ASSERT_TRUE(c.n == 3 && !err[0], "all three, no warning");
	free(text);
}

/* The kinds of issue 27: a microtask run and a promise rejection, and back. */
void test_jsonl__microtasks_and_rejections(void)
{
	struct event in[2] = {
		{.ts_ns = 5000,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_MICROTASKS,
		 .layer = LAYER_NODE,
		 .count = 12,
		 .begin_ns = 4000},
		{.ts_ns = 9000,
		 .pid = 7,
		 .tid = 8,
		 .kind = EV_REJECTION,
		 .layer = LAYER_NODE,
		 .rejection = REJECTION_HANDLED_LATE,
		 .exec = 6,
		 .trigger = 2,
		 .begin_ns = 8000,
		 .obj = 0x3de4ff124971ULL},
	};
	struct collect c = {0};
	struct capture_summary s;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (int i = 0; i < 2; i++)
		jsonl_write_event(f, &in[i]);
	fclose(f);
	ASSERT_TRUE(strstr(buf, "\"event\":\"microtasks\",\"id\":0,\"layer\":\"node\",\"count\":12,"
				"\"begin\":4000") != NULL,
		    buf);
	ASSERT_TRUE(strstr(buf,
			   "\"event\":\"rejection\",\"id\":0,\"layer\":\"node\",\"kind\":"
			   "\"handled_late\",\"exec\":6,\"trigger\":2,\"handled\":8000") != NULL,
		    buf);
	f = fmemopen(buf, len, "r");
	ASSERT_OK(jsonl_read(f, "t", &(struct event_sink){.on_event = collect, .ctx = &c}, &s, err,
			     sizeof(err)),
		  err);
	fclose(f);
	ASSERT_EQ(c.n, 2, "both back");
	ASSERT_EQ(c.ev[0].count, 12, "count");
	ASSERT_EQ(c.ev[0].begin_ns, 4000, "begin");
	ASSERT_EQ(c.ev[1].rejection, REJECTION_HANDLED_LATE, "kind");
	ASSERT_EQ(c.ev[1].exec, 6, "exec");
	ASSERT_EQ(c.ev[1].trigger, 2, "trigger");
	ASSERT_EQ(c.ev[1].begin_ns, 8000, "handled");
	ASSERT_EQ(c.ev[1].obj, 0x3de4ff124971ULL, "promise");
	free(buf);
}
