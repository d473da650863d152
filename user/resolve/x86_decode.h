/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small x86-64 instruction decoder: lengths, opcode, ModRM/SIB operands,
 * displacement and immediate. Enough to walk a function and match the
 * patterns that reveal struct offsets; it does not name mnemonics.
 */
#ifndef __ASYNCSCOPE_X86_DECODE_H
#define __ASYNCSCOPE_X86_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* General-purpose register numbers, in encoding order. */
enum x86_reg {
	X86_RAX,
	X86_RCX,
	X86_RDX,
	X86_RBX,
	X86_RSP,
	X86_RBP,
	X86_RSI,
	X86_RDI,
	X86_R8,
	X86_R9,
	X86_R10,
	X86_R11,
	X86_R12,
	X86_R13,
	X86_R14,
	X86_R15,
	X86_NOREG = -1,
	X86_RIP = -2,
};

enum x86_map {
	X86_MAP_1BYTE = 0,
	X86_MAP_0F = 1,
	X86_MAP_0F38 = 2,
	X86_MAP_0F3A = 3,
};

enum x86_prefix_bits {
	X86_PFX_66 = 1 << 0,
	X86_PFX_F2 = 1 << 1,
	X86_PFX_F3 = 1 << 2,
	X86_PFX_LOCK = 1 << 3,
	X86_PFX_67 = 1 << 4,
	X86_PFX_SEG = 1 << 5,
	X86_PFX_VEX = 1 << 6, /* VEX or EVEX encoded */
};

struct x86_insn {
	uint64_t addr;
	uint8_t len;
	uint8_t map;	  /* enum x86_map */
	uint8_t opcode;	  /* last opcode byte */
	uint8_t prefixes; /* enum x86_prefix_bits */
	uint8_t rex;	  /* REX byte, 0 if none */
	bool rex_w;
	bool has_modrm;
	uint8_t mod;   /* ModRM.mod */
	int8_t reg;    /* ModRM.reg extended by REX.R (register or opcode extension) */
	int8_t rm;     /* register when mod == 3, extended by REX.B */
	bool mem;      /* ModRM names memory */
	int8_t base;   /* memory base register, X86_NOREG or X86_RIP */
	int8_t index;  /* memory index register or X86_NOREG */
	uint8_t scale; /* 1, 2, 4 or 8 */
	int32_t disp;
	uint8_t imm_size;
	int64_t imm;
	int64_t rel; /* branch displacement for rel8/rel32 jumps and calls */
	bool has_rel;
};

/*
 * Decodes one instruction at code[0..avail). Returns its length (1..15), or
 * -EINVAL for an encoding this decoder does not know, -ENODATA if it runs
 * past avail.
 */
int x86_decode(const uint8_t *code, size_t avail, uint64_t addr, struct x86_insn *insn);

/* Target address of a rel8/rel32 call or jump. */
static inline uint64_t x86_branch_target(const struct x86_insn *insn)
{
	return insn->addr + insn->len + insn->rel;
}

bool x86_is_call_rel32(const struct x86_insn *insn);
bool x86_is_jmp_rel(const struct x86_insn *insn);
bool x86_is_ret(const struct x86_insn *insn);

/*
 * True if the kernel's uprobe code emulates this instruction rather than
 * single-stepping a copy of it (a debug trap, ~30x dearer). Mirrors
 * arch/x86/kernel/uprobes.c: push of a register, nop forms, and relative
 * call/jmp/jcc.
 */
bool x86_uprobe_emulated(const struct x86_insn *insn);

/*
 * General-purpose registers the instruction may overwrite, as a bit mask by
 * enum x86_reg (calls clobber the caller-saved set). Conservative for the
 * common integer instructions, blind to exotic ones.
 */
unsigned int x86_insn_clobbers(const struct x86_insn *insn);

/*
 * True if the instruction reads a 32-bit value from its memory operand and
 * only looks at it: a load (mov, movsxd), a compare with a register or an
 * immediate, or a test. Compilers pick any of these for the same use of a
 * field (`if (field_ == 0)` is a load then a test with one, a `cmpl $0`
 * with another), so rules about how a field is used accept them all.
 */
bool x86_reads_mem32(const struct x86_insn *insn);

/* True for jumps, calls, returns and traps: where straight-line code ends. */
bool x86_changes_flow(const struct x86_insn *insn);

/* True if the instruction moves or writes the stack pointer. */
bool x86_touches_rsp(const struct x86_insn *insn);

/* "push %rbp", "mov %rsp,%rbp" style description of the first bytes, for doctor. */
const char *x86_reg_name(int reg);

#endif /* __ASYNCSCOPE_X86_DECODE_H */
