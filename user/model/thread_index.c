// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/thread_index.h"

static uint64_t key_of(uint32_t pid, uint32_t tid)
{
	return ((uint64_t)pid << 32 | tid) + 1;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & (cap - 1);
}

bool thread_index_find(const struct thread_index *ti, uint32_t pid, uint32_t tid, uint32_t *pos)
{
	uint64_t key = key_of(pid, tid);

	if (!ti->cap)
		return false;
	for (size_t i = slot_of(key, ti->cap);; i = (i + 1) & (ti->cap - 1)) {
		if (!ti->keys[i])
			return false;
		if (ti->keys[i] == key) {
			*pos = ti->vals[i];
			return true;
		}
	}
}

static void put(uint64_t *keys, uint32_t *vals, size_t cap, uint64_t key, uint32_t val)
{
	size_t i = slot_of(key, cap);

	while (keys[i] && keys[i] != key)
		i = (i + 1) & (cap - 1);
	keys[i] = key;
	vals[i] = val;
}

int thread_index_add(struct thread_index *ti, uint32_t pid, uint32_t tid, uint32_t pos)
{
	if (2 * (ti->len + 1) > ti->cap) { /* at most half full */
		size_t cap = ti->cap ? 2 * ti->cap : 16;
		uint64_t *keys = calloc(cap, sizeof(*keys));
		uint32_t *vals = calloc(cap, sizeof(*vals));

		if (!keys || !vals) {
			free(keys);
			free(vals);
			return -ENOMEM;
		}
		for (size_t i = 0; i < ti->cap; i++)
			if (ti->keys[i])
				put(keys, vals, cap, ti->keys[i], ti->vals[i]);
		free(ti->keys);
		free(ti->vals);
		ti->keys = keys;
		ti->vals = vals;
		ti->cap = cap;
	}
	put(ti->keys, ti->vals, ti->cap, key_of(pid, tid), pos);
	ti->len++;
	return 0;
}

void thread_index_free(struct thread_index *ti)
{
	free(ti->keys);
	free(ti->vals);
	memset(ti, 0, sizeof(*ti));
}
