// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>

#include "lib/parse_size.h"

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - (*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (*s) {
		switch (*s) {
		case 'K':
		case 'k':
			mult = 1ULL << 10;
			break;
		case 'M':
		case 'm':
			mult = 1ULL << 20;
			break;
		case 'G':
		case 'g':
			mult = 1ULL << 30;
			break;
		default:
			return -EINVAL;
		}
		if (s[1])
			return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}
