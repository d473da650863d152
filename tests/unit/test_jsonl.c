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
		{"{\"event\":\"init\"", "x:1: unterminated object"},
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
