// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Decoding Node's double ids with integer operations (the code the probes run). */
#include <linux/types.h>
#include <math.h>
#include <stdlib.h>

#include "bpf/events.h"
#include "bpf/double_id.h"
#include "unit.h"

static __u64 bits(double d)
{
	__u64 b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

void test_double_id__table(void)
{
	static const struct {
		double d;
		__u64 id;
		int integral;
	} cases[] = {
		{0.0, 0, 1},
		{-0.0, 0, 1},
		{1.0, 1, 1},
		{2.0, 2, 1},
		{3.0, 3, 1},
		{17.0, 17, 1},
		{1e6, 1000000, 1},
		{4503599627370496.0, 4503599627370496ULL, 1}, /* 2^52 */
		{9007199254740991.0, 9007199254740991ULL, 1}, /* 2^53 - 1 */
		{9007199254740992.0, 9007199254740992ULL, 1}, /* 2^53 */
		{0.5, 0, 0},
		{1.5, 1, 0},
		{12345.75, 12345, 0},
		{-1.0, ASYNC_ID_INVALID, 1}, /* Node's kInvalidAsyncId */
		{-2.5, ASYNC_ID_INVALID, 0},
		{1e300, ASYNC_ID_INVALID, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "id of %.17g", cases[i].d);
		ASSERT_EQ(id_from_double_bits(bits(cases[i].d)), cases[i].id, what);
		snprintf(what, sizeof(what), "integral %.17g", cases[i].d);
		ASSERT_EQ(double_bits_is_integral(bits(cases[i].d)), cases[i].integral, what);
	}
	ASSERT_EQ(id_from_double_bits(bits(INFINITY)), ASYNC_ID_INVALID, "inf");
	ASSERT_EQ(id_from_double_bits(bits(NAN)), ASYNC_ID_INVALID, "nan");
	ASSERT_EQ(id_from_double_bits(0xbff0000000000000ULL), ASYNC_ID_INVALID, "-1 sentinel bits");
}

/* Every integer an async id can be decodes to itself. */
void test_double_id__random_integers(void)
{
	srand(42);
	for (int i = 0; i < 200000; i++) {
		__u64 v = (((__u64)rand() << 31) ^ (__u64)rand() ^ ((__u64)rand() << 52)) &
			  ((1ULL << 53) - 1);

		if (i < 4096)
			v = i; /* all small ids too */
		if (id_from_double_bits(bits((double)v)) != v ||
		    !double_bits_is_integral(bits((double)v))) {
			UNIT_FAIL("decoding %llu gave %llu", (unsigned long long)v,
				  (unsigned long long)id_from_double_bits(bits((double)v)));
			return;
		}
	}
}
