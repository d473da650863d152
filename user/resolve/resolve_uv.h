/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The uv layer's probe sites in an ELF that carries libuv: the shared
 * libuv.so.1 (Debian's is stripped: exported uv_* symbols only) or a
 * program with its own copy (node). Only public API functions are used;
 * each gets the site probe_site.c chooses, so the kernel emulates it.
 */
#ifndef __ASYNCSCOPE_RESOLVE_UV_H
#define __ASYNCSCOPE_RESOLVE_UV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "resolve/uv_api.h"

#define UV_MAX_SITES 96

struct uv_site {
	const struct uv_api *api;
	uint64_t addr;	   /* the function */
	uint64_t file_off; /* where the probe goes (addr + skip) */
	uint32_t skip;	   /* bytes past the entry */
	bool emulated;	   /* false: single-stepped (slow), see doctor */
	bool wrapper;	   /* tail-calls another probed API: not probed itself */
	char insn[48];
};

struct uv_layout {
	char path[PATH_MAX];
	char build_id[129];
	char version[16]; /* "1.44.2", read from uv_version(); "" if not found */
	struct uv_site sites[UV_MAX_SITES];
	int nsites;
	int nmissing; /* APIs this libuv does not export (older or newer versions) */
	/* libuv's own code in the file, as file offsets: all of a shared libuv,
	 * the span of the uv_ functions in a program with its own copy */
	uint64_t code_lo, code_hi;
	char error[256];
};

/* 0, -ENOENT (cannot open), -ESRCH (no libuv in it: no uv_run). */
int uv_layout__resolve(const char *path, struct uv_layout *out);

/*
 * Finds the file that holds libuv for a process: a mapped libuv.so*, or the
 * executable itself if it defines uv_run. 0 or -ESRCH.
 */
int uv_find_in_process(int pid, char *path, size_t cap);
/* Only the shared libuv (libuv.so*) pid has mapped, not a copy in its executable. */
int uv_find_shared_in_process(int pid, char *path, size_t cap);
/*
 * The same for a program about to start: its own copy, or the shared libuv
 * it links. With any_load, also the system's libuv when the program does
 * not link it (it may dlopen it: python with uvloop). 0 or -ESRCH.
 */
/* The system's shared libuv (the first of the usual paths that exists). 0 or -ENOENT. */
int uv_system_library(char *path, size_t cap);
int uv_find_for_program(const char *exe, bool any_load, char *path, size_t cap);

#endif /* __ASYNCSCOPE_RESOLVE_UV_H */
