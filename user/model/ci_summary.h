/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The summary `asyncscope ci run` writes and `ci compare` reads: what the
 * run was (command, node version, layers) and a flat set of named numbers,
 * e.g. "count.FSREQCALLBACK", "p95.queue_delay", "max_callback" (times in
 * ns), plus the resources alive at exit by creation path. Flat names keep
 * budgets simple to write and the file simple to diff. No libbpf here.
 */
#ifndef __ASYNCSCOPE_CI_SUMMARY_H
#define __ASYNCSCOPE_CI_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event/capture_format.h"
#include "event/event.h"
#include "model/model_stats.h"

#define CI_SUMMARY_FORMAT  "asyncscope-ci-summary"
#define CI_SUMMARY_VERSION 1

struct ci_value {
	char *name; /* malloc'ed */
	uint64_t value;
};

struct ci_values {
	struct ci_value *v; /* sorted by name once finished */
	size_t n, cap;
};

struct ci_summary {
	char tool_version[32];
	char command[1024];
	char node_version[32];
	char layers[32];
	char js_mode[16];
	uint64_t runs;
	uint64_t exit_status; /* the command's (first non-zero of the runs) */
	struct ci_values metrics;
	struct ci_values leaks; /* "TYPE <- creation path" -> alive at exit */
	/* the longest single callback: what blocked the event loop longest */
	uint64_t longest_ns;
	char longest_type[64];
	char longest_chain[512];
};

/* From one run's finished model and its stats. 0 or -ENOMEM. */
int ci_summary_from_run(const struct model *m, const struct model_stats *st,
			const struct capture_summary *cs, const struct capture_meta *meta,
			struct ci_summary *out);
/* Several runs into one: every metric and leak count is the median over the
 * runs (a name missing from a run counts as 0 there), the longest callback
 * the median run's. 0 or -ENOMEM. */
int ci_summary_median(const struct ci_summary *runs, size_t n, struct ci_summary *out);

int ci_summary_write_json(FILE *out, const struct ci_summary *s);
/* 0, or -EBADMSG with err naming the file, the offset and the reason. */
int ci_summary_read_json(FILE *in, const char *name, struct ci_summary *s, char *err,
			 size_t err_cap);
void ci_summary_free(struct ci_summary *s);

/* The metric called name, or NULL. */
const struct ci_value *ci_values_find(const struct ci_values *vs, const char *name);
int ci_values_set(struct ci_values *vs, const char *name, uint64_t value);
void ci_values_sort(struct ci_values *vs);

#endif /* __ASYNCSCOPE_CI_SUMMARY_H */
