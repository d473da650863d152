/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Budgets for `asyncscope ci compare`: a small text file, one rule a line,
 *
 *   count.FSREQCALLBACK: +5%     head may be at most 5% above base
 *   p95.queue_delay:     +2ms    at most 2 ms above base
 *   leaks:               0       at most 0, whatever base was
 *   max_callback:        50ms
 *   count.*:             +10%    '*' matches any part of a metric name
 *
 * and the checks that result from applying them to two summaries. Pure
 * logic: out_ci.c prints, cmd_ci.c reads files.
 */
#ifndef __ASYNCSCOPE_CI_BUDGET_H
#define __ASYNCSCOPE_CI_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/ci_summary.h"

enum ci_rule_kind {
	RULE_RELATIVE_PCT, /* head <= base * (1 + pct / 100) */
	RULE_RELATIVE_ABS, /* head <= base + amount */
	RULE_CAP,	   /* head <= amount */
};

struct ci_rule {
	char pattern[256];
	char text[64]; /* the limit as written: "+5%", "50ms" */
	enum ci_rule_kind kind;
	double pct;
	uint64_t amount; /* ns for times, else a count */
	bool has_unit;	 /* a time unit was given: applies to time metrics only */
	unsigned int line;
	size_t matched; /* metrics it applied to */
};

struct ci_budget {
	struct ci_rule *rules;
	size_t n;
};

/*
 * Parses a budget; 0, or -EINVAL with err = "FILE:LINE: why" or "FILE: why",
 * or -EIO when in cannot be read (a directory). A file with no rules is
 * refused unless it has a comment: only a budget whose rules were
 * commented out on purpose parses to b->n == 0.
 */
int ci_budget_parse(FILE *in, const char *name, struct ci_budget *b, char *err, size_t err_cap);
void ci_budget_free(struct ci_budget *b);

struct ci_check {
	const char *metric; /* points into base or head */
	uint64_t base, head, limit;
	bool in_base, in_head;
	const struct ci_rule *rule; /* NULL: a change with no rule */
	bool ok;
};

struct ci_result {
	struct ci_check *checks; /* budget checks first (failed first), then other changes */
	size_t n, nbudget, nfailed;
};

/* Applies b (may be empty) to base -> head, whose metrics are sorted and
 * unique (as ci_summary_read_json() leaves them). 0 or -ENOMEM. */
int ci_compare(const struct ci_summary *base, const struct ci_summary *head, struct ci_budget *b,
	       struct ci_result *r);
void ci_result_free(struct ci_result *r);

/* Metrics measured in ns (p95.callback, max_callback, ...), not counts. */
bool ci_metric_is_time(const char *name);

#endif /* __ASYNCSCOPE_CI_BUDGET_H */
