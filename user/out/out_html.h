/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The self-contained HTML report (tree and timeline, linked). */
#ifndef __ASYNCSCOPE_OUT_HTML_H
#define __ASYNCSCOPE_OUT_HTML_H

#include <stdio.h>

#include "model/model_timeline.h"
#include "model/model_tree.h"
#include "out/out_report.h"

/* 0 or -errno. source names the capture in the page. */
int html_report_write(FILE *out, const struct model *m, const struct timeline *t,
		      const struct report_input *in, const char *source);

#endif /* __ASYNCSCOPE_OUT_HTML_H */
