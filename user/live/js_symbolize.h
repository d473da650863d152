/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --js-stacks: the frames an EV_JS_STACK record carries (SharedFunctionInfo
 * addresses) -> function names and script URLs, read from the live
 * target's heap with process_vm_readv, cached per SFI address.
 */
#ifndef __ASYNCSCOPE_JS_SYMBOLIZE_H
#define __ASYNCSCOPE_JS_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"
#include "resolve/v8_layout.h"

struct js_symbolizer;

/* The walker's offsets (BPF .rodata) from a resolved layout; 0 or -ENOTSUP. */
int js_walk_offsets(const struct v8_layout *l, struct js_walk_off *out);

struct js_symbolizer *js_symbolizer_new(const struct v8_layout *l);
void js_symbolizer_free(struct js_symbolizer *s);

/*
 * The record's frames as a JSON array, innermost first:
 * [{"fn":"name","script":"file:///x.js","line":null,"kind":"js"},...]
 * (interned: valid as long as the process runs). Frames whose sfi is no
 * SharedFunctionInfo (a C++ frame that looked like JS) are dropped.
 */
const char *js_symbolize(struct js_symbolizer *s, const struct ev_js_stack *r, size_t size);

/* A drain of the ring buffer begins: cached SFIs are checked against their
 * fingerprint once per drain, at their first use in it. */
void js_symbolizer_drain(struct js_symbolizer *s);

/* SFI cache entries found stale (fingerprint changed: a GC moved or freed it) */
uint64_t js_symbolizer_stale(const struct js_symbolizer *s);

#endif /* __ASYNCSCOPE_JS_SYMBOLIZE_H */
