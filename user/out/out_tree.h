/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Prints the trigger forest the model reconstructed. */
#ifndef __ASYNCSCOPE_OUT_TREE_H
#define __ASYNCSCOPE_OUT_TREE_H

#include <stdio.h>

#include "event/event.h"
#include "model/model_tree.h"

/* The tree's defaults (--max-children, --max-depth) */
#define TREE_MAX_CHILDREN 25
#define TREE_MAX_DEPTH	  64

struct tree_opts {
	/* children listed one by one before the rest are summed up per type;
	 * 0 lists every child */
	unsigned int max_children;
	/* levels printed before deeper descendants are summed up; 0: no limit */
	unsigned int max_depth;
	const struct capture_summary *summary; /* drops and counts for the header, may be NULL */
};

void tree_print_text(FILE *out, const struct model *m, const struct tree_opts *o);
void tree_print_json(FILE *out, const struct model *m, const struct tree_opts *o);

/* "850us", "12.3ms", "1.20s": at most 4 significant characters plus unit. */
void format_duration(char *buf, size_t cap, uint64_t ns);

#endif /* __ASYNCSCOPE_OUT_TREE_H */
