/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading a JSON string: the unescaping the two JSON readers (the event
 * stream, event/jsonl.c, and the CI summary, model/ci_summary.c) share.
 */
#ifndef __ASYNCSCOPE_JSON_STRING_H
#define __ASYNCSCOPE_JSON_STRING_H

#include <stddef.h>

/*
 * p is at the opening quote; the text ends at end, or at a NUL when end is
 * NULL. Writes at most cap-1 bytes and a NUL to out (a longer string is
 * cut, not refused); \uXXXX gives its character below 0x80, else '?'.
 * Returns where the string ends (past the closing quote), or NULL with
 * *why saying what is wrong.
 */
const char *json_read_string(const char *p, const char *end, char *out, size_t cap,
			     const char **why);

#endif /* __ASYNCSCOPE_JSON_STRING_H */
