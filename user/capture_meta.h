/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Filling a capture header from a live session (record, trace --record). */
#ifndef __ASYNCSCOPE_CAPTURE_META_H
#define __ASYNCSCOPE_CAPTURE_META_H

#include "capture_format.h"
#include "session.h"

/* 0; m->providers is malloc'ed (capture_meta_free). */
int capture_meta_from_session(const struct session_opts *o, const struct session_result *r,
			      struct capture_meta *m);

struct capture_writer;
/*
 * Starts a capture file for a session that has just attached (the
 * on_attached hook of record, trace --record, ci run --record): the header
 * from the session, then the writer in *w. 0, or -errno having said why,
 * naming path.
 */
int capture_start_for_session(FILE *f, const char *path, const struct session_opts *o,
			      const struct session_result *r, struct capture_writer **w);

#endif /* __ASYNCSCOPE_CAPTURE_META_H */
