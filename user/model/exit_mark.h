/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Destroys async_hooks never delivers, because the environment stopped
 * (process.exit(), a worker stopped) while they waited in its destroy queue:
 * this stage holds each thread's node-layer destroys until the
 * EV_DESTROYS_DUE record that settles them (delivered, or lost to a stop:
 * then they get EVF_AT_EXIT), and forwards everything else as it comes.
 * Destroys after a stop are marked by the probes themselves.
 */
#ifndef __ASYNCSCOPE_EXIT_MARK_H
#define __ASYNCSCOPE_EXIT_MARK_H

#include "event/event.h"

struct exit_mark;

/* NULL (errno ENOMEM) on failure. */
struct exit_mark *exit_mark_new(const struct event_sink *next);
void exit_mark_free(struct exit_mark *x);

/* The sink that feeds it. */
struct event_sink exit_mark_sink(struct exit_mark *x);

/* Forwards the destroys still held, unmarked: their fate is unknown. Returns
 * 0 or what the next sink returned. */
int exit_mark_finish(struct exit_mark *x);

#endif /* __ASYNCSCOPE_EXIT_MARK_H */
