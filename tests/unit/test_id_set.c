// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The id set against a plain array, through growth and backward-shift deletes. */
#include "lib/id_set.h"
#include "unit.h"

void test_id_set__matches_reference(void)
{
	enum { KEYS = 3000 };
	static bool in[KEYS];
	struct id_set s = {0};
	unsigned int seed = 42;
	size_t len = 0;

	for (int step = 0; step < 200000; step++) {
		/* keys close together and far apart, so chains collide and wrap */
		uint64_t k = rand_r(&seed) % KEYS;
		uint64_t key = (k & 1) ? k : k << 40;

		if (rand_r(&seed) % 3) {
			if (!ASSERT_EQ(id_set_add(&s, key), 0, "add"))
				break;
			len += !in[k];
			in[k] = true;
		} else {
			bool had = id_set_remove(&s, key);

			if (!ASSERT_EQ(had, in[k], "remove reports presence"))
				break;
			len -= in[k];
			in[k] = false;
		}
		if (!ASSERT_EQ(s.len, len, "size"))
			break;
	}
	for (uint64_t k = 0; k < KEYS; k++) {
		uint64_t key = (k & 1) ? k : k << 40;

		ASSERT_EQ(id_set_has(&s, key), in[k], "has() agrees with the reference");
		ASSERT_EQ(id_set_remove(&s, key), in[k], "every key findable at the end");
	}
	ASSERT_EQ(s.len, 0, "empty after removing all");
	ASSERT_TRUE(!id_set_has(&s, 0), "nothing left");
	id_set_free(&s);
}
