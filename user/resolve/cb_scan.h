/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finds, in an ELF that calls libuv, the functions it hands libuv as
 * callbacks, so their probes can be in place before they first run: a
 * function whose address is loaded (lea / mov $imm) shortly before a call
 * to a libuv API function, directly, through the PLT or through the GOT.
 */
#ifndef __ASYNCSCOPE_CB_SCAN_H
#define __ASYNCSCOPE_CB_SCAN_H

#include <stddef.h>
#include <stdint.h>

struct cb_candidate {
	uint64_t addr;	   /* the function's virtual address in the file */
	uint64_t file_off; /* its file offset */
};

/*
 * Scans path; *out is malloc'ed (caller frees), *n its length. 0 or -errno;
 * a file that does not call libuv gives 0 candidates.
 */
int cb_scan(const char *path, struct cb_candidate **out, size_t *n);

#endif /* __ASYNCSCOPE_CB_SCAN_H */
