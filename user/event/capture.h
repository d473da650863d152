/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * .asr capture files (format in capture_format.h): the writer is an event
 * sink, the reader a producer for any sink. No libbpf here.
 */
#ifndef __ASYNCSCOPE_CAPTURE_H
#define __ASYNCSCOPE_CAPTURE_H

#include <stdbool.h>
#include <stdio.h>

#include "event/capture_format.h"
#include "event/event.h"

struct capture_writer;

/* Writes the header to out (which stays the caller's). 0 or -errno. */
int capture_writer_open(FILE *out, const struct capture_meta *meta, struct capture_writer **w);
/* The event_sink callback: ctx is the writer. Write errors are kept for close. */
int capture_writer_event(void *ctx, const struct event *e);
static inline struct event_sink capture_writer_sink(struct capture_writer *w)
{
	return (struct event_sink){.on_event = capture_writer_event, .ctx = w};
}
/* Flushes the last chunk, writes the trailer with s, frees w. 0 or -errno. */
int capture_writer_close(struct capture_writer *w, const struct capture_summary *s);
/* Frees w without finishing the file. */
void capture_writer_free(struct capture_writer *w);

/* True if the first bytes of a file are a capture's magic. */
bool capture_is_asr(const void *head, size_t len);

/*
 * Reads a whole capture from in, feeding sink; fills meta (providers
 * malloc'ed: capture_meta_free) and summary (seen = trailer present).
 * Returns 0, or -EBADMSG with err naming the offset and the reason (also on
 * a sink's stop: -ECANCELED). A capture cut off between chunks is not an
 * error: summary->seen stays false and err says where it ends.
 */
int capture_read(FILE *in, const struct event_sink *sink, struct capture_meta *meta,
		 struct capture_summary *summary, char *err, size_t err_cap);
void capture_meta_free(struct capture_meta *meta);

#endif /* __ASYNCSCOPE_CAPTURE_H */
