// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Byte counts for --ringbuf-size and the daemon's config: what is accepted, what not. */
#include <errno.h>

#include "lib/parse_size.h"
#include "unit.h"

void test_parse_size__accepted(void)
{
	static const struct {
		const char *s;
		uint64_t want;
	} cases[] = {
		{"0", 0},
		{"4096", 4096},
		{"4k", 4096},
		{"16M", 16ULL << 20},
		{"16m", 16ULL << 20},
		{"2G", 2ULL << 30},
		{"18446744073709551615", UINT64_MAX},
		{"17179869183G", 17179869183ULL << 30},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;

		ASSERT_OK(parse_size(cases[i].s, &v), cases[i].s);
		ASSERT_EQ(v, cases[i].want, cases[i].s);
	}
}

void test_parse_size__rejected(void)
{
	static const char *const cases[] = {
		"",
		"M",
		"-1",
		"+16M",
		" 16M",
		"16M ",
		"16MB",
		"1.5G",
		"0x10",
		"18446744073709551616",
		"17179869184G",
		"16T",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 42;

		ASSERT_EQ(parse_size(cases[i], &v), -EINVAL, cases[i]);
		ASSERT_EQ(v, 42, "untouched on failure");
	}
}
