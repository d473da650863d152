// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Derives the node layer's probe sites and struct offsets from a node
 * binary (see resolve_node.h). The rules, and the builds they were checked
 * on, are described in docs/internals.md "How offsets are found".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve/elf_file.h"
#include "resolve/resolve_node.h"
#include "resolve/x86_decode.h"

#define SYM_TRACE_ASYNC_START "_ZNK4node9AsyncWrap19EmitTraceAsyncStartEv"
#define SYM_ASYNC_RESET	      "_ZN4node9AsyncWrap10AsyncResetEN2v85LocalINS1_6ObjectEEEd"
/* static EmitAsyncInit(Environment*, Local<Object>, Local<String>, double, double) */
#define SYM_EMIT_ASYNC_INIT                                                                 \
	"_ZN4node9AsyncWrap13EmitAsyncInitEPNS_11EnvironmentEN2v85LocalINS3_6ObjectEEENS4_" \
	"INS3_6StringEEEdd"
#define SYM_WRAP_CTOR_C1 \
	"_ZN4node9AsyncWrapC1EPNS_11EnvironmentEN2v85LocalINS3_6ObjectEEENS0_12ProviderTypeEd"
#define SYM_WRAP_CTOR_C2 \
	"_ZN4node9AsyncWrapC2EPNS_11EnvironmentEN2v85LocalINS3_6ObjectEEENS0_12ProviderTypeEd"
/* InternalCallbackScope(Environment*, ...): the rest of the signature drifts */
#define SYM_SCOPE_ENV_C1   "_ZN4node21InternalCallbackScopeC1EPNS_11Environment"
#define SYM_SCOPE_ENV_C2   "_ZN4node21InternalCallbackScopeC2EPNS_11Environment"
#define SYM_SCOPE_WRAP_C1  "_ZN4node21InternalCallbackScopeC1EPNS_9AsyncWrapEi"
#define SYM_SCOPE_WRAP_C2  "_ZN4node21InternalCallbackScopeC2EPNS_9AsyncWrapEi"
#define SYM_PUSH_CONTEXT   "_ZN4node10AsyncHooks18push_async_contextEdd"
#define SYM_POP_CONTEXT	   "_ZN4node10AsyncHooks17pop_async_contextEd"
#define SYM_WRAP_DTOR_D1   "_ZN4node9AsyncWrapD1Ev"
#define SYM_WRAP_DTOR_D2   "_ZN4node9AsyncWrapD2Ev"
#define SYM_EMIT_DESTROY   "_ZN4node9AsyncWrap11EmitDestroyEb"
#define SYM_PROVIDER_NAMES "_ZN4nodeL14provider_namesE"
#define SYM_ENV_CLEANUP	   "_ZN4node11Environment10RunCleanupEv"
#define SYM_ENV_STOP	   "_ZN4node11Environment7ExitEnvENS_9StopFlags5FlagsE"
#define SYM_ENV_EXIT	   "_ZN4node11Environment4ExitENS_8ExitCodeE"
#define SYM_IMMEDIATES	   "_ZN4node11Environment27RunAndClearNativeImmediatesEb"
#define SYM_RUN_MICROTASKS "_ZN2v88internal14MicrotaskQueue13RunMicrotasksEPNS0_7IsolateE"
/* what RunMicrotasks calls only when the queue is not empty */
#define SYM_TRY_RUN_MICROTASKS \
	"_ZN2v88internal9Execution16TryRunMicrotasksEPNS0_7IsolateEPNS0_14MicrotaskQueueE"
/* the offset V8's RunMicrotasks builtin uses (a constant in .rodata, .symtab only) */
#define SYM_MQ_FINISHED_OFFSET "_ZN2v88internal14MicrotaskQueue29kFinishedMicrotaskCountOffsetE"
#define SYM_PROMISE_REJECT     "_ZN4node21PromiseRejectCallbackEN2v820PromiseRejectMessageE"
#define SYM_GET_PROVIDER \
	"_ZN4node9AsyncWrap15GetProviderTypeERKN2v820FunctionCallbackInfoINS1_5ValueEEE"
#define SYM_GET_ASYNC_ID "_ZN4node9AsyncWrap10GetAsyncIdERKN2v820FunctionCallbackInfoINS1_5ValueEEE"

/* The largest plausible offset of any field we derive. */
#define MAX_FIELD_OFFSET 0x4000

struct found_sym {
	char name[256];
	uint64_t addr, size;
	bool found;
};

enum found_idx {
	F_TRACE_ASYNC_START,
	F_ASYNC_RESET,
	F_EMIT_ASYNC_INIT,
	F_WRAP_CTOR,
	F_SCOPE_ENV,
	F_SCOPE_WRAP,
	F_PUSH_CONTEXT,
	F_POP_CONTEXT,
	F_WRAP_DTOR,
	F_EMIT_DESTROY,
	F_PROVIDER_NAMES,
	F_RUN_MICROTASKS,
	F_TRY_RUN_MICROTASKS,
	F_GET_PROVIDER,
	F_GET_ASYNC_ID,
	F_MQ_FINISHED_OFFSET,
	F_PROMISE_REJECT,
	F_ENV_CLEANUP,
	F_ENV_STOP,
	F_ENV_EXIT,
	F_IMMEDIATES,
	F_COUNT,
};

struct sym_scan {
	struct found_sym f[F_COUNT];
	int node_symbols; /* any _ZN4node9AsyncWrap symbol at all */
	/* every AsyncWrap constructor (C1 and C2 are often one function) */
	struct found_sym ctors[2 * NODE_MAX_CTORS];
	int nctors;
};

static void keep(struct found_sym *f, const struct elf_sym *s)
{
	if (f->found)
		return;
	snprintf(f->name, sizeof(f->name), "%s", s->name);
	f->addr = s->addr;
	f->size = s->size;
	f->found = true;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int scan_symbol(const struct elf_sym *s, void *ctx)
{
	struct sym_scan *sc = ctx;
	const char *n = s->name;

	if (has_prefix(n, "_ZN4node9AsyncWrap"))
		sc->node_symbols++;
	if (!s->is_func) {
		if (!strcmp(n, SYM_PROVIDER_NAMES))
			keep(&sc->f[F_PROVIDER_NAMES], s);
		else if (!strcmp(n, SYM_MQ_FINISHED_OFFSET))
			keep(&sc->f[F_MQ_FINISHED_OFFSET], s);
		return 0;
	}
	if (strchr(n, '.'))
		return 0; /* .cold / .part clones are not entry points */
	if ((has_prefix(n, "_ZN4node9AsyncWrapC1E") || has_prefix(n, "_ZN4node9AsyncWrapC2E")) &&
	    sc->nctors < 2 * NODE_MAX_CTORS) {
		bool seen = false;

		for (int i = 0; i < sc->nctors; i++)
			seen |= sc->ctors[i].addr == s->addr;
		if (!seen)
			keep(&sc->ctors[sc->nctors++], s);
	}
	if (!strcmp(n, SYM_TRACE_ASYNC_START))
		keep(&sc->f[F_TRACE_ASYNC_START], s);
	else if (has_prefix(n, SYM_ASYNC_RESET) && (!strcmp(n + strlen(SYM_ASYNC_RESET), "") ||
						    !strcmp(n + strlen(SYM_ASYNC_RESET), "b")))
		keep(&sc->f[F_ASYNC_RESET], s);
	else if (!strcmp(n, SYM_EMIT_ASYNC_INIT))
		keep(&sc->f[F_EMIT_ASYNC_INIT], s);
	else if (!strcmp(n, SYM_WRAP_CTOR_C1) || !strcmp(n, SYM_WRAP_CTOR_C2))
		keep(&sc->f[F_WRAP_CTOR], s);
	else if (has_prefix(n, SYM_SCOPE_ENV_C1) || has_prefix(n, SYM_SCOPE_ENV_C2))
		keep(&sc->f[F_SCOPE_ENV], s);
	else if (!strcmp(n, SYM_SCOPE_WRAP_C1) || !strcmp(n, SYM_SCOPE_WRAP_C2))
		keep(&sc->f[F_SCOPE_WRAP], s);
	else if (has_prefix(n, SYM_PUSH_CONTEXT))
		keep(&sc->f[F_PUSH_CONTEXT], s);
	else if (!strcmp(n, SYM_POP_CONTEXT))
		keep(&sc->f[F_POP_CONTEXT], s);
	else if (!strcmp(n, SYM_WRAP_DTOR_D1) || !strcmp(n, SYM_WRAP_DTOR_D2))
		keep(&sc->f[F_WRAP_DTOR], s);
	else if (!strcmp(n, SYM_EMIT_DESTROY))
		keep(&sc->f[F_EMIT_DESTROY], s);
	else if (!strcmp(n, SYM_RUN_MICROTASKS))
		keep(&sc->f[F_RUN_MICROTASKS], s);
	else if (!strcmp(n, SYM_TRY_RUN_MICROTASKS))
		keep(&sc->f[F_TRY_RUN_MICROTASKS], s);
	else if (!strcmp(n, SYM_PROMISE_REJECT))
		keep(&sc->f[F_PROMISE_REJECT], s);
	else if (!strcmp(n, SYM_GET_PROVIDER))
		keep(&sc->f[F_GET_PROVIDER], s);
	else if (!strcmp(n, SYM_GET_ASYNC_ID))
		keep(&sc->f[F_GET_ASYNC_ID], s);
	else if (!strcmp(n, SYM_ENV_CLEANUP))
		keep(&sc->f[F_ENV_CLEANUP], s);
	else if (!strcmp(n, SYM_ENV_STOP))
		keep(&sc->f[F_ENV_STOP], s);
	else if (!strcmp(n, SYM_ENV_EXIT))
		keep(&sc->f[F_ENV_EXIT], s);
	else if (!strcmp(n, SYM_IMMEDIATES))
		keep(&sc->f[F_IMMEDIATES], s);
	return 0;
}

/* ---- decoded functions -------------------------------------------------- */

struct func {
	struct x86_insn *insns;
	int n;
};

static void func_free(struct func *f)
{
	free(f->insns);
	f->insns = NULL;
	f->n = 0;
}

/* Decodes [addr, addr+size) in order; stops at the first unknown encoding. */
static int func_load(struct elf_file *ef, const struct found_sym *s, struct func *f)
{
	uint8_t *code;
	size_t pos = 0;
	int err = 0;

	f->n = 0;
	f->insns = NULL;
	if (!s->found || !s->size || s->size > (1 << 20))
		return -ENOENT;
	code = malloc(s->size);
	f->insns = calloc(s->size, sizeof(*f->insns));
	if (!code || !f->insns) {
		err = -ENOMEM;
		goto out;
	}
	if ((err = elf_file__read(ef, s->addr, code, s->size)))
		goto out;
	while (pos < s->size) {
		int len = x86_decode(code + pos, s->size - pos, s->addr + pos, &f->insns[f->n]);

		if (len <= 0)
			break;
		f->n++;
		pos += len;
	}
	if (f->n == 0)
		err = -ENOTSUP;
out:
	free(code);
	if (err)
		func_free(f);
	return err;
}

static const int arg_regs[] = {X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_R9};

static int arg_slot_of_reg(int reg)
{
	for (int i = 0; i < 6; i++)
		if (arg_regs[i] == reg)
			return i + 1;
	return 0;
}

static bool is_load64(const struct x86_insn *in)
{
	return in->map == X86_MAP_1BYTE && in->opcode == 0x8b && in->rex_w && in->mem &&
	       in->index == X86_NOREG && in->base >= 0;
}

static bool is_reg_copy64(const struct x86_insn *in, int *dst, int *src)
{
	if (in->map != X86_MAP_1BYTE || !in->rex_w || in->mem || in->mod != 3)
		return false;
	if (in->opcode == 0x89) {
		*dst = in->rm;
		*src = in->reg;
		return true;
	}
	if (in->opcode == 0x8b) {
		*dst = in->reg;
		*src = in->rm;
		return true;
	}
	return false;
}

/* SSE scalar-double op (F2 0F xx) on memory. */
static bool is_sd_mem(const struct x86_insn *in)
{
	return in->map == X86_MAP_0F && (in->prefixes & X86_PFX_F2) && in->mem &&
	       !(in->prefixes & X86_PFX_VEX);
}

static bool is_movsd_load(const struct x86_insn *in)
{
	return is_sd_mem(in) && in->opcode == 0x10;
}

static bool is_movsd_store(const struct x86_insn *in)
{
	return is_sd_mem(in) && in->opcode == 0x11;
}

/*
 * Follows chains of pointer loads that start at a function's `this`:
 * level[r] = 1 means r holds this, 2 means *(this+off[r][0]), and so on.
 */
#define CHAIN_MAX 4

struct chains {
	int level[16];
	uint32_t off[16][CHAIN_MAX];
};

static void chains_init(struct chains *c, int this_reg)
{
	memset(c, 0, sizeof(*c));
	c->level[this_reg] = 1;
}

static void chains_step(struct chains *c, const struct x86_insn *in)
{
	int dst, src;

	if (is_reg_copy64(in, &dst, &src)) {
		c->level[dst] = c->level[src];
		memcpy(c->off[dst], c->off[src], sizeof(c->off[dst]));
		return;
	}
	if (is_load64(in)) {
		int b = in->base, lvl = c->level[b];

		dst = in->reg;
		if (lvl >= 1 && lvl < CHAIN_MAX + 1 && in->disp >= 0 &&
		    in->disp < MAX_FIELD_OFFSET) {
			uint32_t offs[CHAIN_MAX];

			memcpy(offs, c->off[b], sizeof(offs));
			offs[lvl - 1] = in->disp;
			memcpy(c->off[dst], offs, sizeof(offs));
			c->level[dst] = lvl + 1;
		} else {
			c->level[dst] = 0;
		}
		return;
	}
	for (int r = 0; r < 16; r++)
		if (x86_insn_clobbers(in) & (1u << r))
			c->level[r] = 0;
}

static bool calls(const struct x86_insn *in, uint64_t target)
{
	return x86_is_call_rel32(in) && x86_branch_target(in) == target;
}

/* ---- the rules ---------------------------------------------------------- */

struct derive {
	struct elf_file *ef;
	struct sym_scan sc;
	struct node_layout *out;
};

static int fail(struct derive *d, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->out->error, sizeof(d->out->error), fmt, ap);
	va_end(ap);
	return err;
}

/* First `movsd OFF(this),%xmm` in a member function. */
static int first_double_field(const struct func *f, int32_t *off)
{
	struct chains c;

	chains_init(&c, X86_RDI);
	for (int i = 0; i < f->n; i++) {
		const struct x86_insn *in = &f->insns[i];

		if (is_movsd_load(in) && in->base >= 0 && c.level[in->base] == 1 &&
		    in->index == X86_NOREG) {
			*off = in->disp;
			return 0;
		}
		chains_step(&c, in);
	}
	return -ENOENT;
}

/* Rule: AsyncWrap::async_id_ is the first double AsyncReset reads from this
 * (the old id, checked against -1); EmitDestroy(bool) must read the same. */
static int derive_async_id(struct derive *d, const struct func *reset, const struct func *emit)
{
	int32_t a, b;

	if (first_double_field(reset, &a))
		return fail(d, -ENOTSUP, "AsyncReset: no double read from this (async_id_)");
	if (first_double_field(emit, &b))
		return fail(d, -ENOTSUP, "EmitDestroy(bool): no double read from this (async_id_)");
	if (a != b || a <= 0 || a % 8)
		return fail(d, -EPROTO,
			    "async_id_ offset disagrees: AsyncReset 0x%x, EmitDestroy 0x%x", a, b);
	d->out->off.wrap_async_id = a;
	return 0;
}

/* A 32-bit store to memory, from a register or of an immediate. */
static bool is_store32(const struct x86_insn *in)
{
	return in->map == X86_MAP_1BYTE && in->mem && !in->rex_w &&
	       !(in->prefixes & (X86_PFX_66 | X86_PFX_VEX)) &&
	       (in->opcode == 0x89 || (in->opcode == 0xc7 && (in->reg & 7) == 0));
}

/* Rule: provider_type_ is what the AsyncWrap constructor stores as a 32-bit
 * value last before calling AsyncReset, and the first 32-bit field AsyncReset
 * reads (CHECK_NE(provider_type(), PROVIDER_NONE)), whether the compiler
 * loads it and tests the register (gcc) or compares it in memory (clang's
 * `cmpl $0x0,OFF(%rdi)` on node 26). */
static int derive_provider(struct derive *d, const struct func *ctor, const struct func *reset)
{
	uint64_t reset_addr = d->sc.f[F_ASYNC_RESET].addr;
	int32_t from_ctor = -1, from_reset = -1;
	struct chains c;

	chains_init(&c, X86_RDI);
	for (int i = 0; i < ctor->n; i++) {
		const struct x86_insn *in = &ctor->insns[i];

		if (calls(in, reset_addr))
			break;
		if (is_store32(in) && in->base >= 0 && c.level[in->base] == 1)
			from_ctor = in->disp;
		chains_step(&c, in);
	}
	chains_init(&c, X86_RDI);
	for (int i = 0; i < reset->n; i++) {
		const struct x86_insn *in = &reset->insns[i];

		if (x86_reads_mem32(in) && in->base >= 0 && c.level[in->base] == 1) {
			from_reset = in->disp;
			break;
		}
		chains_step(&c, in);
	}
	if (from_ctor < 0 || from_reset < 0)
		return fail(d, -ENOTSUP,
			    "provider_type_: pattern not found (ctor %d, AsyncReset %d)", from_ctor,
			    from_reset);
	if (from_ctor != from_reset || from_ctor % 4)
		return fail(d, -EPROTO, "provider_type_ disagrees: ctor 0x%x, AsyncReset 0x%x",
			    from_ctor, from_reset);
	d->out->off.wrap_provider = from_ctor;
	return 0;
}

/* Rule: AsyncReset bumps the id counter, async_id_fields[kAsyncIdCounter]
 * (+0x10), through this->realm_->env_->(async_id_fields data): the first
 * three-load chain from this that ends in a double access at +0x10. */
static int derive_env_chain(struct derive *d, const struct func *reset, const struct func *emit)
{
	const uint32_t counter_off = 2 * sizeof(double);
	uint32_t realm = 0, env = 0;
	struct chains c;
	bool found = false;

	chains_init(&c, X86_RDI);
	for (int i = 0; i < reset->n && !found; i++) {
		const struct x86_insn *in = &reset->insns[i];

		if (is_sd_mem(in) && in->base >= 0 && c.level[in->base] == 4 &&
		    in->index == X86_NOREG && (uint32_t)in->disp == counter_off) {
			d->out->off.wrap_realm = c.off[in->base][0];
			d->out->off.realm_env = c.off[in->base][1];
			d->out->env_id_fields = c.off[in->base][2];
			found = true;
		}
		chains_step(&c, in);
	}
	if (!found)
		return fail(d, -ENOTSUP, "AsyncReset: no this->realm->env->id_fields chain");
	/* EmitDestroy(bool) reaches env the same way: this->realm_->env_ */
	chains_init(&c, X86_RDI);
	for (int i = 0; i < emit->n; i++) {
		const struct x86_insn *in = &emit->insns[i];

		chains_step(&c, in);
		if (is_load64(in) && c.level[in->reg] == 3) {
			realm = c.off[in->reg][0];
			env = c.off[in->reg][1];
			break;
		}
	}
	if (realm != d->out->off.wrap_realm || env != d->out->off.realm_env)
		return fail(
			d, -EPROTO,
			"realm/env offsets disagree: AsyncReset 0x%x/0x%x, EmitDestroy 0x%x/0x%x",
			d->out->off.wrap_realm, d->out->off.realm_env, realm, env);
	return 0;
}

/* Rule: in InternalCallbackScope(Environment*, ...), the async_context& is the
 * source of the first unaligned 16-byte load (both ids at once), and
 * &env->async_hooks_ is the `lea OFF(env),%rdi` before push_async_context. */
static int derive_scope(struct derive *d, const struct func *scope)
{
	uint64_t push = d->sc.f[F_PUSH_CONTEXT].addr;
	int32_t hooks = -1;
	int ctx_slot = 0;

	for (int i = 0; i < scope->n; i++) {
		const struct x86_insn *in = &scope->insns[i];
		bool load16 = in->map == X86_MAP_0F && in->mem && in->disp == 0 &&
			      in->index == X86_NOREG &&
			      ((in->opcode == 0x6f && (in->prefixes & X86_PFX_F3)) ||
			       (in->opcode == 0x10 && !(in->prefixes & (X86_PFX_F2 | X86_PFX_F3))));

		if (!ctx_slot && load16)
			ctx_slot = arg_slot_of_reg(in->base);
		if (in->map == X86_MAP_1BYTE && in->opcode == 0x8d && in->rex_w && in->mem &&
		    in->reg == X86_RDI && in->base >= 0 && in->index == X86_NOREG)
			hooks = in->disp;
		if (calls(in, push))
			break;
		if (i == scope->n - 1)
			hooks = -1; /* never reached the push */
	}
	if (ctx_slot < 3)
		return fail(d, -ENOTSUP,
			    "InternalCallbackScope: async_context& argument not found");
	if (hooks <= 0 || hooks > MAX_FIELD_OFFSET)
		return fail(d, -ENOTSUP,
			    "InternalCallbackScope: &env->async_hooks_ before push_async_context "
			    "not found");
	/* The mangled name says the first parameter is Environment*: slot 2,
	 * and the resource object comes next */
	d->out->off.ics_env_arg = 2;
	d->out->off.ics_obj_arg = 3;
	d->out->off.ics_ctx_arg = ctx_slot;
	d->out->off.env_async_hooks = hooks;
	return 0;
}

/* this-relative pointer loads in an AsyncHooks member, and how they are used. */
struct hooks_uses {
	int32_t fields, stack_len, id_fields_store, id_fields_load, stack_store, stack_load;
};

static void scan_hooks_member(const struct func *f, struct hooks_uses *u)
{
	struct chains c;

	memset(u, 0xff, sizeof(*u)); /* all -1 */
	chains_init(&c, X86_RDI);
	for (int i = 0; i < f->n; i++) {
		const struct x86_insn *in = &f->insns[i];
		int b = in->base;

		if (in->mem && b >= 0 && c.level[b] == 2) {
			int32_t field = c.off[b][0];

			/* 32-bit read of fields_: the first is kStackLength in pop */
			if (x86_reads_mem32(in) && u->fields < 0) {
				u->fields = field;
				u->stack_len = in->disp;
			}
			if (is_movsd_store(in) && in->index == X86_NOREG && in->disp == 0 &&
			    u->id_fields_store < 0)
				u->id_fields_store = field;
			if (is_movsd_load(in) && in->index == X86_NOREG && in->disp == 0 &&
			    u->id_fields_load < 0)
				u->id_fields_load = field;
			if (is_movsd_store(in) && in->index != X86_NOREG && u->stack_store < 0)
				u->stack_store = field;
			if (is_movsd_load(in) && in->index != X86_NOREG && u->stack_load < 0)
				u->stack_load = field;
		}
		chains_step(&c, in);
	}
}

/* Rule: pop_async_context first reads fields_[kStackLength] (32-bit), restores
 * async_id_fields[0] with a store at +0 and reads the stack with an index;
 * push_async_context does the mirror image. Both must agree. */
static int derive_hooks(struct derive *d, const struct func *pop, const struct func *push)
{
	struct hooks_uses p, q;

	scan_hooks_member(pop, &p);
	scan_hooks_member(push, &q);
	if (p.fields < 0 || p.stack_len < 0 || p.id_fields_store < 0 || p.stack_load < 0)
		return fail(
			d, -ENOTSUP,
			"pop_async_context: fields/id_fields/stack pattern not found (%d %d %d %d)",
			p.fields, p.stack_len, p.id_fields_store, p.stack_load);
	if (q.id_fields_load != p.id_fields_store || q.stack_store != p.stack_load)
		return fail(d, -EPROTO,
			    "AsyncHooks offsets disagree: pop id_fields 0x%x stack 0x%x, push 0x%x "
			    "0x%x",
			    p.id_fields_store, p.stack_load, q.id_fields_load, q.stack_store);
	if (p.stack_len % 4)
		return fail(d, -EPROTO, "fields_[kStackLength] at odd offset 0x%x", p.stack_len);
	d->out->off.hooks_fields = p.fields;
	d->out->off.fields_stack_len = p.stack_len;
	d->out->off.hooks_id_fields = p.id_fields_store;
	d->out->off.hooks_stack = p.stack_load;
	return 0;
}

static bool func_calls(const struct func *f, uint64_t target)
{
	for (int i = 0; i < f->n; i++)
		if (calls(&f->insns[i], target))
			return true;
	return false;
}

/* Whether f calls target or jumps to it (a tail call). */
static bool func_reaches(const struct func *f, uint64_t target)
{
	for (int i = 0; i < f->n; i++)
		if (calls(&f->insns[i], target) ||
		    (x86_is_jmp_rel(&f->insns[i]) && x86_branch_target(&f->insns[i]) == target))
			return true;
	return false;
}

/*
 * In an AsyncWrap JS binding (f, which unwraps args.This() inline), the
 * field reached from the BaseObject* the wrap's JS object holds: a 64-bit
 * load at an odd displacement (V8 pointers are tagged: slot - 1) whose
 * result is the base of a load at want (32-bit, or a double when sd).
 * Returns the slot's offset from the object's start, or -1.
 */
static int32_t unwrap_slot(const struct func *f, int32_t want, bool sd)
{
	int32_t cand[16];

	memset(cand, 0xff, sizeof(cand));
	for (int i = 0; i < f->n; i++) {
		const struct x86_insn *in = &f->insns[i];
		bool load32 = x86_reads_mem32(in) && in->index == X86_NOREG;

		if (in->mem && in->base >= 0 && cand[in->base] >= 0 && in->disp == want &&
		    (sd ? is_movsd_load(in) : load32))
			return cand[in->base] + 1;
		if (is_load64(in) && (in->disp & 1) && in->disp > 0 && in->disp < 0x100) {
			cand[in->reg] = in->disp;
			continue;
		}
		for (int r = 0; r < 16; r++)
			if (x86_insn_clobbers(in) & (1u << r))
				cand[r] = -1;
	}
	return -1;
}

/*
 * Rule (optional): AsyncWrap::GetProviderType unwraps the JS object it is
 * called on and reads provider_type_ from the AsyncWrap it holds;
 * GetAsyncId does the same and reads async_id_: both must use the same
 * embedder slot. With it, a callback of a resource whose init was not seen
 * is still typed (the probe checks the ids it finds there); without it,
 * such callbacks count as "unknown".
 */
static void derive_obj_slot(struct derive *d)
{
	struct func prov = {0}, id = {0};
	int32_t a = -1, b = -1;

	if (!func_load(d->ef, &d->sc.f[F_GET_PROVIDER], &prov) &&
	    !func_load(d->ef, &d->sc.f[F_GET_ASYNC_ID], &id)) {
		a = unwrap_slot(&prov, d->out->off.wrap_provider, false);
		b = unwrap_slot(&id, d->out->off.wrap_async_id, true);
	}
	if (a > 0 && a == b && !(a % 8))
		d->out->off.obj_base_slot = a;
	func_free(&prov);
	func_free(&id);
}

/*
 * Rule (optional): the AsyncWrap constructors that call AsyncReset, where
 * the probe can see an init's caller: AsyncReset's entry (its return
 * address on the stack), or EmitTraceAsyncStart's when AsyncReset keeps a
 * frame pointer (push %rbp; mov %rsp,%rbp): then the return address of
 * AsyncReset is at 8(%rbp). Without it, a stale live-wrap entry (a wrap
 * freed unseen, its address reused) would count a destroy that did not
 * happen then.
 */
static void derive_ctors(struct derive *d, const struct func *reset, bool at_reset_entry)
{
	uint64_t reset_addr = d->sc.f[F_ASYNC_RESET].addr;
	struct node_offsets *o = &d->out->off;

	if (!at_reset_entry &&
	    (reset->n < 2 || reset->insns[0].len != 1 || reset->insns[0].opcode != 0x55 ||
	     reset->insns[1].opcode != 0x89 || !reset->insns[1].rex_w ||
	     reset->insns[1].reg != X86_RSP || reset->insns[1].rm != X86_RBP))
		return;
	for (int i = 0; i < d->sc.nctors && o->nctors < NODE_MAX_CTORS; i++) {
		struct func ctor = {0};

		if (func_load(d->ef, &d->sc.ctors[i], &ctor))
			continue;
		if (func_calls(&ctor, reset_addr)) {
			o->ctor_lo[o->nctors] = d->sc.ctors[i].addr;
			o->ctor_len[o->nctors++] = d->sc.ctors[i].size;
		}
		func_free(&ctor);
	}
}

static int read_provider_names(struct derive *d)
{
	const struct found_sym *s = &d->sc.f[F_PROVIDER_NAMES];
	struct node_layout *l = d->out;
	int n;

	if (!s->found)
		return fail(d, -ENOTSUP,
			    "node::provider_names not found (binary stripped of .symtab?)");
	n = s->size / sizeof(uint64_t);
	if (n < 2 || n > NODE_MAX_PROVIDERS)
		return fail(d, -EPROTO, "provider_names has %d entries", n);
	for (int i = 0; i < n; i++) {
		uint64_t ptr;
		char *name = l->providers[i];

		if (elf_file__read_ptr(d->ef, s->addr + 8 * i, &ptr) ||
		    elf_file__read_str(d->ef, ptr, name, NODE_PROVIDER_NAME_MAX))
			return fail(d, -EPROTO, "provider_names[%d] unreadable", i);
		for (const char *p = name; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
				return fail(d, -EPROTO,
					    "provider_names[%d] = \"%s\" is not a provider", i,
					    name);
	}
	if (strcmp(l->providers[0], "NONE"))
		return fail(d, -EPROTO, "provider_names[0] is \"%s\", not NONE", l->providers[0]);
	l->nproviders = n;
	return 0;
}

static int set_site(struct derive *d, enum node_site_role role, enum found_idx idx)
{
	const struct found_sym *s = &d->sc.f[idx];
	struct node_site *site = &d->out->sites[role];
	uint8_t code[16];

	if (!s->found)
		return fail(d, -ENOTSUP, "symbol for %s not found", node_site_role_name(role));
	snprintf(site->symbol, sizeof(site->symbol), "%s", s->name);
	site->addr = s->addr;
	site->size = s->size;
	if (elf_file__vaddr_to_offset(d->ef, s->addr, &site->file_off))
		return fail(d, -EPROTO, "%s at 0x%llx is outside any PT_LOAD segment", s->name,
			    (unsigned long long)s->addr);
	if (elf_file__read(d->ef, s->addr, code, sizeof(code)))
		return fail(d, -EPROTO, "cannot read code of %s", s->name);
	node_site__describe_code(site, code, sizeof(code));
	site->used = true;
	return 0;
}

void node_site__describe_code(struct node_site *site, const uint8_t *code, size_t n)
{
	struct x86_insn in;
	int len = x86_decode(code, n, 0, &in);
	size_t pos = 0;

	site->emulated = len > 0 && x86_uprobe_emulated(&in);
	site->first_insn[0] = '\0';
	for (int i = 0; i < (len > 0 ? len : 1) && pos + 4 < sizeof(site->first_insn); i++)
		pos += snprintf(site->first_insn + pos, sizeof(site->first_insn) - pos, "%s%02x",
				i ? " " : "", code[i]);
}

/*
 * Where microtask runs are marked: Execution::TryRunMicrotasks, which
 * MicrotaskQueue::RunMicrotasks calls only when the queue holds something,
 * so an empty checkpoint (most of them: one per callback scope) costs no
 * probe hit; RunMicrotasks itself where the call is not found in its code.
 */
static enum found_idx microtask_site(struct elf_file *ef, const struct sym_scan *sc)
{
	const struct found_sym *try_run = &sc->f[F_TRY_RUN_MICROTASKS];
	struct func run = {0};
	bool calls_try = false;

	if (try_run->found && !func_load(ef, &sc->f[F_RUN_MICROTASKS], &run))
		calls_try = func_calls(&run, try_run->addr);
	func_free(&run);
	return calls_try ? F_TRY_RUN_MICROTASKS : F_RUN_MICROTASKS;
}

/*
 * Rule (optional): MicrotaskQueue::RunMicrotasks(this) reports how many
 * microtasks a run did as finished_microtask_count_ after the run minus
 * before it, so right after its call to Execution::TryRunMicrotasks, to
 * which it hands `this` as the queue (%rsi), its first load from `this` is
 * that counter. Cross-checks: the same field is read from `this` before the
 * call (the base count), and V8's constant kFinishedMicrotaskCountOffset
 * (what its RunMicrotasks builtin increments), where the symbol is present,
 * holds the same value. Without it runs are marked but not counted.
 */
static void derive_microtask_counter(struct derive *d)
{
	const struct found_sym *try_run = &d->sc.f[F_TRY_RUN_MICROTASKS];
	const struct found_sym *konst = &d->sc.f[F_MQ_FINISHED_OFFSET];
	struct node_layout *l = d->out;
	int32_t off = -1, before[8];
	int nbefore = 0, call = -1;
	struct func run = {0};
	struct chains c;
	uint64_t k;

	if (!l->sites[SITE_MICROTASKS].used || l->sites[SITE_MICROTASKS].addr != try_run->addr ||
	    func_load(d->ef, &d->sc.f[F_RUN_MICROTASKS], &run))
		goto out;
	chains_init(&c, X86_RDI);
	for (int i = 0; i < run.n && off < 0; i++) {
		const struct x86_insn *in = &run.insns[i];
		/* a plain load (mov, 64 or 32 bits: the count is cast to int) */
		bool load = in->map == X86_MAP_1BYTE && in->opcode == 0x8b && in->mem &&
			    in->base >= 0 && in->index == X86_NOREG && c.level[in->base] == 1 &&
			    !(in->prefixes & X86_PFX_66);

		if (calls(in, try_run->addr)) {
			if (call >= 0 || c.level[X86_RSI] != 1)
				goto out; /* the queue handed over is not this, or two calls */
			call = i;
		} else if (load && call < 0 && nbefore < 8) {
			before[nbefore++] = in->disp;
		} else if (load && call >= 0) {
			off = in->disp;
		}
		chains_step(&c, in);
	}
	if (off <= 0 || off >= 0x100 || off % 8)
		goto out;
	for (int i = 0; i < nbefore; i++)
		if (before[i] == off)
			goto read_before;
	goto out;
read_before:
	if (konst->found &&
	    (konst->size != 8 || elf_file__read(d->ef, konst->addr, &k, sizeof(k)) ||
	     k != (uint64_t)off))
		goto out;
	l->off.mq_arg = 2; /* TryRunMicrotasks(Isolate*, MicrotaskQueue*) */
	l->off.mq_finished = off;
out:
	func_free(&run);
}

/* A 32-bit `mov OFF(%rbp),%r32`, or (wide) a 64-bit one, of a stack argument. */
static bool frame_arg_load(const struct x86_insn *in, bool wide)
{
	return in->map == X86_MAP_1BYTE && in->opcode == 0x8b && in->mem && in->base == X86_RBP &&
	       in->index == X86_NOREG && in->disp >= 0x10 && in->disp < 0x100 &&
	       in->rex_w == wide && !(in->prefixes & X86_PFX_66);
}

/* `test %r,%r` or `cmp $0..3,%r32` on a register of the set: a test of a
 * PromiseRejectEvent value. */
static bool tests_event(const struct x86_insn *in, unsigned int regs)
{
	if (in->map != X86_MAP_1BYTE || in->mem || in->mod != 3 || in->rm < 0 ||
	    !(regs & (1u << in->rm)))
		return false;
	if (in->opcode == 0x85)
		return in->reg == in->rm;
	return (in->opcode == 0x83 || in->opcode == 0x81) && (in->reg & 7) == 7 && in->imm >= 0 &&
	       in->imm <= 3;
}

/*
 * Rule (optional): node::PromiseRejectCallback(v8::PromiseRejectMessage)
 * gets the 24-byte message {promise_, event_, value_} in memory, on the
 * stack above its return address. With a frame pointer (push %rbp; mov
 * %rsp,%rbp) it reads event_ as the first 32-bit load of a stack argument,
 * OFF(%rbp), i.e. OFF-8 from the entry stack pointer. Cross-checks: the
 * 64-bit slot right before it (promise_) is loaded too, and the register
 * holding event_ (or a copy of it) is tested against an event value (0..3).
 * Without it rejections are not reported.
 */
static void derive_reject_message(struct derive *d)
{
	struct func f = {0};
	int32_t event = -1;
	bool promise = false, tested = false;
	unsigned int regs = 0;

	if (func_load(d->ef, &d->sc.f[F_PROMISE_REJECT], &f))
		return;
	if (f.n < 2 || f.insns[0].len != 1 || f.insns[0].opcode != 0x55 ||
	    f.insns[1].opcode != 0x89 || !f.insns[1].rex_w || f.insns[1].reg != X86_RSP ||
	    f.insns[1].rm != X86_RBP)
		goto out;
	for (int i = 2; i < f.n; i++) {
		const struct x86_insn *in = &f.insns[i];
		int dst, src;

		if (event < 0 && frame_arg_load(in, false)) {
			event = in->disp;
			regs = 1u << in->reg;
			continue;
		}
		if (event < 0)
			continue;
		if (tests_event(in, regs)) {
			tested = true;
			break;
		}
		/* 32-bit register copies keep the event (mov %r32,%r32) */
		if (in->map == X86_MAP_1BYTE && !in->rex_w && !in->mem && in->mod == 3 &&
		    (in->opcode == 0x89 || in->opcode == 0x8b)) {
			dst = in->opcode == 0x89 ? in->rm : in->reg;
			src = in->opcode == 0x89 ? in->reg : in->rm;
			if (regs & (1u << src))
				regs |= 1u << dst;
		}
	}
	for (int i = 2; i < f.n && event > 0; i++)
		promise |= frame_arg_load(&f.insns[i], true) && f.insns[i].disp == event - 8;
	if (event < 0x18 || !promise || !tested)
		goto out;
	d->out->off.reject_event = event - 8;
	d->out->off.reject_promise = event - 16;
	if (set_site(d, SITE_PROMISE_REJECT, F_PROMISE_REJECT)) {
		d->out->error[0] = '\0';
		d->out->off.reject_event = d->out->off.reject_promise = 0;
	}
out:
	func_free(&f);
}

static int derive_all(struct derive *d)
{
	struct func reset = {0}, emit = {0}, ctor = {0}, scope = {0}, wrap_scope = {0}, pop = {0},
		    push = {0};
	struct sym_scan *sc = &d->sc;
	struct node_layout *l = d->out;
	static const struct {
		enum found_idx idx;
		const char *what;
	} required[] = {
		{F_ASYNC_RESET, "node::AsyncWrap::AsyncReset(Local<Object>, double)"},
		{F_WRAP_CTOR,
		 "node::AsyncWrap::AsyncWrap(Environment*, Local<Object>, ProviderType, double)"},
		{F_SCOPE_ENV,
		 "node::InternalCallbackScope::InternalCallbackScope(Environment*, ...)"},
		{F_SCOPE_WRAP,
		 "node::InternalCallbackScope::InternalCallbackScope(AsyncWrap*, int)"},
		{F_PUSH_CONTEXT, "node::AsyncHooks::push_async_context"},
		{F_POP_CONTEXT, "node::AsyncHooks::pop_async_context(double)"},
		{F_WRAP_DTOR, "node::AsyncWrap::~AsyncWrap()"},
		{F_EMIT_DESTROY, "node::AsyncWrap::EmitDestroy(bool)"},
	};
	int err;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!sc->f[required[i].idx].found)
			return fail(d, -ENOTSUP, "symbol %s not found", required[i].what);

	if ((err = func_load(d->ef, &sc->f[F_ASYNC_RESET], &reset)) ||
	    (err = func_load(d->ef, &sc->f[F_EMIT_DESTROY], &emit)) ||
	    (err = func_load(d->ef, &sc->f[F_WRAP_CTOR], &ctor)) ||
	    (err = func_load(d->ef, &sc->f[F_SCOPE_ENV], &scope)) ||
	    (err = func_load(d->ef, &sc->f[F_SCOPE_WRAP], &wrap_scope)) ||
	    (err = func_load(d->ef, &sc->f[F_POP_CONTEXT], &pop)) ||
	    (err = func_load(d->ef, &sc->f[F_PUSH_CONTEXT], &push))) {
		fail(d, -ENOTSUP, "cannot decode the code of a probed function (%s)",
		     strerror(-err));
		err = -ENOTSUP;
		goto out;
	}

	if ((err = derive_async_id(d, &reset, &emit)) ||
	    (err = derive_provider(d, &ctor, &reset)) ||
	    (err = derive_env_chain(d, &reset, &emit)) || (err = derive_scope(d, &scope)) ||
	    (err = derive_hooks(d, &pop, &push)) || (err = read_provider_names(d)))
		goto out;

	/* The chain AsyncReset follows must land where the scope and pop code say. */
	if (l->env_id_fields != l->off.env_async_hooks + l->off.hooks_id_fields) {
		err = fail(d, -EPROTO,
			   "env->async_id_fields 0x%x != async_hooks 0x%x + id_fields 0x%x",
			   l->env_id_fields, l->off.env_async_hooks, l->off.hooks_id_fields);
		goto out;
	}
	if (l->off.wrap_provider >= l->off.wrap_async_id) {
		err = fail(d, -EPROTO, "provider_type_ 0x%x not before async_id_ 0x%x",
			   l->off.wrap_provider, l->off.wrap_async_id);
		goto out;
	}
	derive_obj_slot(d);

	/* init: EmitTraceAsyncStart where AsyncReset calls it, else AsyncReset's return */
	if (sc->f[F_TRACE_ASYNC_START].found &&
	    func_calls(&reset, sc->f[F_TRACE_ASYNC_START].addr)) {
		err = set_site(d, SITE_TRACE_ASYNC_START, F_TRACE_ASYNC_START);
	} else {
		/* the ids are stored on the way in, then AsyncReset ends in
		 * EmitAsyncInit, which runs the JS init hooks: the init is taken
		 * there, before anything those hooks create (at AsyncReset's
		 * return it would come after) */
		if (!sc->f[F_EMIT_ASYNC_INIT].found ||
		    !func_reaches(&reset, sc->f[F_EMIT_ASYNC_INIT].addr)) {
			err = fail(d, -ENOTSUP,
				   "AsyncReset has no EmitTraceAsyncStart call and does not reach "
				   "AsyncWrap::EmitAsyncInit");
			goto out;
		}
		err = set_site(d, SITE_ASYNC_RESET, F_ASYNC_RESET);
		if (!err)
			err = set_site(d, SITE_EMIT_ASYNC_INIT, F_EMIT_ASYNC_INIT);
		/* AsyncReset(Local<Object>, double, bool silent): this, obj, silent */
		if (!err && sc->f[F_ASYNC_RESET].name[strlen(sc->f[F_ASYNC_RESET].name) - 1] == 'b')
			l->off.reset_silent_arg = 3;
	}
	if (err)
		goto out;
	derive_ctors(d, &reset, l->sites[SITE_ASYNC_RESET].used);
	/* node 26 calls EmitDestroy from AsyncReset instead of inlining it: the
	 * destroy probe sees those and must tell them for resets */
	if (func_calls(&reset, sc->f[F_EMIT_DESTROY].addr)) {
		l->off.reset_lo = sc->f[F_ASYNC_RESET].addr;
		l->off.reset_len = sc->f[F_ASYNC_RESET].size;
	}

	/* ICS(AsyncWrap*) either calls the env constructor or inlines it. */
	if (func_calls(&wrap_scope, sc->f[F_SCOPE_ENV].addr)) {
		l->scope_wrap_inlines = false;
	} else if (func_calls(&wrap_scope, sc->f[F_PUSH_CONTEXT].addr)) {
		l->scope_wrap_inlines = true;
	} else {
		err = fail(d, -ENOTSUP,
			   "InternalCallbackScope(AsyncWrap*) neither calls the env constructor "
			   "nor pushes");
		goto out;
	}
	if ((err = set_site(d, SITE_SCOPE_ENV, F_SCOPE_ENV)) ||
	    (l->scope_wrap_inlines && (err = set_site(d, SITE_SCOPE_WRAP, F_SCOPE_WRAP))) ||
	    (err = set_site(d, SITE_POP_CONTEXT, F_POP_CONTEXT)) ||
	    (err = set_site(d, SITE_WRAP_DTOR, F_WRAP_DTOR)) ||
	    (err = set_site(d, SITE_EMIT_DESTROY, F_EMIT_DESTROY)))
		goto out;
	/* optional: without it the JS layer cannot tell microtasks from ticks */
	if (sc->f[F_RUN_MICROTASKS].found &&
	    set_site(d, SITE_MICROTASKS, microtask_site(d->ef, sc)))
		d->out->error[0] = '\0';
	derive_microtask_counter(d);
	derive_reject_message(d);
	/* optional, all four or none: without them destroys async_hooks never
	 * delivers are not told apart (at_exit) */
	if (sc->f[F_ENV_CLEANUP].found && sc->f[F_ENV_STOP].found && sc->f[F_ENV_EXIT].found &&
	    sc->f[F_IMMEDIATES].found &&
	    (set_site(d, SITE_ENV_CLEANUP, F_ENV_CLEANUP) ||
	     set_site(d, SITE_ENV_STOP, F_ENV_STOP) || set_site(d, SITE_ENV_EXIT, F_ENV_EXIT) ||
	     set_site(d, SITE_IMMEDIATES, F_IMMEDIATES))) {
		for (int r = SITE_ENV_CLEANUP; r <= SITE_IMMEDIATES; r++)
			d->out->sites[r].used = false;
		d->out->error[0] = '\0';
	}
out:
	func_free(&reset);
	func_free(&emit);
	func_free(&ctor);
	func_free(&scope);
	func_free(&wrap_scope);
	func_free(&pop);
	func_free(&push);
	return err;
}

int node_layout__resolve(const char *path, struct node_layout *out)
{
	struct derive d = {.out = out};
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s", path);
	d.ef = elf_file__open(path);
	if (!d.ef) {
		err = -errno;
		if (err == -ENOEXEC)
			return fail(&d, err, "%s is not an ELF file", path);
		return fail(&d, err, "cannot open %s: %s", path, strerror(-err));
	}
	snprintf(out->build_id, sizeof(out->build_id), "%s", elf_file__build_id(d.ef));
	elf_file__for_each_symbol(d.ef, scan_symbol, &d.sc);
	if (!d.sc.node_symbols) {
		err = fail(&d, -ESRCH, "%s has no node::AsyncWrap symbols: not a Node.js binary",
			   path);
		goto out;
	}
	err = derive_all(&d);
out:
	elf_file__close(d.ef);
	return err;
}

const char *node_site_role_name(enum node_site_role role)
{
	static const char *const names[SITE_COUNT] = {
		[SITE_TRACE_ASYNC_START] = "init (EmitTraceAsyncStart)",
		[SITE_ASYNC_RESET] = "init (AsyncReset entry)",
		[SITE_EMIT_ASYNC_INIT] = "init (EmitAsyncInit, from AsyncReset)",
		[SITE_SCOPE_ENV] = "before (InternalCallbackScope env ctor)",
		[SITE_SCOPE_WRAP] = "before (InternalCallbackScope AsyncWrap ctor)",
		[SITE_POP_CONTEXT] = "after (pop_async_context)",
		[SITE_WRAP_DTOR] = "destroy (~AsyncWrap)",
		[SITE_EMIT_DESTROY] = "destroy (EmitDestroy)",
		[SITE_MICROTASKS] = "microtask runs (TryRunMicrotasks)",
		[SITE_PROMISE_REJECT] = "rejections (PromiseRejectCallback)",
		[SITE_ENV_CLEANUP] = "destroys at exit: teardown (RunCleanup)",
		[SITE_ENV_STOP] = "destroys at exit: a stop (ExitEnv)",
		[SITE_ENV_EXIT] = "destroys at exit: process.exit() (Exit)",
		[SITE_IMMEDIATES] = "destroys delivered (native immediates)",
	};

	return role < SITE_COUNT ? names[role] : "?";
}

const char *node_layout__provider_name(const struct node_layout *l, uint32_t provider)
{
	return provider < (uint32_t)l->nproviders ? l->providers[provider] : NULL;
}

struct version_scan {
	char found[32];
	int n;
};

/* process.release's download URL, ".../download/release/vX.Y.Z/node-vX.Y.Z.tar.gz",
 * names the version the binary was built as. */
static int version_string(const char *s, size_t len, void *ctx)
{
	static const char marker[] = "/download/release/v";
	struct version_scan *v = ctx;
	const char *p = strstr(s, marker), *q;
	char ver[32];

	if (!p || !strstr(s, ".tar.gz"))
		return 0;
	p += strlen(marker) - 1; /* at the 'v' */
	q = strchr(p, '/');
	if (!q || q - p < 6 || q - p >= (long)sizeof(ver) ||
	    strspn(p + 1, "0123456789.") != (size_t)(q - p - 1))
		return 0;
	snprintf(ver, sizeof(ver), "%.*s", (int)(q - p), p);
	if (v->n++ == 0)
		snprintf(v->found, sizeof(v->found), "%s", ver);
	else if (strcmp(v->found, ver))
		v->n = 100; /* two different versions: do not guess */
	(void)len;
	return 0;
}

int node_binary_version(const char *path, char *buf, size_t cap)
{
	struct version_scan v = {0};
	struct elf_file *ef = elf_file__open(path);

	if (!ef)
		return -errno;
	elf_file__for_each_string(ef, ".rodata", 20, version_string, &v);
	elf_file__close(ef);
	if (v.n < 1 || v.n >= 100)
		return -ENOENT;
	snprintf(buf, cap, "%s", v.found);
	return 0;
}
