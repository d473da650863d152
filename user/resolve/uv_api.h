/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The libuv public API functions the uv layer probes, and what each one
 * means: which argument is the handle or request, which is its callback.
 * Argument positions are libuv's stable public API (uv.h, 1.x).
 */
#ifndef __ASYNCSCOPE_UV_API_H
#define __ASYNCSCOPE_UV_API_H

#include <stdint.h>

#include "bpf/events.h"

struct uv_api {
	const char *name;
	uint8_t role;	  /* enum uv_role */
	uint8_t type;	  /* enum uv_obj_type */
	uint8_t obj_slot; /* integer argument slot of the handle or request (1-based) */
	uint8_t cb_slot;  /* slot of the callback (7+ on the stack), 0 if none */
};

extern const struct uv_api uv_apis[];
extern const int uv_napis;

/* The BPF cookie that tells the uv_api program what fired. */
static inline uint64_t uv_api_cookie(const struct uv_api *a)
{
	return (uint64_t)a->role | (uint64_t)a->type << 8 | (uint64_t)a->obj_slot << 16 |
	       (uint64_t)a->cb_slot << 24;
}

#endif /* __ASYNCSCOPE_UV_API_H */
