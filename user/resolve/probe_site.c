// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>

#include "resolve/probe_site.h"
#include "resolve/x86_decode.h"

#define MAX_SKIP 8 /* instructions looked at past the entry */

int probe_arg_reg(int slot)
{
	static const int regs[] = {X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_R9};

	return slot >= 1 && slot <= 6 ? regs[slot - 1] : -1;
}

static void describe(struct probe_site_choice *out, const uint8_t *code, int len)
{
	size_t pos = 0;

	out->insn[0] = '\0';
	for (int i = 0; i < len && pos + 4 < sizeof(out->insn); i++)
		pos += snprintf(out->insn + pos, sizeof(out->insn) - pos, "%s%02x", i ? " " : "",
				code[i]);
}

int probe_site_choose(const uint8_t *code, size_t n, uint64_t addr, unsigned int keep_regs,
		      struct probe_site_choice *out)
{
	struct x86_insn in;
	size_t pos = 0;
	int len;

	out->offset = 0;
	out->emulated = false;
	len = x86_decode(code, n, addr, &in);
	if (len <= 0)
		return -EINVAL;
	describe(out, code, len);
	if (x86_uprobe_emulated(&in)) {
		out->emulated = true;
		return 0;
	}
	for (int i = 0; i < MAX_SKIP; i++) {
		/* the instruction at pos runs before any later site: it must
		 * leave control flow, the stack and the kept registers alone */
		if (x86_changes_flow(&in) || x86_touches_rsp(&in) ||
		    (x86_insn_clobbers(&in) & keep_regs))
			return 0;
		pos += len;
		len = x86_decode(code + pos, n - pos, addr + pos, &in);
		if (len <= 0)
			return 0;
		if (x86_uprobe_emulated(&in)) {
			out->offset = pos;
			out->emulated = true;
			describe(out, code + pos, len);
			return 0;
		}
	}
	return 0;
}
