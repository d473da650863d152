// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ci compare on 300,000 metrics, read from JSON as ci compare reads them:
 * every check is asserted, not the time. Reading and comparing used to be
 * quadratic (minutes here); both must now be n log n for this to finish
 * in a unit run.
 */
#include <errno.h>

#include "model/ci_budget.h"
#include "model/ci_summary.h"
#include "unit.h"

#define NMETRICS 300000
#define NNEW	 300

/*
 * count.NNNNNN: base 1000; head 1100 (+10%) for i % 4 == 0, 1030 (+3%) for
 * i % 4 == 1, gone for i % 1000 == 999, else unchanged; head also has
 * count.newNNN, which base has not.
 */
static int head_value(size_t i)
{
	if (i % 1000 == 999)
		return -1;
	return i % 4 == 0 ? 1100 : i % 4 == 1 ? 1030 : 1000;
}

static int read_summary(bool head, struct ci_summary *s)
{
	char *text = NULL, err[256];
	size_t len = 0;
	const char *sep = "";
	FILE *f = open_memstream(&text, &len);
	int ret;

	fprintf(f, "{\"format\": \"%s\", \"version\": %d, \"metrics\": {", CI_SUMMARY_FORMAT,
		CI_SUMMARY_VERSION);
	/* backwards, so the reader's sort has work to do */
	for (size_t i = NMETRICS; i-- > 0;) {
		int v = head ? head_value(i) : 1000;

		if (v < 0)
			continue;
		fprintf(f, "%s\"count.%06zu\": %d", sep, i, v);
		sep = ",";
	}
	for (size_t k = 0; head && k < NNEW; k++)
		fprintf(f, ",\"count.new%03zu\": 1", k);
	fputs("}}\n", f);
	fclose(f);
	f = fmemopen(text, len, "r");
	ret = ci_summary_read_json(f, head ? "head.json" : "base.json", s, err, sizeof(err));
	fclose(f);
	free(text);
	if (ret)
		UNIT_FAIL("%s", err);
	return ret;
}

void test_ci_scale__compare_300k_metrics(void)
{
	struct ci_summary base = {0}, head = {0};
	struct ci_budget b = {0};
	struct ci_result r = {0};
	const struct ci_check *c;
	size_t nfail = 25000, nok = 75000 + 10000, ngone = 200;
	const char *rules = "count.0*: +5%\ncount.00*: +20%\n";
	FILE *bf = fmemopen((void *)rules, strlen(rules), "r");
	char err[256];
	bool sorted = true;
	int ret;

	/* count.0*: i < 100000, failing at +10%; count.00*: i < 10000, never failing */
	ret = ci_budget_parse(bf, "budget", &b, err, sizeof(err));
	fclose(bf);
	if (!ASSERT_OK(ret, "budget") || !ASSERT_OK(read_summary(false, &base), "base read") ||
	    !ASSERT_OK(read_summary(true, &head), "head read") ||
	    !ASSERT_OK(ci_compare(&base, &head, &b, &r), "compared"))
		goto out;
	ASSERT_EQ(base.metrics.n, NMETRICS, "base metrics");
	ASSERT_EQ(head.metrics.n, NMETRICS - NMETRICS / 1000 + NNEW, "head metrics");
	ASSERT_EQ(r.nbudget, nfail + nok, "100000 checks of count.0*, 10000 of count.00*");
	ASSERT_EQ(r.nfailed, nfail, "every fourth of count.0* over +5%");
	/* no rule for i >= 100000: +10% and +3% on half of them, 200 gone; 300 new */
	ASSERT_EQ(r.n - r.nbudget, 100000 + ngone + NNEW, "changes without a rule");
	ASSERT_EQ(b.rules[0].matched, 100000, "count.0* matched");
	ASSERT_EQ(b.rules[1].matched, 10000, "count.00* matched");
	if (r.n != nfail + nok + 100000 + ngone + NNEW)
		goto out;
	/* failed, then passed, each by name, a metric's rules in budget order */
	for (size_t i = 0; i < r.nbudget; i++) {
		c = &r.checks[i];
		sorted &= c->ok == (i >= nfail);
		if (i && i != nfail) {
			int cmp = strcmp(c[-1].metric, c->metric);

			sorted &= cmp < 0 || (cmp == 0 && c[-1].rule->line < c->rule->line);
		}
	}
	ASSERT_TRUE(sorted, "budget checks in order");
	/* then the rest: gone and new (largest change), +10%, +3% */
	c = &r.checks[r.nbudget];
	ASSERT_TRUE(!c[0].in_head && !c[ngone - 1].in_head && !c[ngone].in_base &&
			    !c[ngone + NNEW - 1].in_base,
		    "gone, then new");
	ASSERT_TRUE(c[ngone + NNEW].head == 1100 && c[ngone + NNEW + 49999].head == 1100 &&
			    c[ngone + NNEW + 50000].head == 1030 &&
			    !strcmp(c[ngone + NNEW + 50000].metric, "count.100001"),
		    "then +10%, then +3%, each by name");
out:
	ci_result_free(&r);
	ci_budget_free(&b);
	ci_summary_free(&base);
	ci_summary_free(&head);
}

void test_ci_scale__twice_named_metric_is_refused(void)
{
	const char *text = "{\"format\": \"" CI_SUMMARY_FORMAT "\", \"version\": 1, "
			   "\"metrics\": {\"leaks\": 0, \"count.A\": 1, \"leaks\": 5}}";
	struct ci_summary s;
	char err[256] = "";
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	ASSERT_EQ(ci_summary_read_json(f, "s.json", &s, err, sizeof(err)), -EBADMSG,
		  "which leaks?");
	fclose(f);
	ASSERT_TRUE(strstr(err, "named twice") != NULL, err);
}
