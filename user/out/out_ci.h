/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Printing a ci comparison: a text table, Markdown for a PR comment, JUnit XML. */
#ifndef __ASYNCSCOPE_OUT_CI_H
#define __ASYNCSCOPE_OUT_CI_H

#include <stdbool.h>
#include <stdio.h>

#include "model/ci_budget.h"

struct ci_report {
	const char *base_name, *head_name;
	const char *budget_name; /* NULL: no --budget */
	const struct ci_summary *base, *head;
	const struct ci_result *result;
	size_t max_other; /* changes without a budget rule to list (0: none) */
};

void ci_print_text(FILE *out, const struct ci_report *r);
void ci_print_markdown(FILE *out, const struct ci_report *r);
void ci_print_junit(FILE *out, const struct ci_report *r);

#endif /* __ASYNCSCOPE_OUT_CI_H */
