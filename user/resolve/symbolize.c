// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "resolve/elf_file.h"
#include "event/event.h"
#include "resolve/symbolize.h"

struct func_sym {
	uint64_t addr, size;
	const char *name; /* interned; NULL for functions outside namespace node */
};

struct symbolizer {
	struct func_sym *syms;
	size_t n, cap;
	/* recent lookups: the callers of probed functions are few */
	uint64_t cache_addr[64];
	const char *cache_name[64];
};

static int collect(const struct elf_sym *s, void *ctx)
{
	struct symbolizer *z = ctx;

	if (!s->is_func || !s->size)
		return 0;
	if (array_grow((void **)&z->syms, &z->cap, z->n + 1, sizeof(*z->syms)))
		return -ENOMEM;
	/* only node's own functions are worth a name here (the callers of
	 * scope constructors); keeping the rest nameless lets the ELF go */
	z->syms[z->n++] = (struct func_sym){s->addr, s->size,
					    strstr(s->name, "4node") ? intern(s->name) : NULL};
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct func_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct symbolizer *symbolizer_new(const char *path)
{
	struct symbolizer *z = calloc(1, sizeof(*z));
	struct elf_file *ef;
	int err;

	if (!z)
		return NULL;
	ef = elf_file__open(path);
	if (!ef) {
		err = errno;
		free(z);
		errno = err;
		return NULL;
	}
	err = elf_file__for_each_symbol(ef, collect, z);
	elf_file__close(ef);
	if (err) {
		symbolizer_free(z);
		errno = -err;
		return NULL;
	}
	qsort(z->syms, z->n, sizeof(*z->syms), by_addr);
	return z;
}

void symbolizer_free(struct symbolizer *z)
{
	if (!z)
		return;
	free(z->syms);
	free(z);
}

const char *symbolizer_lookup(struct symbolizer *z, uint64_t addr)
{
	size_t lo = 0, hi = z->n, slot = (addr >> 2) % 64;
	const char *name = NULL;

	if (z->cache_addr[slot] == addr && z->cache_name[slot])
		return z->cache_name[slot];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (z->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the last symbol starting at or below addr, if addr is inside it */
	if (lo > 0) {
		const struct func_sym *f = &z->syms[lo - 1];

		if (addr < f->addr + f->size)
			name = f->name;
	}
	z->cache_addr[slot] = addr;
	z->cache_name[slot] = name;
	return name;
}
