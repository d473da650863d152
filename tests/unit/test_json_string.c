// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON string reader both JSON readers use. */
#include <string.h>

#include "lib/json_string.h"
#include "unit.h"

void test_json_string__escapes(void)
{
	const char *in = "\"a\\\"b\\\\c\\/\\n\\t\\r\\u0041\\u00e9\" rest", *why = NULL;
	char out[64];
	const char *next = json_read_string(in, NULL, out, sizeof(out), &why);

	ASSERT_TRUE(next != NULL, "read");
	ASSERT_STREQ(out, "a\"b\\c/\n\t\rA?", "unescaped (non-ASCII \\u as ?)");
	ASSERT_STREQ(next, " rest", "stops past the closing quote");
}

void test_json_string__bounded_and_cut(void)
{
	const char *in = "\"abcdef\"", *why = NULL;
	char out[4];

	/* a longer string is cut to the buffer, not refused */
	ASSERT_TRUE(json_read_string(in, NULL, out, sizeof(out), &why) != NULL, "cut");
	ASSERT_STREQ(out, "abc", "cut to cap-1");
	/* end bounds the text: the closing quote beyond it does not count */
	ASSERT_TRUE(json_read_string(in, in + 5, out, sizeof(out), &why) == NULL, "bounded");
	ASSERT_STREQ(why, "unterminated string", "why");
}

void test_json_string__errors(void)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{"abc", "expected a string"},		{"\"abc", "unterminated string"},
		{"\"a\\q\"", "bad escape in a string"}, {"\"\\u12g4\"", "bad \\u escape"},
		{"\"\\u12", "bad \\u escape"},		{"\"\\", "unterminated string"},
	};
	char out[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;

		ASSERT_TRUE(json_read_string(cases[i].in, NULL, out, sizeof(out), &why) == NULL,
			    cases[i].in);
		ASSERT_STREQ(why, cases[i].why, cases[i].in);
	}
}
