// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The x86-64 decoder: hand-checked encodings of the instructions the offset
 * rules match on, and a linear sweep over a real node binary compared with
 * objdump's instruction boundaries.
 */
#include <stdlib.h>

#include "resolve/elf_file.h"
#include "unit.h"
#include "resolve/x86_decode.h"

struct enc {
	const char *what;
	uint8_t bytes[15];
	int len;
	int map, opcode, base, index, reg;
	int32_t disp;
	bool mem;
};

void test_x86_decode__encodings(void)
{
	static const struct enc cases[] = {
		{"push %rbp", {0x55}, 1, 0, 0x55, -1, -1, -1, 0, false},
		{"push %r15", {0x41, 0x57}, 2, 0, 0x57, -1, -1, -1, 0, false},
		{"mov %rsp,%rbp", {0x48, 0x89, 0xe5}, 3, 0, 0x89, -1, -1, X86_RSP, 0, false},
		{"mov 0x30(%rdi),%eax",
		 {0x8b, 0x47, 0x30},
		 3,
		 0,
		 0x8b,
		 X86_RDI,
		 -1,
		 X86_RAX,
		 0x30,
		 true},
		{"mov 0xb0(%rax),%rax",
		 {0x48, 0x8b, 0x80, 0xb0, 0, 0, 0},
		 7,
		 0,
		 0x8b,
		 X86_RAX,
		 -1,
		 X86_RAX,
		 0xb0,
		 true},
		{"movsd 0x38(%rdi),%xmm0",
		 {0xf2, 0x0f, 0x10, 0x47, 0x38},
		 5,
		 1,
		 0x10,
		 X86_RDI,
		 -1,
		 0,
		 0x38,
		 true},
		{"movsd %xmm0,(%rcx,%r12,8)",
		 {0xf2, 0x42, 0x0f, 0x11, 0x04, 0xe1},
		 6,
		 1,
		 0x11,
		 X86_RCX,
		 X86_R12,
		 0,
		 0,
		 true},
		{"movdqu (%r8),%xmm2",
		 {0xf3, 0x41, 0x0f, 0x6f, 0x10},
		 5,
		 1,
		 0x6f,
		 X86_R8,
		 -1,
		 2,
		 0,
		 true},
		{"lea 0x3e8(%r12),%rdi",
		 {0x49, 0x8d, 0xbc, 0x24, 0xe8, 0x03, 0, 0},
		 8,
		 0,
		 0x8d,
		 X86_R12,
		 -1,
		 X86_RDI,
		 0x3e8,
		 true},
		{"movsd 0x1234(%rip),%xmm2",
		 {0xf2, 0x0f, 0x10, 0x15, 0x34, 0x12, 0, 0},
		 8,
		 1,
		 0x10,
		 X86_RIP,
		 -1,
		 2,
		 0x1234,
		 true},
		{"cmpb $0x0,0x24(%rdi)",
		 {0x80, 0x7f, 0x24, 0x00},
		 4,
		 0,
		 0x80,
		 X86_RDI,
		 -1,
		 7,
		 0x24,
		 true},
		{"movabs $imm64,%rax",
		 {0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8},
		 10,
		 0,
		 0xb8,
		 -1,
		 -1,
		 -1,
		 0,
		 false},
		{"movw $0x0,0x2a(%rdi)",
		 {0x66, 0xc7, 0x47, 0x2a, 0, 0},
		 6,
		 0,
		 0xc7,
		 X86_RDI,
		 -1,
		 0,
		 0x2a,
		 true},
		{"nopw 0x0(%rax,%rax,1)",
		 {0x66, 0x0f, 0x1f, 0x44, 0, 0},
		 6,
		 1,
		 0x1f,
		 X86_RAX,
		 X86_RAX,
		 0,
		 0,
		 true},
		{"vmovdqu (%rsi),%ymm0",
		 {0xc5, 0xfe, 0x6f, 0x06},
		 4,
		 1,
		 0x6f,
		 X86_RSI,
		 -1,
		 0,
		 0,
		 true},
		{"call rel32", {0xe8, 0x10, 0, 0, 0}, 5, 0, 0xe8, -1, -1, -1, 0, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct enc *c = &cases[i];
		struct x86_insn in;
		int len = x86_decode(c->bytes, sizeof(c->bytes), 0x1000, &in);

		if (!ASSERT_EQ(len, c->len, c->what))
			continue;
		ASSERT_EQ(in.map, c->map, c->what);
		ASSERT_EQ(in.opcode, c->opcode, c->what);
		ASSERT_EQ(in.mem, c->mem, c->what);
		if (c->mem) {
			ASSERT_EQ(in.base, c->base, c->what);
			ASSERT_EQ(in.index, c->index, c->what);
			ASSERT_EQ(in.disp, c->disp, c->what);
		}
		if (c->reg >= 0)
			ASSERT_EQ(in.reg, c->reg, c->what);
	}
}

void test_x86_decode__uprobe_emulation(void)
{
	static const struct {
		uint8_t bytes[8];
		bool emulated;
		const char *what;
	} cases[] = {
		{{0x55}, true, "push %rbp"},
		{{0x41, 0x57}, true, "push %r15"},
		{{0x0f, 0x1f, 0x44, 0, 0}, true, "nop5"},
		{{0xe9, 0, 0, 0, 0}, true, "jmp rel32"},
		{{0x80, 0x7f, 0x24, 0x00}, false, "cmpb (single-stepped)"},
		{{0xf3, 0x0f, 0x1e, 0xfa}, false, "endbr64"},
		{{0x48, 0x89, 0xe5}, false, "mov %rsp,%rbp"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct x86_insn in;

		if (ASSERT_TRUE(x86_decode(cases[i].bytes, 8, 0, &in) > 0, cases[i].what))
			ASSERT_EQ(x86_uprobe_emulated(&in), cases[i].emulated, cases[i].what);
	}
}

/* The forms one use of a 32-bit field takes, depending on the compiler. */
void test_x86_decode__reads_mem32(void)
{
	static const struct {
		uint8_t bytes[8];
		bool reads;
		const char *what;
	} cases[] = {
		{{0x8b, 0x47, 0x30}, true, "mov 0x30(%rdi),%eax"},
		{{0x48, 0x63, 0x47, 0x30}, true, "movslq 0x30(%rdi),%rax"},
		{{0x83, 0x7f, 0x30, 0x00}, true, "cmpl $0x0,0x30(%rdi) (clang, node 26)"},
		{{0x81, 0x7f, 0x30, 0x10, 0, 0, 0}, true, "cmpl $0x10,0x30(%rdi)"},
		{{0x3b, 0x47, 0x30}, true, "cmp 0x30(%rdi),%eax"},
		{{0x39, 0x47, 0x30}, true, "cmp %eax,0x30(%rdi)"},
		{{0x85, 0x47, 0x30}, true, "test %eax,0x30(%rdi)"},
		{{0xf7, 0x47, 0x30, 1, 0, 0, 0}, true, "testl $0x1,0x30(%rdi)"},
		{{0x48, 0x8b, 0x47, 0x30}, false, "mov 0x30(%rdi),%rax (64-bit)"},
		{{0x48, 0x83, 0x7f, 0x30, 0x00}, false, "cmpq $0x0,0x30(%rdi) (64-bit)"},
		{{0x66, 0x83, 0x7f, 0x30, 0x00}, false, "cmpw $0x0,0x30(%rdi) (16-bit)"},
		{{0x83, 0x47, 0x30, 0x01}, false, "addl $0x1,0x30(%rdi) (writes)"},
		{{0x89, 0x47, 0x30}, false, "mov %eax,0x30(%rdi) (a store)"},
		{{0x83, 0xf8, 0x00}, false, "cmp $0x0,%eax (no memory)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct x86_insn in;

		if (ASSERT_TRUE(x86_decode(cases[i].bytes, 8, 0, &in) > 0, cases[i].what))
			ASSERT_EQ(x86_reads_mem32(&in), cases[i].reads, cases[i].what);
	}
}

struct find_ctx {
	const char *name;
	uint64_t addr;
};

static int find_sym(const struct elf_sym *s, void *ctx)
{
	struct find_ctx *f = ctx;

	if (!strcmp(s->name, f->name)) {
		f->addr = s->addr;
		return 1;
	}
	return 0;
}

/* objdump is the oracle: same instruction starts over 256 KiB of node code. */
static void sweep_against_objdump(int major)
{
	const char *bin = unit_node_binary(major);
	struct find_ctx f = {.name = "_ZN4node10AsyncHooks17pop_async_contextEd"};
	const uint64_t span = 256 * 1024;
	uint64_t start, end, addr, want, nchecked = 0;
	struct elf_file *ef;
	uint8_t *code;
	char cmd[4096], line[512];
	FILE *p;

	if (!bin) {
		unit_skip("node binary not available (run make nodes)");
		return;
	}
	ef = elf_file__open(bin);
	if (!ASSERT_TRUE(ef != NULL, "open node"))
		return;
	elf_file__for_each_symbol(ef, find_sym, &f);
	if (!ASSERT_TRUE(f.addr != 0, "anchor symbol")) {
		elf_file__close(ef);
		return;
	}
	start = f.addr - span / 2;
	end = start + span;
	code = malloc(span + 16);
	if (!ASSERT_OK(elf_file__read(ef, start, code, span + 16), "read code")) {
		free(code);
		elf_file__close(ef);
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "objdump -d --no-show-raw-insn --start-address=0x%llx --stop-address=0x%llx '%s'",
		 (unsigned long long)start, (unsigned long long)end, bin);
	p = popen(cmd, "r");
	if (!p) {
		unit_skip("objdump not available");
		goto out;
	}
	addr = start;
	while (fgets(line, sizeof(line), p)) {
		struct x86_insn in;
		char *colon;
		int len;

		/* instruction lines: "  ec0560:\tpush   %rbp" */
		if (line[0] != ' ' || !(colon = strchr(line, ':')) || colon[1] != '\t')
			continue;
		want = strtoull(line, NULL, 16);
		if (strstr(colon, "(bad)"))
			break; /* objdump lost sync in data; stop comparing there */
		if (want != addr) {
			UNIT_FAIL("node %d: decoder at 0x%llx, objdump at 0x%llx", major,
				  (unsigned long long)addr, (unsigned long long)want);
			break;
		}
		len = x86_decode(code + (addr - start), span + 16 - (addr - start), addr, &in);
		if (len <= 0) {
			UNIT_FAIL("node %d: cannot decode at 0x%llx: %s", major,
				  (unsigned long long)addr, colon + 2);
			break;
		}
		addr += len;
		nchecked++;
	}
	pclose(p);
	ASSERT_TRUE(nchecked > 20000, "compared enough instructions");
	if (unit_verbose)
		printf("  node %d: %llu instructions agree with objdump\n", major,
		       (unsigned long long)nchecked);
out:
	free(code);
	elf_file__close(ef);
}

void test_x86_decode__objdump_node20(void)
{
	sweep_against_objdump(20);
}

void test_x86_decode__objdump_node24(void)
{
	sweep_against_objdump(24);
}
