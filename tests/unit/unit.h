/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Minimal unit-test kit in the style of selftests/bpf test_progs.h: every
 * `void test_<module>__<case>(void)` is collected by the Makefile; ASSERT_*
 * print on failure, mark the test failed and evaluate to the condition.
 */
#ifndef __ASYNCSCOPE_UNIT_H
#define __ASYNCSCOPE_UNIT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int unit_failed;	 /* set by a failing assertion in the running test */
extern int unit_skipped; /* set by unit_skip() */
extern int unit_verbose;

void unit_skip(const char *why);
/* Path of a node binary for tests ($ASYNCSCOPE_NODE<major>), NULL if not given. */
const char *unit_node_binary(int major);

#define UNIT_FAIL(fmt, ...) \
	(fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__), unit_failed = 1)

#define ASSERT_TRUE(cond, what)                                          \
	({                                                               \
		bool ___ok = (cond);                                     \
		if (!___ok)                                              \
			UNIT_FAIL("%s: expected true: %s", what, #cond); \
		___ok;                                                   \
	})

#define ASSERT_EQ(a, b, what)                                                                   \
	({                                                                                      \
		long long ___a = (long long)(a), ___b = (long long)(b);                         \
		bool ___ok = ___a == ___b;                                                      \
		if (!___ok)                                                                     \
			UNIT_FAIL("%s: %s == %lld, expected %lld (0x%llx vs 0x%llx)", what, #a, \
				  ___a, ___b, ___a, ___b);                                      \
		___ok;                                                                          \
	})

#define ASSERT_OK(err, what) ASSERT_EQ(err, 0, what)

#define ASSERT_STREQ(a, b, what)                                                        \
	({                                                                              \
		const char *___a = (a), *___b = (b);                                    \
		bool ___ok = ___a && ___b && !strcmp(___a, ___b);                       \
		if (!___ok)                                                             \
			UNIT_FAIL("%s: \"%s\" != \"%s\"", what, ___a ? ___a : "(null)", \
				  ___b ? ___b : "(null)");                              \
		___ok;                                                                  \
	})

#endif /* __ASYNCSCOPE_UNIT_H */
