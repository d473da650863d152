/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where in a function to put a uprobe so the kernel emulates the trapped
 * instruction instead of single-stepping a copy of it (~30x dearer here).
 * Optimised code often starts with `mov` or `test`; a few bytes in there is
 * usually a `push` or a conditional jump, which execution always reaches
 * and which leaves the arguments and the return address where they were.
 */
#ifndef __ASYNCSCOPE_PROBE_SITE_H
#define __ASYNCSCOPE_PROBE_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probe_site_choice {
	uint32_t offset; /* from the function's start */
	bool emulated;	 /* false: no better site than the entry, which is single-stepped */
	char insn[48];	 /* hex bytes of the instruction probed */
};

/*
 * Chooses the site in code (the function's first bytes, at address addr):
 * the entry if its instruction is emulated, else the first emulated
 * instruction on the straight-line path from the entry such that nothing
 * before it branches, moves the stack pointer (a return probe needs the
 * return address at the top of the stack) or overwrites a register in
 * keep_regs (bit mask by enum x86_reg). Returns 0, or -EINVAL if the code
 * cannot be decoded.
 */
int probe_site_choose(const uint8_t *code, size_t n, uint64_t addr, unsigned int keep_regs,
		      struct probe_site_choice *out);

/* enum x86_reg of SysV integer argument slot 1..6, -1 for stack slots. */
int probe_arg_reg(int slot);

#endif /* __ASYNCSCOPE_PROBE_SITE_H */
