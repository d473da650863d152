/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The context of an event that names only an executionAsyncId (a promise
 * rejection): the type of the resource running then and its creation path,
 * from the inits seen so far, for a stream written as it goes (trace's
 * JSONL), which has no model to ask. Types and triggers of every resource
 * seen are kept (ancestors outlive nothing in a path).
 */
#ifndef __ASYNCSCOPE_EXEC_CONTEXT_H
#define __ASYNCSCOPE_EXEC_CONTEXT_H

#include "event/event.h"

struct exec_context;

struct exec_context *exec_context_new(void);
void exec_context_free(struct exec_context *c);
/*
 * Notes e's init; c may be NULL (then e is returned). For a rejection returns a copy of e in *tmp
 * with type and path set (when its exec is known), else e itself.
 */
const struct event *exec_context_add(struct exec_context *c, const struct event *e,
				     struct event *tmp);

#endif /* __ASYNCSCOPE_EXEC_CONTEXT_H */
