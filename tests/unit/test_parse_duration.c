// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --duration values: what is accepted, what not (nothing silently odd). */
#include <errno.h>

#include "cli/cmd.h"
#include "unit.h"

void test_parse_duration__accepted(void)
{
	static const struct {
		const char *s;
		uint64_t want;
	} cases[] = {
		{"10", 10000000000ULL},	  {"10s", 10000000000ULL}, {"500ms", 500000000ULL},
		{"1.5s", 1500000000ULL},  {"2m", 120000000000ULL}, {"250us", 250000ULL},
		{"1h", 3600000000000ULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;

		ASSERT_OK(parse_duration(cases[i].s, &v), cases[i].s);
		ASSERT_EQ(v, cases[i].want, cases[i].s);
	}
}

void test_parse_duration__rejected(void)
{
	static const char *const cases[] = {
		"",   "s",   "5x",  "10parsecs", "-1",	"+5",	 " 5",
		"5 ", "nan", "inf", "0x10",	 "1e3", "1.5.3",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 42;

		ASSERT_EQ(parse_duration(cases[i], &v), -EINVAL, cases[i]);
		ASSERT_EQ(v, 42, "untouched on failure");
	}
}
