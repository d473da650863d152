/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Byte counts as people write them: "16M", "4096", "1G". */
#ifndef __ASYNCSCOPE_PARSE_SIZE_H
#define __ASYNCSCOPE_PARSE_SIZE_H

#include <stdint.h>

/*
 * Decimal digits with an optional K, M or G suffix (either case; powers of
 * 1024) -> bytes. 0, or -EINVAL if malformed or beyond 64 bits; the caller
 * checks the range it accepts.
 */
int parse_size(const char *s, uint64_t *out);

#endif /* __ASYNCSCOPE_PARSE_SIZE_H */
