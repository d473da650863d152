/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What v8_layout.c (reading) and v8_layout_check.c (cross-checks) share. */
#ifndef __ASYNCSCOPE_V8_LAYOUT_INT_H
#define __ASYNCSCOPE_V8_LAYOUT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "resolve/v8_layout.h"

/* How every error ends: JS stacks are an optional feature, the rest works. */
#define V8_UNAVAILABLE ": JS stacks unavailable for this build"

/* One v8dbg_ symbol: its name without the prefix, and its 4-byte value. */
struct v8_meta {
	const char *name;
	int64_t value;
};

struct v8_const_spec {
	const char *name;
	bool required;
	enum v8_const_kind kind;
	const char *syms[6]; /* NULL-terminated */
};

extern const struct v8_const_spec v8_const_specs[V8C_COUNT];

const struct v8_meta *v8_meta_find(const struct v8_meta *meta, size_t n, const char *name);

/* Records a cross-check and whether it held, for doctor. */
void v8_layout__add_check(struct v8_layout *l, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Runs every cross-check on a resolved layout (builtins_lo/hi: the extent
 * of all Builtins_* symbols). 0, -ENOTSUP when the tagging is not the
 * 64-bit one without pointer compression, -EPROTO when a check failed
 * (l->error names the first).
 */
int v8_layout__check(struct v8_layout *l, const struct v8_meta *meta, size_t n,
		     uint64_t builtins_lo, uint64_t builtins_hi);

#endif /* __ASYNCSCOPE_V8_LAYOUT_INT_H */
