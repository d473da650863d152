/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * (pid, tid) -> position in a caller's thread array, by open addressing: a
 * capture may hold tens of thousands of threads, and the models look one up
 * for every event.
 */
#ifndef __ASYNCSCOPE_THREAD_INDEX_H
#define __ASYNCSCOPE_THREAD_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct thread_index {
	uint64_t *keys; /* (pid << 32 | tid) + 1; 0 = empty */
	uint32_t *vals;
	size_t cap, len;
};

/* True and *pos set if (pid, tid) is known. */
bool thread_index_find(const struct thread_index *ti, uint32_t pid, uint32_t tid, uint32_t *pos);
/* Records (pid, tid) at pos. 0 or -ENOMEM. */
int thread_index_add(struct thread_index *ti, uint32_t pid, uint32_t tid, uint32_t pos);
void thread_index_free(struct thread_index *ti);

#endif /* __ASYNCSCOPE_THREAD_INDEX_H */
