// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* x86-64 instruction decoder for offset derivation: see x86_decode.h. */
#include <errno.h>
#include <string.h>

#include "resolve/x86_decode.h"

/* Immediate kinds in the one-byte map. */
enum imm_kind {
	IMM_NONE = 0,
	IMM_8,	  /* ib */
	IMM_16,	  /* iw */
	IMM_Z,	  /* iz: 32 bits, 16 with a 0x66 prefix */
	IMM_V,	  /* B8+r: iz, or 64 bits with REX.W */
	IMM_REL8, /* jb */
	IMM_REL32,
	IMM_MOFFS, /* 64-bit absolute address, 32 with 0x67 */
	IMM_ENTER, /* iw + ib */
	IMM_GRP3,  /* F6/F7: immediate only for /0 and /1 */
	IMM_BAD,   /* not valid in 64-bit mode */
};

/* One-byte map: does the opcode take a ModRM byte? (bit per opcode) */
static const uint32_t onebyte_modrm[8] = {
	/* 00-1f */ 0x0f0f0f0f,
	/* 20-3f */ 0x0f0f0f0f,
	/* 40-5f */ 0x00000000,
	/* 60-7f: 63 69 6b */ 0x00000a08,
	/* 80-9f: 80-8f */ 0x0000ffff,
	/* a0-bf */ 0x00000000,
	/* c0-df: c0 c1 c6 c7 d0-d3 d8-df */ 0xff0f00c3,
	/* e0-ff: f6 f7 fe ff */ 0xc0c00000,
};

static enum imm_kind onebyte_imm(uint8_t op)
{
	if (op < 0x40) {
		switch (op & 7) {
		case 4:
			return IMM_8;
		case 5:
			return IMM_Z;
		case 6:
		case 7:
			return IMM_BAD; /* push/pop seg, daa & co; 0f, 26.. are prefixes */
		}
		return IMM_NONE;
	}
	if (op >= 0x70 && op <= 0x7f)
		return IMM_REL8;
	if (op >= 0xb0 && op <= 0xb7)
		return IMM_8;
	if (op >= 0xb8 && op <= 0xbf)
		return IMM_V;
	switch (op) {
	case 0x60:
	case 0x61:
	case 0x82:
	case 0x9a:
	case 0xce:
	case 0xd4:
	case 0xd5:
	case 0xd6:
	case 0xea:
		return IMM_BAD;
	case 0x68:
	case 0x69:
	case 0x81:
	case 0xa9:
	case 0xc7:
		return IMM_Z;
	case 0x6a:
	case 0x6b:
	case 0x80:
	case 0x83:
	case 0xa8:
	case 0xc0:
	case 0xc1:
	case 0xc6:
	case 0xcd:
	case 0xe4:
	case 0xe5:
	case 0xe6:
	case 0xe7:
		return IMM_8;
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3:
		return IMM_MOFFS;
	case 0xc2:
	case 0xca:
		return IMM_16;
	case 0xc8:
		return IMM_ENTER;
	case 0xe0:
	case 0xe1:
	case 0xe2:
	case 0xe3:
	case 0xeb:
		return IMM_REL8;
	case 0xe8:
	case 0xe9:
		return IMM_REL32;
	case 0xf6:
	case 0xf7:
		return IMM_GRP3;
	}
	return IMM_NONE;
}

static bool map0f_has_modrm(uint8_t op)
{
	if (op >= 0x30 && op <= 0x37)
		return false;
	if (op >= 0x80 && op <= 0x8f)
		return false;
	if (op >= 0xc8 && op <= 0xcf)
		return false;
	switch (op) {
	case 0x05:
	case 0x06:
	case 0x07:
	case 0x08:
	case 0x09:
	case 0x0b:
	case 0x0e:
	case 0x77:
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa8:
	case 0xa9:
	case 0xaa:
		return false;
	}
	return true;
}

static bool map0f_has_imm8(uint8_t op)
{
	switch (op) {
	case 0x0f:
	case 0x70:
	case 0x71:
	case 0x72:
	case 0x73:
	case 0xa4:
	case 0xac:
	case 0xba:
	case 0xc2:
	case 0xc4:
	case 0xc5:
	case 0xc6:
		return true;
	}
	return false;
}

struct cursor {
	const uint8_t *p;
	size_t pos, avail;
};

static int take(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->pos + n > c->avail || c->pos + n > 15)
		return -ENODATA;
	*out = c->p + c->pos;
	c->pos += n;
	return 0;
}

static int64_t read_le(const uint8_t *b, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | b[i];
	/* sign-extend */
	if (n < 8 && (v >> (n * 8 - 1)) & 1)
		v |= ~0ULL << (n * 8);
	return (int64_t)v;
}

static int decode_modrm(struct cursor *c, struct x86_insn *in, bool rex_r, bool rex_x, bool rex_b)
{
	const uint8_t *b;
	int err, rm;

	if ((err = take(c, 1, &b)))
		return err;
	in->has_modrm = true;
	in->mod = b[0] >> 6;
	in->reg = ((b[0] >> 3) & 7) | (rex_r ? 8 : 0);
	rm = b[0] & 7;
	in->base = X86_NOREG;
	in->index = X86_NOREG;
	in->scale = 1;
	if (in->mod == 3) {
		in->rm = rm | (rex_b ? 8 : 0);
		return 0;
	}
	in->mem = true;
	in->rm = X86_NOREG;
	if (rm == 4) {
		int index, base;

		if ((err = take(c, 1, &b)))
			return err;
		in->scale = 1 << (b[0] >> 6);
		index = ((b[0] >> 3) & 7) | (rex_x ? 8 : 0);
		base = b[0] & 7;
		in->index = index == 4 ? X86_NOREG : index;
		if (base == 5 && in->mod == 0) {
			in->base = X86_NOREG;
			if ((err = take(c, 4, &b)))
				return err;
			in->disp = (int32_t)read_le(b, 4);
			return 0;
		}
		in->base = base | (rex_b ? 8 : 0);
	} else if (rm == 5 && in->mod == 0) {
		in->base = X86_RIP;
		if ((err = take(c, 4, &b)))
			return err;
		in->disp = (int32_t)read_le(b, 4);
		return 0;
	} else {
		in->base = rm | (rex_b ? 8 : 0);
	}
	if (in->mod == 1) {
		if ((err = take(c, 1, &b)))
			return err;
		in->disp = (int32_t)read_le(b, 1);
	} else if (in->mod == 2) {
		if ((err = take(c, 4, &b)))
			return err;
		in->disp = (int32_t)read_le(b, 4);
	}
	return 0;
}

static int take_imm(struct cursor *c, struct x86_insn *in, int size)
{
	const uint8_t *b;
	int err;

	if ((err = take(c, size, &b)))
		return err;
	in->imm_size = size;
	in->imm = read_le(b, size);
	return 0;
}

/* VEX (C4/C5) and EVEX (62): map, implied prefix, then opcode and ModRM. */
static int decode_vex(struct cursor *c, struct x86_insn *in, uint8_t lead)
{
	bool rex_r, rex_x = false, rex_b = false;
	const uint8_t *b;
	int err, pp, map;

	in->prefixes |= X86_PFX_VEX;
	if (lead == 0xc5) {
		if ((err = take(c, 1, &b)))
			return err;
		rex_r = !(b[0] & 0x80);
		map = X86_MAP_0F;
		pp = b[0] & 3;
	} else if (lead == 0xc4) {
		if ((err = take(c, 2, &b)))
			return err;
		rex_r = !(b[0] & 0x80);
		rex_x = !(b[0] & 0x40);
		rex_b = !(b[0] & 0x20);
		map = b[0] & 0x1f;
		in->rex_w = b[1] & 0x80;
		pp = b[1] & 3;
	} else { /* 0x62 EVEX */
		if ((err = take(c, 3, &b)))
			return err;
		rex_r = !(b[0] & 0x80);
		rex_x = !(b[0] & 0x40);
		rex_b = !(b[0] & 0x20);
		map = b[0] & 0x07;
		in->rex_w = b[1] & 0x80;
		pp = b[1] & 3;
	}
	if (map < X86_MAP_0F || map > X86_MAP_0F3A)
		return -EINVAL;
	in->map = map;
	in->prefixes |= pp == 1 ? X86_PFX_66 : pp == 2 ? X86_PFX_F3 : pp == 3 ? X86_PFX_F2 : 0;
	if ((err = take(c, 1, &b)))
		return err;
	in->opcode = b[0];
	if (!(lead == 0xc5 || lead == 0xc4) || !(map == X86_MAP_0F && in->opcode == 0x77)) {
		if ((err = decode_modrm(c, in, rex_r, rex_x, rex_b)))
			return err;
	}
	if (map == X86_MAP_0F3A || (map == X86_MAP_0F && map0f_has_imm8(in->opcode)))
		return take_imm(c, in, 1);
	return 0;
}

int x86_decode(const uint8_t *code, size_t avail, uint64_t addr, struct x86_insn *in)
{
	struct cursor c = {.p = code, .avail = avail};
	bool rex_r, rex_x, rex_b;
	const uint8_t *b;
	uint8_t op;
	int err;

	memset(in, 0, sizeof(*in));
	in->addr = addr;
	in->base = in->index = in->rm = X86_NOREG;

	/* Legacy prefixes, then an optional REX that must come last. */
	for (;;) {
		if ((err = take(&c, 1, &b)))
			return err;
		op = b[0];
		switch (op) {
		case 0x66:
			in->prefixes |= X86_PFX_66;
			in->rex = 0;
			continue;
		case 0x67:
			in->prefixes |= X86_PFX_67;
			in->rex = 0;
			continue;
		case 0xf2:
			in->prefixes |= X86_PFX_F2;
			in->rex = 0;
			continue;
		case 0xf3:
			in->prefixes |= X86_PFX_F3;
			in->rex = 0;
			continue;
		case 0xf0:
			in->prefixes |= X86_PFX_LOCK;
			in->rex = 0;
			continue;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0x64:
		case 0x65:
			in->prefixes |= X86_PFX_SEG;
			in->rex = 0;
			continue;
		}
		if (op >= 0x40 && op <= 0x4f) {
			in->rex = op;
			continue;
		}
		break;
	}
	in->rex_w = in->rex & 8;
	rex_r = in->rex & 4;
	rex_x = in->rex & 2;
	rex_b = in->rex & 1;

	if (op == 0xc4 || op == 0xc5 || op == 0x62) {
		if ((err = decode_vex(&c, in, op)))
			return err;
		in->len = c.pos;
		return in->len;
	}

	if (op == 0x0f) {
		if ((err = take(&c, 1, &b)))
			return err;
		op = b[0];
		if (op == 0x38 || op == 0x3a) {
			in->map = op == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
			if ((err = take(&c, 1, &b)))
				return err;
			in->opcode = b[0];
			if ((err = decode_modrm(&c, in, rex_r, rex_x, rex_b)))
				return err;
			if (in->map == X86_MAP_0F3A && (err = take_imm(&c, in, 1)))
				return err;
			in->len = c.pos;
			return in->len;
		}
		in->map = X86_MAP_0F;
		in->opcode = op;
		if (map0f_has_modrm(op) && (err = decode_modrm(&c, in, rex_r, rex_x, rex_b)))
			return err;
		if (op >= 0x80 && op <= 0x8f) { /* jcc rel32 */
			if ((err = take_imm(&c, in, 4)))
				return err;
			in->rel = in->imm;
			in->has_rel = true;
		} else if (map0f_has_imm8(op) && (err = take_imm(&c, in, 1))) {
			return err;
		}
		in->len = c.pos;
		return in->len;
	}

	in->map = X86_MAP_1BYTE;
	in->opcode = op;
	if ((onebyte_modrm[op >> 5] >> (op & 31)) & 1) {
		if ((err = decode_modrm(&c, in, rex_r, rex_x, rex_b)))
			return err;
	} else if ((op >= 0x50 && op <= 0x5f) || (op >= 0x90 && op <= 0x97) ||
		   (op >= 0xb0 && op <= 0xbf)) {
		in->rm = (op & 7) | (rex_b ? 8 : 0); /* register in the opcode */
	}

	switch (onebyte_imm(op)) {
	case IMM_NONE:
		break;
	case IMM_BAD:
		return -EINVAL;
	case IMM_8:
		err = take_imm(&c, in, 1);
		break;
	case IMM_16:
		err = take_imm(&c, in, 2);
		break;
	case IMM_Z:
		err = take_imm(&c, in, (in->prefixes & X86_PFX_66) ? 2 : 4);
		break;
	case IMM_V:
		err = take_imm(&c, in, in->rex_w ? 8 : (in->prefixes & X86_PFX_66) ? 2 : 4);
		break;
	case IMM_REL8:
	case IMM_REL32:
		err = take_imm(&c, in, onebyte_imm(op) == IMM_REL8 ? 1 : 4);
		in->rel = in->imm;
		in->has_rel = true;
		break;
	case IMM_MOFFS:
		err = take_imm(&c, in, (in->prefixes & X86_PFX_67) ? 4 : 8);
		break;
	case IMM_ENTER:
		if (!(err = take_imm(&c, in, 2)))
			err = take(&c, 1, &b);
		break;
	case IMM_GRP3:
		if ((in->reg & 7) < 2)
			err = take_imm(&c, in,
				       op == 0xf6		   ? 1 :
				       (in->prefixes & X86_PFX_66) ? 2 :
								     4);
		break;
	}
	if (err)
		return err;
	in->len = c.pos;
	return in->len;
}

bool x86_is_call_rel32(const struct x86_insn *in)
{
	return in->map == X86_MAP_1BYTE && in->opcode == 0xe8;
}

bool x86_is_jmp_rel(const struct x86_insn *in)
{
	return in->map == X86_MAP_1BYTE && (in->opcode == 0xe9 || in->opcode == 0xeb);
}

bool x86_is_ret(const struct x86_insn *in)
{
	return in->map == X86_MAP_1BYTE && (in->opcode == 0xc3 || in->opcode == 0xc2);
}

bool x86_uprobe_emulated(const struct x86_insn *in)
{
	if (in->prefixes & (X86_PFX_VEX | X86_PFX_LOCK))
		return false;
	if (in->map == X86_MAP_1BYTE) {
		uint8_t op = in->opcode;

		/* push %reg (with or without REX.B), nop */
		if (op >= 0x50 && op <= 0x57 && !(in->prefixes & X86_PFX_66))
			return true;
		if (op == 0x90 && !(in->rex & 1))
			return true;
		/* call/jmp rel, jcc rel8 */
		if (op == 0xe8 || op == 0xe9 || op == 0xeb || (op >= 0x70 && op <= 0x7f))
			return true;
		return false;
	}
	if (in->map == X86_MAP_0F) {
		/* jcc rel32, multi-byte nop (0f 1f /0) */
		if (in->opcode >= 0x80 && in->opcode <= 0x8f)
			return true;
		if (in->opcode == 0x1f && (in->reg & 7) == 0)
			return true;
	}
	return false;
}

const char *x86_reg_name(int reg)
{
	static const char *const names[] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
	};

	if (reg == X86_RIP)
		return "rip";
	if (reg < 0 || reg > 15)
		return "none";
	return names[reg];
}

/*
 * Registers an instruction may overwrite, as a bit mask (see x86_decode.h).
 */
unsigned int x86_insn_clobbers(const struct x86_insn *in)
{
	unsigned int reg_bit = in->reg >= 0 ? 1u << in->reg : 0;
	unsigned int rm_bit = (!in->mem && in->rm >= 0) ? 1u << in->rm : 0;
	const unsigned int caller_saved = 0x0fc7; /* rax rcx rdx rsi rdi r8-r11 */
	uint8_t op = in->opcode;

	if (in->map == X86_MAP_1BYTE) {
		if (op == 0xe8 || (op == 0xff && (in->reg & 7) == 2))
			return caller_saved;
		switch (op) {
		case 0x03:
		case 0x0b:
		case 0x13:
		case 0x1b:
		case 0x23:
		case 0x2b:
		case 0x33:
		case 0x63:
		case 0x69:
		case 0x6b:
		case 0x8a:
		case 0x8b:
		case 0x8d:
			return reg_bit;
		case 0x01:
		case 0x09:
		case 0x11:
		case 0x19:
		case 0x21:
		case 0x29:
		case 0x31:
		case 0x88:
		case 0x89:
		case 0x80:
		case 0x81:
		case 0x83:
		case 0xc0:
		case 0xc1:
		case 0xc6:
		case 0xc7:
		case 0xd0:
		case 0xd1:
		case 0xd2:
		case 0xd3:
		case 0xf6:
		case 0xf7:
		case 0xfe:
		case 0xff:
			return rm_bit;
		case 0x98:
		case 0x99:
			return 0x5; /* rax, rdx */
		}
		if ((op >= 0x58 && op <= 0x5f) || (op >= 0xb0 && op <= 0xbf))
			return in->rm >= 0 ? 1u << in->rm : 0;
		if (op >= 0x90 && op <= 0x97)
			return 1u | (in->rm >= 0 ? 1u << in->rm : 0);
		return 0;
	}
	if (in->map == X86_MAP_0F) {
		if ((op >= 0x40 && op <= 0x4f) || op == 0xaf || op == 0xb6 || op == 0xb7 ||
		    op == 0xbe || op == 0xbf || op == 0xbc || op == 0xbd || op == 0xb8 ||
		    op == 0x2c || op == 0x2d || op == 0x50)
			return reg_bit;
		if (op == 0x7e || (op >= 0x90 && op <= 0x9f))
			return rm_bit;
		if (op >= 0xc8 && op <= 0xcf)
			return 1u << ((op & 7) | ((in->rex & 1) ? 8 : 0));
	}
	return 0;
}

bool x86_reads_mem32(const struct x86_insn *in)
{
	/* 32-bit operand size: no REX.W (movsxd is REX.W 63 and reads 32 bits),
	 * no 66 prefix (16 bits), not VEX-encoded */
	if (in->map != X86_MAP_1BYTE || !in->mem || (in->prefixes & (X86_PFX_66 | X86_PFX_VEX)))
		return false;
	switch (in->opcode) {
	case 0x63: /* movsxd r64, r/m32 */
		return in->rex_w;
	case 0x8b: /* mov r32, r/m32 */
	case 0x39: /* cmp r/m32, r32 */
	case 0x3b: /* cmp r32, r/m32 */
	case 0x85: /* test r/m32, r32 */
		return !in->rex_w;
	case 0x81: /* cmp r/m32, imm32 (/7) */
	case 0x83: /* cmp r/m32, imm8 (/7) */
		return !in->rex_w && (in->reg & 7) == 7;
	case 0xf7: /* test r/m32, imm32 (/0) */
		return !in->rex_w && (in->reg & 7) == 0;
	}
	return false;
}

bool x86_changes_flow(const struct x86_insn *in)
{
	uint8_t op = in->opcode;

	if (in->has_rel || x86_is_ret(in))
		return true;
	if (in->map == X86_MAP_1BYTE &&
	    ((op == 0xff && ((in->reg & 7) == 2 || (in->reg & 7) == 4)) || op == 0xcc ||
	     op == 0xcd))
		return true;
	return false;
}

bool x86_touches_rsp(const struct x86_insn *in)
{
	uint8_t op = in->opcode;

	if (in->map == X86_MAP_1BYTE &&
	    ((op >= 0x50 && op <= 0x5f) || op == 0x68 || op == 0x6a || op == 0x8f || op == 0x9c ||
	     op == 0x9d || op == 0xc8 || op == 0xc9 || (op == 0xff && (in->reg & 7) == 6)))
		return true;
	return (x86_insn_clobbers(in) >> X86_RSP) & 1;
}
