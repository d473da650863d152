/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Resolved layouts cached by ELF build-id. A hit is used only after the code
 * at every probe site still matches the bytes recorded when it was derived;
 * since strip keeps the build-id, a stripped copy of a binary resolved once
 * can be traced from the cache.
 */
#ifndef __ASYNCSCOPE_LAYOUT_CACHE_H
#define __ASYNCSCOPE_LAYOUT_CACHE_H

#include "resolve/resolve_node.h"

enum cache_state {
	CACHE_OFF,  /* ASYNCSCOPE_CACHE=off, or no usable directory */
	CACHE_HIT,  /* loaded and verified against the binary */
	CACHE_MISS, /* derived (and stored when derivation succeeded) */
};

/* node_layout__resolve with the cache in front; same return values. */
int node_layout__resolve_cached(const char *path, struct node_layout *out, enum cache_state *state);

const char *cache_state_name(enum cache_state s);

/* Directory in use ($ASYNCSCOPE_CACHE_DIR, /var/cache/asyncscope as root,
 * else $XDG_CACHE_HOME/asyncscope/layouts); NULL when caching is off. */
const char *layout_cache_dir(void);

#endif /* __ASYNCSCOPE_LAYOUT_CACHE_H */
