/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Prints the stats, top and leaks views and the folded stacks (model_stats.h). */
#ifndef __ASYNCSCOPE_OUT_REPORT_H
#define __ASYNCSCOPE_OUT_REPORT_H

#include <stdio.h>

#include "event/capture_format.h"
#include "event/event.h"
#include "model/model_stats.h"

struct report_input {
	const struct model_stats *stats;
	const struct capture_summary *summary;
	const struct capture_meta *meta; /* NULL when unknown */
};

void report_print_stats_text(FILE *out, const struct report_input *in);
void report_print_stats_json(FILE *out, const struct report_input *in);
/* limit: rows per table, 0 for all */
void report_print_top_text(FILE *out, const struct report_input *in, unsigned int limit);
void report_print_top_json(FILE *out, const struct report_input *in, unsigned int limit);
void report_print_leaks_text(FILE *out, const struct report_input *in, unsigned int limit);
void report_print_leaks_json(FILE *out, const struct report_input *in, unsigned int limit);
/* thread;ancestor types;type self-callback-ns, one line per distinct stack. 0 or -1. */
int report_print_folded(FILE *out, const struct model *m);

#endif /* __ASYNCSCOPE_OUT_REPORT_H */
