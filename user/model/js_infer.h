/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The JS layer in default mode: JS-only resources (Timeout, Immediate,
 * TickObject, PROMISE, JS AsyncResource) never enter native code, but their
 * ids are on the async id stack whenever a native event happens inside their
 * callbacks. This stage sits between ingest and the final sink: it watches
 * the stacks node events carry, emits init/before/after with layer "js" for
 * the JS frames it sees come and go, infers their type from the loop phase
 * that hosts them, and forwards the node events (minus phase markers).
 */
#ifndef __ASYNCSCOPE_JS_INFER_H
#define __ASYNCSCOPE_JS_INFER_H

#include "event/event.h"

struct js_infer;

/*
 * exact: the target is watched with hardware watchpoints, whose EV_JS_SWITCH
 * and EV_JS_ALLOC records give every JS push, pop and id exactly; the stacks
 * then only serve to type resources.
 */
struct js_infer *js_infer_new(const struct event_sink *next, bool exact);
void js_infer_free(struct js_infer *j);

/* The sink that feeds it. */
struct event_sink js_infer_sink(struct js_infer *j);

/* Closes JS callbacks still open at the end (after at their last sighting). */
void js_infer_finish(struct js_infer *j);

#endif /* __ASYNCSCOPE_JS_INFER_H */
