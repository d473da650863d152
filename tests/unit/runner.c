// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Runs every collected unit test; `unit-tests [-v] [substring]`. */
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#define UNIT_TEST(name) void name(void);
#include "tests.h"
#undef UNIT_TEST

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
#define UNIT_TEST(name) {#name, name},
#include "tests.h"
#undef UNIT_TEST
};

int unit_failed, unit_skipped, unit_verbose;
static char skip_reason[256];

void unit_skip(const char *why)
{
	unit_skipped = 1;
	snprintf(skip_reason, sizeof(skip_reason), "%s", why);
}

/* The Makefile exports ASYNCSCOPE_NODE<major>, from tools/fetch-node.sh. */
const char *unit_node_binary(int major)
{
	char var[32];
	const char *v;

	snprintf(var, sizeof(var), "ASYNCSCOPE_NODE%d", major);
	v = getenv(var);
	return v && *v && access(v, R_OK) == 0 ? v : NULL;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;
	const char *filter = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			unit_verbose = 1;
		else
			filter = argv[i];
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		unit_failed = unit_skipped = 0;
		tests[i].fn();
		if (unit_failed) {
			failed++;
			printf("FAIL %s\n", tests[i].name);
		} else if (unit_skipped) {
			skipped++;
			printf("SKIP %s: %s\n", tests[i].name, skip_reason);
		} else {
			passed++;
			if (unit_verbose)
				printf("ok   %s\n", tests[i].name);
		}
	}
	printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	/* CI must run everything: a skip there is a failure */
	if (skipped && getenv("CI") && !strcmp(getenv("CI"), "true")) {
		printf("unit: skips are failures under CI=true\n");
		return 1;
	}
	return failed ? 1 : 0;
}
