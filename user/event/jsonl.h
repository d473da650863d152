/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The JSON Lines event stream: writing it (trace) and reading it back (--input). */
#ifndef __ASYNCSCOPE_JSONL_H
#define __ASYNCSCOPE_JSONL_H

#include <stdio.h>

#include "event/event.h"

/* One event as one line (see docs/event-format.md). */
void jsonl_write_event(FILE *out, const struct event *e);
/* The closing {"event":"summary",...} line. */
void jsonl_write_summary(FILE *out, const struct capture_summary *s);

/*
 * Reads events from f (name is used in messages), feeding them to sink and
 * filling *summary from the summary line if there is one. Returns 0, the
 * sink's non-zero value, or -EBADMSG with a one-line reason in err
 * ("events.jsonl:12: ..."). A last line cut short (an object the file ends
 * in, with or without a newline: what a killed writer leaves) is not an
 * error: the events before it are read and err says where the file ends.
 */
int jsonl_read(FILE *f, const char *name, const struct event_sink *sink,
	       struct capture_summary *summary, char *err, size_t err_cap);

#endif /* __ASYNCSCOPE_JSONL_H */
