/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A set of 64-bit keys (open addressing), for bookkeeping over a capture. */
#ifndef __ASYNCSCOPE_ID_SET_H
#define __ASYNCSCOPE_ID_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct id_set {
	uint64_t *slots; /* 0 = empty: keys are stored + 1 */
	size_t cap, len;
};

/* 0 or -ENOMEM. */
int id_set_add(struct id_set *s, uint64_t key);
/* True if key is in the set. */
bool id_set_has(const struct id_set *s, uint64_t key);
/* True if key was there. */
bool id_set_remove(struct id_set *s, uint64_t key);
void id_set_free(struct id_set *s);

#endif /* __ASYNCSCOPE_ID_SET_H */
