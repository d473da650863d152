/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Growing a heap array by doubling: the one helper every growable list uses. */
#ifndef __ASYNCSCOPE_ARRAY_GROW_H
#define __ASYNCSCOPE_ARRAY_GROW_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

/*
 * Makes room for need elements of elem bytes in *arr, whose capacity is
 * *cap (doubled, from 16). 0, or -ENOMEM with *arr and *cap unchanged.
 * Call as array_grow((void **)&a, &cap, n + 1, sizeof(*a)).
 */
static inline int array_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

#endif /* __ASYNCSCOPE_ARRAY_GROW_H */
