// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The uv layer's view of the system libuv: its version, read from its code. */
#include <stdio.h>
#include <string.h>

#include "resolve/resolve_uv.h"
#include "unit.h"

void test_resolve_uv__system_version(void)
{
	static struct uv_layout l;
	char path[4096], want[32] = "";
	FILE *p;

	if (uv_system_library(path, sizeof(path))) {
		unit_skip("no system libuv.so.1 (install libuv1-dev)");
		return;
	}
	ASSERT_OK(uv_layout__resolve(path, &l), "resolve the system libuv");
	/* what the -dev package says it installed */
	p = popen("pkg-config --modversion libuv 2>/dev/null", "r");
	if (p) {
		if (!fgets(want, sizeof(want), p))
			want[0] = '\0';
		pclose(p);
	}
	want[strcspn(want, "\n")] = '\0';
	if (!want[0]) {
		unit_skip("pkg-config does not know libuv");
		return;
	}
	ASSERT_STREQ(l.version, want, "uv_version() decoded");
}
