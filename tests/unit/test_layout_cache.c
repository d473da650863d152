// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The build-id layout cache: a hit equals a fresh derivation; a damaged or
 * stale entry is never trusted. */
#include <stdlib.h>
#include <unistd.h>

#include "resolve/layout_cache.h"
#include "unit.h"

static char dir[64];

static const char *setup(void)
{
	const char *bin = unit_node_binary(24);

	if (!bin) {
		unit_skip("node binary not available (run make nodes)");
		return NULL;
	}
	snprintf(dir, sizeof(dir), "/tmp/asyncscope-unit-cache.XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	setenv("ASYNCSCOPE_CACHE_DIR", dir, 1);
	return bin;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		UNIT_FAIL("cleanup of %s", dir);
	unsetenv("ASYNCSCOPE_CACHE_DIR");
}

void test_layout_cache__hit_equals_derivation(void)
{
	const char *bin = setup();
	static struct node_layout fresh, cached;
	enum cache_state st;

	if (!bin)
		return;
	ASSERT_OK(node_layout__resolve(bin, &fresh), "derive");
	ASSERT_OK(node_layout__resolve_cached(bin, &cached, &st), "first: miss");
	ASSERT_EQ(st, CACHE_MISS, "first lookup misses");
	memset(&cached, 0, sizeof(cached));
	ASSERT_OK(node_layout__resolve_cached(bin, &cached, &st), "second: hit");
	ASSERT_EQ(st, CACHE_HIT, "second lookup hits");
	ASSERT_TRUE(!memcmp(&fresh.off, &cached.off, sizeof(fresh.off)), "same offsets");
	ASSERT_EQ(cached.nproviders, fresh.nproviders, "same provider count");
	ASSERT_STREQ(cached.providers[fresh.nproviders - 1], fresh.providers[fresh.nproviders - 1],
		     "same last provider");
	for (int r = 0; r < SITE_COUNT; r++) {
		ASSERT_EQ(cached.sites[r].used, fresh.sites[r].used, "same sites");
		ASSERT_EQ(cached.sites[r].file_off, fresh.sites[r].file_off, "same file offsets");
		ASSERT_EQ(cached.sites[r].emulated, fresh.sites[r].emulated,
			  "same emulation verdict");
	}
	teardown();
}

/* An entry whose recorded code does not match the binary is ignored. */
void test_layout_cache__stale_entry_rederived(void)
{
	const char *bin = setup();
	static struct node_layout l;
	enum cache_state st;
	char path[256], cmd[512];

	if (!bin)
		return;
	ASSERT_OK(node_layout__resolve_cached(bin, &l, &st), "populate");
	snprintf(path, sizeof(path), "%s/%s.layout", dir, l.build_id);
	/* corrupt the recorded bytes of the first site */
	snprintf(cmd, sizeof(cmd),
		 "sed -i '0,/^site \\([0-9]* [0-9a-f]* [0-9a-f]*\\) 55/s//site \\1 cc/' '%s'",
		 path);
	ASSERT_OK(system(cmd), "edit cache file");
	memset(&l, 0, sizeof(l));
	ASSERT_OK(node_layout__resolve_cached(bin, &l, &st), "resolve again");
	ASSERT_EQ(st, CACHE_MISS, "stale entry not used");
	ASSERT_EQ(l.off.wrap_async_id, 0x38, "derived afresh");
	/* garbage file */
	snprintf(cmd, sizeof(cmd), "echo garbage > '%s'", path);
	ASSERT_OK(system(cmd), "overwrite cache file");
	ASSERT_OK(node_layout__resolve_cached(bin, &l, &st), "resolve with garbage cache");
	ASSERT_EQ(st, CACHE_MISS, "garbage entry not used");
	teardown();
}
