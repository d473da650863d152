/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Code address -> enclosing function name, from an ELF's symbol tables. */
#ifndef __ASYNCSCOPE_SYMBOLIZE_H
#define __ASYNCSCOPE_SYMBOLIZE_H

#include <stdint.h>

struct symbolizer;

/* NULL with errno set if the file cannot be read. */
struct symbolizer *symbolizer_new(const char *path);
void symbolizer_free(struct symbolizer *s);

/* Interned (mangled) name of the function containing addr, NULL if none. */
const char *symbolizer_lookup(struct symbolizer *s, uint64_t addr);

#endif /* __ASYNCSCOPE_SYMBOLIZE_H */
