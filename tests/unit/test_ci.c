// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ci: budget files, checks against them, summary files and medians. */
#include <errno.h>

#include "model/ci_budget.h"
#include "model/ci_summary.h"
#include "unit.h"

/* len bytes of text: a budget may hold a NUL */
static int parse_bytes(const char *text, size_t len, struct ci_budget *b, char *err, size_t cap)
{
	FILE *f = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "r");
	int ret = ci_budget_parse(f, "budget", b, err, cap);

	fclose(f);
	return ret;
}

static int parse_text(const char *text, struct ci_budget *b, char *err, size_t cap)
{
	return parse_bytes(text, strlen(text), b, err, cap);
}

void test_ci__budget_forms(void)
{
	struct ci_budget b;
	char err[256];

	if (!ASSERT_OK(parse_text("# comment\n"
				  "count.FSREQCALLBACK: +5%   # relative\n"
				  "\n"
				  "p95.queue_delay: +2ms\n"
				  "leaks: 0\n"
				  "max_callback: 50ms\n"
				  "count.*: +10\n",
				  &b, err, sizeof(err)),
		       "parsed"))
		return;
	if (ASSERT_EQ(b.n, 5, "five rules")) {
		ASSERT_TRUE(b.rules[0].kind == RULE_RELATIVE_PCT && b.rules[0].pct == 5.0, "+5%");
		ASSERT_EQ(b.rules[0].line, 2, "line numbers count comments and blanks");
		ASSERT_TRUE(b.rules[1].kind == RULE_RELATIVE_ABS && b.rules[1].amount == 2000000,
			    "+2ms in ns");
		ASSERT_TRUE(b.rules[2].kind == RULE_CAP && b.rules[2].amount == 0, "cap 0");
		ASSERT_EQ(b.rules[3].amount, 50000000, "50ms");
		ASSERT_STREQ(b.rules[4].pattern, "count.*", "glob kept");
		ASSERT_STREQ(b.rules[0].text, "+5%", "limit text as written");
	}
	ci_budget_free(&b);
}

/* A wrong --budget path must not turn the CI gate off: each is refused. */
void test_ci__budget_not_a_budget_is_refused(void)
{
	static const struct {
		const char *text;
		size_t len;
		const char *want;
	} cases[] = {
		{"", 0, "budget: empty"},
		{"\0leaks: 0\n", 10, "budget:1: binary data (byte 0x00)"},
		{"leaks: 0\n\177ELF\2\1\n", 16, "budget:2: binary data (byte 0x7f)"},
		{"  \n\t\n\r\n", 7, "budget: no rules, only blank lines"},
	};
	struct ci_budget b;
	char err[256] = "";
	FILE *dir;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ASSERT_EQ(parse_bytes(cases[i].text, cases[i].len, &b, err, sizeof(err)), -EINVAL,
			  cases[i].want);
		ASSERT_TRUE(!strncmp(err, cases[i].want, strlen(cases[i].want)), err);
	}
	dir = fopen("/", "r"); /* opens; reading it fails with EISDIR */
	if (ASSERT_TRUE(dir != NULL, "open /")) {
		ASSERT_EQ(ci_budget_parse(dir, "/", &b, err, sizeof(err)), -EIO, "a directory");
		ASSERT_STREQ(err, "cannot read /: Is a directory", "says why");
		fclose(dir);
	}
	/* rules commented out on purpose: allowed (cmd_ci warns) */
	if (ASSERT_OK(parse_text("# leaks: 0\n\n", &b, err, sizeof(err)), "only comments"))
		ASSERT_EQ(b.n, 0, "no rules");
	ci_budget_free(&b);
}

void test_ci__budget_errors_name_the_line(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"leaks: 0\ncount.X 5\n", "budget:2: expected 'metric: limit'"},
		{"count.X: +5q%\n", "budget:1: bad percentage"},
		{"max_callback: 5parsecs\n", "budget:1: bad limit"},
		{"count.X: 1.5\n", "budget:1: bad limit"},
		{": 5\n", "budget:1: no metric name"},
		{"leaks:\n", "budget:1: no limit"},
		{"leaks: -1\n", "budget:1: bad limit"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ci_budget b;
		char err[256] = "";

		ASSERT_EQ(parse_text(cases[i].text, &b, err, sizeof(err)), -EINVAL, cases[i].text);
		ASSERT_TRUE(!strncmp(err, cases[i].want, strlen(cases[i].want)), err);
	}
}

static void set(struct ci_summary *s, const char *name, uint64_t v)
{
	ci_values_set(&s->metrics, name, v);
	ci_values_sort(&s->metrics);
}

void test_ci__compare_applies_each_rule(void)
{
	struct ci_summary base = {0}, head = {0};
	struct ci_budget b;
	struct ci_result r;
	char err[256];
	size_t failed_a = 0, failed_b = 0, failed_leaks = 0, ok_p95 = 0;

	set(&base, "count.A", 100);
	set(&base, "p95.callback", 1000000);
	set(&base, "leaks", 0);
	set(&base, "events", 10);
	set(&head, "count.A", 106);
	set(&head, "count.B", 3);
	set(&head, "p95.callback", 1400000);
	set(&head, "leaks", 1);
	set(&head, "events", 12);
	if (!ASSERT_OK(parse_text("count.*: +5%\np95.callback: +50%\nleaks: 0\nnothing.here: 1\n",
				  &b, err, sizeof(err)),
		       "budget"))
		goto out;
	if (!ASSERT_OK(ci_compare(&base, &head, &b, &r), "compared"))
		goto out_budget;
	ASSERT_EQ(r.nbudget, 4, "count.A, count.B, p95.callback, leaks checked");
	ASSERT_EQ(r.nfailed, 3, "count.A over 105, new count.B over 0, leaks over 0");
	for (size_t i = 0; i < r.nbudget; i++) {
		const struct ci_check *c = &r.checks[i];

		failed_a += !strcmp(c->metric, "count.A") && !c->ok && c->limit == 105;
		failed_b += !strcmp(c->metric, "count.B") && !c->ok && !c->in_base;
		failed_leaks += !strcmp(c->metric, "leaks") && !c->ok;
		ok_p95 += !strcmp(c->metric, "p95.callback") && c->ok && c->limit == 1500000;
	}
	ASSERT_TRUE(failed_a && failed_b && failed_leaks && ok_p95, "each check as expected");
	ASSERT_TRUE(!r.checks[0].ok && !r.checks[1].ok && !r.checks[2].ok, "failures listed first");
	ASSERT_EQ(r.n - r.nbudget, 1, "events changed with no rule: listed apart");
	ASSERT_EQ(b.rules[3].matched, 0, "a rule matching nothing is known as such");
	ci_result_free(&r);
out_budget:
	ci_budget_free(&b);
out:
	ci_summary_free(&base);
	ci_summary_free(&head);
}

void test_ci__summary_round_trip_and_median(void)
{
	struct ci_summary runs[3] = {0}, m, back;
	char *a = NULL, *c = NULL, err[256];
	size_t alen = 0, clen = 0;
	const uint64_t v[3] = {5, 1, 3};
	FILE *f;

	for (int i = 0; i < 3; i++) {
		snprintf(runs[i].command, sizeof(runs[i].command), "node \"app\".js");
		snprintf(runs[i].node_version, sizeof(runs[i].node_version), "v22.0.0");
		runs[i].runs = 1;
		runs[i].longest_ns = v[i] * 1000;
		snprintf(runs[i].longest_type, sizeof(runs[i].longest_type), "T%d", i);
		set(&runs[i], "count.X", v[i]);
		if (i != 1)
			set(&runs[i], "count.only_some", 7);
		ci_values_set(&runs[i].leaks, "TCPWRAP <- main > TCPSERVERWRAP", v[i]);
	}
	runs[2].exit_status = 3;
	if (!ASSERT_OK(ci_summary_median(runs, 3, &m), "median"))
		goto out;
	ASSERT_EQ(ci_values_find(&m.metrics, "count.X")->value, 3, "median of 5, 1, 3");
	ASSERT_EQ(ci_values_find(&m.metrics, "count.only_some")->value, 7,
		  "median of 7, 0 (missing), 7");
	ASSERT_EQ(m.leaks.v[0].value, 3, "leaks by the median too");
	ASSERT_STREQ(m.longest_type, "T2", "the median run's longest callback");
	ASSERT_EQ(m.runs, 3, "runs");
	ASSERT_EQ(m.exit_status, 3, "a failing run's status is kept");

	f = open_memstream(&a, &alen);
	ci_summary_write_json(f, &m);
	fclose(f);
	f = fmemopen(a, alen, "r");
	ASSERT_OK(ci_summary_read_json(f, "s.json", &back, err, sizeof(err)), err);
	fclose(f);
	f = open_memstream(&c, &clen);
	ci_summary_write_json(f, &back);
	fclose(f);
	ASSERT_STREQ(c, a, "write -> read -> write is the identity");
	ci_summary_free(&back);

	/* what is not a summary is refused with the offset */
	a[alen / 2] = '\0';
	f = fmemopen(a, strlen(a), "r");
	ASSERT_EQ(ci_summary_read_json(f, "s.json", &back, err, sizeof(err)), -EBADMSG, "cut");
	fclose(f);
	ASSERT_TRUE(!strncmp(err, "s.json: offset ", 15), err);
	f = fmemopen("{\"format\":\"something-else\"}", 27, "r");
	ASSERT_EQ(ci_summary_read_json(f, "x.json", &back, err, sizeof(err)), -EBADMSG, "foreign");
	fclose(f);
	ASSERT_TRUE(strstr(err, "not an asyncscope ci summary") != NULL, err);
	ci_summary_free(&m);
out:
	for (int i = 0; i < 3; i++)
		ci_summary_free(&runs[i]);
	free(a);
	free(c);
}

/* A head exactly at a relative budget passes; a time unit never applies to a count. */
void test_ci__limits_exact_and_units(void)
{
	struct ci_summary base = {0}, head = {0};
	struct ci_budget b;
	struct ci_result r;
	char err[256];

	set(&base, "p95.callback", 22508300);
	set(&head, "p95.callback", 25434379); /* 22508300 * 1.13 exactly */
	set(&base, "count.X", 10);
	set(&head, "count.X", 11);
	if (!ASSERT_OK(parse_text("p95.callback: +13%\ncount.X: +2ms\n", &b, err, sizeof(err)),
		       "budget"))
		goto out;
	if (ASSERT_OK(ci_compare(&base, &head, &b, &r), "compared")) {
		ASSERT_EQ(r.nbudget, 1, "the ms rule is not applied to a count");
		ASSERT_TRUE(r.nbudget == 1 && r.checks[0].ok && r.checks[0].limit == 25434379,
			    "limit 25434379: at the budget passes");
		ASSERT_EQ(b.rules[1].matched, 0, "so it matches nothing (and is warned about)");
		ci_result_free(&r);
	}
	ci_budget_free(&b);
out:
	ci_summary_free(&base);
	ci_summary_free(&head);
}
