// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "resolve/cb_scan.h"
#include "resolve/elf_file.h"
#include "resolve/uv_api.h"
#include "resolve/x86_decode.h"

#define MAX_FUNC_SIZE  (256 * 1024)
#define CALL_MEMO_SIZE 8192 /* a power of two */

struct func {
	uint64_t addr, size;
	bool size_known; /* a symbol's extent, not a chunk of a linear sweep */
};

struct scan {
	struct elf_file *ef;
	struct func *funcs;
	size_t nfuncs, funcs_cap;
	uint64_t targets[512]; /* addresses whose call is a libuv API call */
	size_t ntargets;
	uint64_t gots[256]; /* GOT slots of libuv API functions */
	size_t ngots;
	struct cb_candidate *out;
	size_t nout, out_cap;
	/* calls_uv() answers by call target: a file has far fewer targets than
	 * calls, and each answer may cost a read of the file */
	struct call_memo {
		uint64_t target; /* 0: empty */
		bool calls;
	} * memo; /* CALL_MEMO_SIZE entries */
};

static bool is_uv_api(const char *name)
{
	for (int i = 0; i < uv_napis; i++)
		if (!strcmp(name, uv_apis[i].name))
			return true;
	return false;
}

static int collect(const struct elf_sym *s, void *ctx)
{
	struct scan *sc = ctx;

	if (!s->is_func)
		return 0;
	if (is_uv_api(s->name) && sc->ntargets < sizeof(sc->targets) / sizeof(sc->targets[0]))
		sc->targets[sc->ntargets++] = s->addr;
	if (!s->size || s->size > MAX_FUNC_SIZE)
		return 0;
	if (array_grow((void **)&sc->funcs, &sc->funcs_cap, sc->nfuncs + 1, sizeof(*sc->funcs)))
		return -ENOMEM;
	sc->funcs[sc->nfuncs++] = (struct func){s->addr, s->size, true};
	return 0;
}

static int collect_got(uint64_t got, const char *name, void *ctx)
{
	struct scan *sc = ctx;

	if (is_uv_api(name) && sc->ngots < sizeof(sc->gots) / sizeof(sc->gots[0]))
		sc->gots[sc->ngots++] = got;
	return 0;
}

static bool is_uv_got(const struct scan *sc, uint64_t got)
{
	for (size_t i = 0; i < sc->ngots; i++)
		if (sc->gots[i] == got)
			return true;
	return false;
}

static bool is_target(const struct scan *sc, uint64_t addr)
{
	for (size_t i = 0; i < sc->ntargets; i++)
		if (sc->targets[i] == addr)
			return true;
	return false;
}

static int by_addr(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * Function starts from .eh_frame_hdr's search table (every function with
 * unwind info has an entry), for stripped files whose symbols are few.
 * Handles the encoding compilers emit: pcrel|sdata4, udata4, datarel|sdata4.
 */
static void add_eh_frame_starts(struct scan *sc)
{
	const uint8_t *d;
	uint64_t base;
	size_t size;
	int32_t count;

	if (elf_file__section(sc->ef, ".eh_frame_hdr", &base, &d, &size) || size < 12 ||
	    d[0] != 1 || d[1] != 0x1b || d[2] != 0x03 || d[3] != 0x3b)
		return;
	memcpy(&count, d + 8, 4);
	if (count < 0 || 12 + (size_t)count * 8 > size)
		return;
	for (int32_t i = 0; i < count; i++) {
		int32_t loc;

		memcpy(&loc, d + 12 + 8 * (size_t)i, 4);
		if (array_grow((void **)&sc->funcs, &sc->funcs_cap, sc->nfuncs + 1,
			       sizeof(*sc->funcs)))
			return;
		sc->funcs[sc->nfuncs++] = (struct func){base + loc, 0, false};
	}
}

static bool is_func_start(const struct scan *sc, uint64_t addr)
{
	size_t lo = 0, hi = sc->nfuncs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sc->funcs[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sc->nfuncs && sc->funcs[lo].addr == addr;
}

static void add_candidate(struct scan *sc, uint64_t addr)
{
	uint64_t off;

	for (size_t i = 0; i < sc->nout; i++)
		if (sc->out[i].addr == addr)
			return;
	if (elf_file__vaddr_to_offset(sc->ef, addr, &off))
		return;
	if (array_grow((void **)&sc->out, &sc->out_cap, sc->nout + 1, sizeof(*sc->out)))
		return;
	sc->out[sc->nout++] = (struct cb_candidate){addr, off};
}

/* Does a call to target reach libuv: the API itself, or a PLT stub jumping through its GOT slot? */
static bool calls_uv_uncached(struct scan *sc, uint64_t target)
{
	struct x86_insn in;
	uint8_t code[16];
	uint64_t pos = target;

	if (is_target(sc, target))
		return true;
	if (!sc->ngots || elf_file__read(sc->ef, target, code, sizeof(code)))
		return false;
	for (int k = 0; k < 3; k++) {
		int len =
			x86_decode(code + (pos - target), sizeof(code) - (pos - target), pos, &in);

		if (len <= 0)
			return false;
		if (in.map == X86_MAP_1BYTE && in.opcode == 0xff && (in.reg & 7) == 4 &&
		    in.base == X86_RIP)
			return is_uv_got(sc, pos + len + in.disp);
		pos += len;
		if (pos - target >= sizeof(code) - 6)
			return false;
	}
	return false;
}

static bool calls_uv(struct scan *sc, uint64_t target)
{
	size_t i = (target * 0x9e3779b97f4a7c15ULL) >> 51; /* 13 bits: CALL_MEMO_SIZE */

	for (size_t probes = 0; target && probes < 16;
	     probes++, i = (i + 1) & (CALL_MEMO_SIZE - 1)) {
		if (sc->memo[i].target == target)
			return sc->memo[i].calls;
		if (!sc->memo[i].target) {
			sc->memo[i].target = target;
			sc->memo[i].calls = calls_uv_uncached(sc, target);
			return sc->memo[i].calls;
		}
	}
	return calls_uv_uncached(sc, target);
}

/*
 * Every function address a function loads becomes a candidate once the
 * function calls libuv: callbacks are often stored in a struct first
 * (uv_process_options_t.exit_cb) or loaded before other calls. Probing a
 * function that turns out not to be a callback costs nothing: its probe
 * finds no libuv object and reports nothing.
 */
static void scan_func(struct scan *sc, const struct func *f, uint8_t *code)
{
	uint64_t loaded[256];
	size_t nloaded = 0, pos = 0;
	bool calls = false;

	if (elf_file__read(sc->ef, f->addr, code, f->size))
		return;
	while (pos < f->size) {
		struct x86_insn in;
		int len = x86_decode(code + pos, f->size - pos, f->addr + pos, &in);
		uint64_t fn = 0;

		if (len <= 0) {
			pos++; /* data or an encoding we do not know: resynchronise */
			continue;
		}
		/* lea fn(%rip),%reg or mov $fn,%reg: a function address in hand */
		if (in.map == X86_MAP_1BYTE && in.opcode == 0x8d && in.base == X86_RIP)
			fn = in.addr + in.len + in.disp;
		else if (in.map == X86_MAP_1BYTE &&
			 ((in.opcode >= 0xb8 && in.opcode <= 0xbf) ||
			  (in.opcode == 0xc7 && !in.mem)) &&
			 in.imm > 0)
			fn = (uint64_t)in.imm;
		if (fn && nloaded < sizeof(loaded) / sizeof(loaded[0]) && is_func_start(sc, fn))
			loaded[nloaded++] = fn;
		/* a call, or a tail call, to libuv: directly, through the PLT or the GOT */
		if ((x86_is_call_rel32(&in) || (x86_is_jmp_rel(&in) && in.opcode == 0xe9)) &&
		    calls_uv(sc, x86_branch_target(&in)))
			calls = true;
		else if (in.map == X86_MAP_1BYTE && in.opcode == 0xff &&
			 ((in.reg & 7) == 2 || (in.reg & 7) == 4) && in.base == X86_RIP &&
			 is_uv_got(sc, in.addr + in.len + in.disp))
			calls = true;
		pos += len;
		/* in a linear sweep of a stripped file, a function ends at its return */
		if (x86_is_ret(&in) && !f->size_known) {
			if (calls)
				for (size_t i = 0; i < nloaded; i++)
					add_candidate(sc, loaded[i]);
			nloaded = 0;
			calls = false;
		}
	}
	if (calls)
		for (size_t i = 0; i < nloaded; i++)
			add_candidate(sc, loaded[i]);
}

struct sweep {
	struct scan *sc;
	uint8_t *code;
};

static int sweep_segment(uint64_t vaddr, uint64_t size, void *ctx)
{
	struct sweep *w = ctx;

	for (uint64_t at = 0; at < size; at += MAX_FUNC_SIZE - 64) {
		struct func chunk = {vaddr + at,
				     size - at < MAX_FUNC_SIZE ? size - at : MAX_FUNC_SIZE, false};

		scan_func(w->sc, &chunk, w->code);
	}
	return 0;
}

int cb_scan(const char *path, struct cb_candidate **out, size_t *n)
{
	struct scan sc = {0};
	uint8_t *code = NULL;
	size_t nsized;
	int err = 0;

	*out = NULL;
	*n = 0;
	sc.ef = elf_file__open(path);
	if (!sc.ef)
		return -errno;
	if ((err = elf_file__for_each_symbol(sc.ef, collect, &sc)))
		goto out;
	elf_file__for_each_plt_slot(sc.ef, collect_got, &sc);
	if (!sc.ntargets && !sc.ngots)
		goto out; /* does not call libuv */
	nsized = sc.nfuncs;
	add_eh_frame_starts(&sc);
	qsort(sc.funcs, sc.nfuncs, sizeof(*sc.funcs), by_addr);
	code = malloc(MAX_FUNC_SIZE);
	sc.memo = calloc(CALL_MEMO_SIZE, sizeof(*sc.memo));
	if (!code || !sc.memo) {
		err = -ENOMEM;
		goto out;
	}
	if (nsized >= 64) {
		for (size_t i = 0; i < sc.nfuncs; i++)
			if (sc.funcs[i].size)
				scan_func(&sc, &sc.funcs[i], code);
	} else {
		/* stripped: sweep the executable segments in chunks */
		elf_file__for_each_exec_segment(sc.ef, sweep_segment, &(struct sweep){&sc, code});
	}
	*out = sc.out;
	*n = sc.nout;
	sc.out = NULL;
out:
	free(sc.memo);
	free(code);
	free(sc.out);
	free(sc.funcs);
	elf_file__close(sc.ef);
	return err;
}
