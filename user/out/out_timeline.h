/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Prints timelines: text lanes for a person, Trace Event Format for Perfetto. */
#ifndef __ASYNCSCOPE_OUT_TIMELINE_H
#define __ASYNCSCOPE_OUT_TIMELINE_H

#include <stdio.h>

#include "model/model_timeline.h"

/* The text timeline's defaults: slices listed per thread, characters of the time axis */
#define TIMELINE_LIMIT 200
#define TIMELINE_WIDTH 50

struct timeline_opts {
	unsigned int limit; /* slices listed per thread in text; 0: all */
	unsigned int width; /* characters of the time axis */
};

/* "TYPE ID", "TYPE ID (js)", or "microtasks (N)" for a microtask run. */
void timeline_slice_label(char *buf, size_t cap, const struct slice *s);
void timeline_print_text(FILE *out, const struct timeline *t, const struct timeline_opts *o);
/*
 * Chrome Trace Event Format (JSON object form): one track per thread, a
 * complete ("X") slice per callback, flow arrows ("s"/"f", same id) from
 * the callback a resource was created in to its first callback.
 */
void timeline_print_chrome(FILE *out, const struct timeline *t);

#endif /* __ASYNCSCOPE_OUT_TIMELINE_H */
