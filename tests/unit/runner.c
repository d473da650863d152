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
#define UNIT_TEST(name) { #name, name },
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

const char *unit_node_binary(int major)
{
	static char path[8][4096];
	char var[32];
	const char *v, *home, *cache;
	FILE *f;
	char line[64];
	int slot = major % 8;

	snprintf(var, sizeof(var), "ASYNCSCOPE_NODE%d", major);
	v = getenv(var);
	if (v && *v)
		return access(v, R_OK) == 0 ? v : NULL;
	/* tests/node-versions names the version of each major we test */
	f = fopen("tests/node-versions", "r");
	if (!f)
		return NULL;
	path[slot][0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		int m;
		char ver[32], where[32];

		if (sscanf(line, "%d %31s %31s", &m, ver, where) != 3 || m != major)
			continue;
		if (!strcmp(where, "system")) {
			snprintf(path[slot], sizeof(path[slot]), "/usr/bin/node");
		} else {
			cache = getenv("XDG_CACHE_HOME");
			home = getenv("HOME");
			if (cache && *cache)
				snprintf(path[slot], sizeof(path[slot]), "%s/asyncscope/node-%s/bin/node",
					 cache, ver);
			else
				snprintf(path[slot], sizeof(path[slot]),
					 "%s/.cache/asyncscope/node-%s/bin/node", home ? home : "/root",
					 ver);
		}
	}
	fclose(f);
	return path[slot][0] && access(path[slot], R_OK) == 0 ? path[slot] : NULL;
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
	return failed ? 1 : 0;
}
