/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Filling a capture header from a live session (record, trace --record). */
#ifndef __ASYNCSCOPE_CAPTURE_META_H
#define __ASYNCSCOPE_CAPTURE_META_H

#include "event/capture_format.h"
#include "live/session.h"

/* What a capture is of: a process and the layers it was traced through. */
struct capture_target {
	pid_t pid;
	const char *exe;
	const char *command;		/* how it was started, "" or NULL if not by us */
	const struct node_layout *node; /* node layer, or NULL */
	const char *node_version;
	const struct uv_layout *uv; /* uv layer, or NULL */
	const char *uv_path;	    /* where its libuv is, as shown */
	const char *js_mode;	    /* "default", "off", "exact" */
};

/* The header of a capture of t, timed now. 0; m->providers is malloc'ed
 * (capture_meta_free). */
int capture_meta_for_target(const struct capture_target *t, struct capture_meta *m);

/* The same for a live session. */
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
