// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "lib/id_set.h"

static size_t slot_of(const struct id_set *s, uint64_t stored)
{
	return (size_t)((stored * 0x9e3779b97f4a7c15ULL) >> 17) & (s->cap - 1);
}

static int grow(struct id_set *s)
{
	struct id_set n = {.cap = s->cap ? 2 * s->cap : 256};

	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i]) {
			size_t j = slot_of(&n, s->slots[i]);

			while (n.slots[j])
				j = (j + 1) & (n.cap - 1);
			n.slots[j] = s->slots[i];
			n.len++;
		}
	free(s->slots);
	*s = n;
	return 0;
}

int id_set_add(struct id_set *s, uint64_t key)
{
	uint64_t stored = key + 1;
	size_t i;

	if (2 * (s->len + 1) > s->cap && grow(s))
		return -ENOMEM;
	for (i = slot_of(s, stored); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == stored)
			return 0;
	s->slots[i] = stored;
	s->len++;
	return 0;
}

bool id_set_has(const struct id_set *s, uint64_t key)
{
	uint64_t stored = key + 1;

	if (!s->cap)
		return false;
	for (size_t i = slot_of(s, stored); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == stored)
			return true;
	return false;
}

bool id_set_remove(struct id_set *s, uint64_t key)
{
	uint64_t stored = key + 1;
	size_t i, j;

	if (!s->cap)
		return false;
	for (i = slot_of(s, stored); s->slots[i] != stored; i = (i + 1) & (s->cap - 1))
		if (!s->slots[i])
			return false;
	/* backward-shift deletion keeps every probe chain unbroken */
	for (j = (i + 1) & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1)) {
		size_t home = slot_of(s, s->slots[j]);

		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			s->slots[i] = s->slots[j];
			s->slots[j] = 0;
			i = j;
		}
	}
	s->slots[i] = 0;
	s->len--;
	return true;
}

void id_set_free(struct id_set *s)
{
	free(s->slots);
	*s = (struct id_set){0};
}
