/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sorting uint64_t arrays ascending: percentiles, medians. */
#ifndef __ASYNCSCOPE_U64_SORT_H
#define __ASYNCSCOPE_U64_SORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* n may be 0 (v may then be NULL, which qsort itself must not see) */
static inline void u64_sort(uint64_t *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), u64_cmp);
}

#endif /* __ASYNCSCOPE_U64_SORT_H */
