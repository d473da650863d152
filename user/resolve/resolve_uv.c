// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/array_grow.h"
#include "resolve/elf_file.h"
#include "resolve/probe_site.h"
#include "resolve/proc.h"
#include "resolve/resolve_uv.h"
#include "resolve/x86_decode.h"

struct uv_scan {
	uint64_t addr[128]; /* per uv_apis index, 0 if absent */
	uint64_t size[128];
	bool has_uv_run;
	/* every uv_* / uv__* function, for libuv's code range */
	struct fn_span {
		uint64_t lo, hi;
	} * fns;
	size_t nfns, fns_cap;
	uint64_t lo, hi;     /* libuv's code: see uv_code_range() */
	uint64_t version_fn; /* uv_version() */
	/* PLT: GOT slot -> API index, for wrappers that tail-call through it */
	uint64_t got[128];
};

static int scan_sym(const struct elf_sym *s, void *ctx)
{
	struct uv_scan *sc = ctx;

	if (!s->is_func || strncmp(s->name, "uv_", 3))
		return 0;
	/* split-off cold parts live with other programs' cold code */
	if (!strchr(s->name, '.') && s->size) {
		if (array_grow((void **)&sc->fns, &sc->fns_cap, sc->nfns + 1, sizeof(*sc->fns)))
			return -ENOMEM;
		sc->fns[sc->nfns++] = (struct fn_span){s->addr, s->addr + s->size};
	}
	if (!strcmp(s->name, "uv_run"))
		sc->has_uv_run = true;
	if (!strcmp(s->name, "uv_version"))
		sc->version_fn = s->addr;
	for (int i = 0; i < uv_napis; i++)
		if (!sc->addr[i] && !strcmp(s->name, uv_apis[i].name)) {
			sc->addr[i] = s->addr;
			sc->size[i] = s->size;
		}
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct fn_span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * libuv's code range, for telling its own callbacks from the program's: the
 * largest run of uv_* functions with no gap over 64 KiB. A static libuv (as in
 * node) is one archive linked in one piece, but a few of its functions land
 * elsewhere (startup/exit sections), and a span over all of them would take
 * in most of node.
 */
static void uv_code_range(struct uv_scan *sc)
{
	size_t best_n = 0;

	qsort(sc->fns, sc->nfns, sizeof(*sc->fns), cmp_span);
	for (size_t i = 0, j; i < sc->nfns; i = j) {
		uint64_t end = sc->fns[i].hi;

		for (j = i + 1; j < sc->nfns && sc->fns[j].lo < end + 65536; j++)
			end = sc->fns[j].hi > end ? sc->fns[j].hi : end;
		if (j - i > best_n) {
			best_n = j - i;
			sc->lo = sc->fns[i].lo;
			sc->hi = end;
		}
	}
}

static int scan_plt(uint64_t got, const char *name, void *ctx)
{
	struct uv_scan *sc = ctx;

	for (int i = 0; i < uv_napis; i++)
		if (!strcmp(name, uv_apis[i].name))
			sc->got[i] = got;
	return 0;
}

static unsigned int keep_regs(const struct uv_api *a)
{
	unsigned int m = 0;
	int r;

	if ((r = probe_arg_reg(a->obj_slot)) >= 0)
		m |= 1u << r;
	if ((r = probe_arg_reg(a->cb_slot)) >= 0)
		m |= 1u << r;
	return m;
}

/* Index of the probed API a jump lands on (directly or through the PLT), or -1. */
static int api_at(struct elf_file *ef, const struct uv_scan *sc, uint64_t target)
{
	struct x86_insn in;
	uint8_t code[16];
	uint64_t pos = target;

	for (int i = 0; i < uv_napis; i++)
		if (sc->addr[i] && sc->addr[i] == target)
			return i;
	/* a PLT stub: [endbr64;] [bnd] jmp *GOT(%rip) */
	if (elf_file__read(ef, target, code, sizeof(code)))
		return -1;
	for (int k = 0; k < 2; k++) {
		int len =
			x86_decode(code + (pos - target), sizeof(code) - (pos - target), pos, &in);

		if (len <= 0)
			return -1;
		if (in.map == X86_MAP_1BYTE && in.opcode == 0xff && (in.reg & 7) == 4 &&
		    in.base == X86_RIP) {
			uint64_t got = pos + len + in.disp;

			for (int i = 0; i < uv_napis; i++)
				if (sc->got[i] == got && sc->addr[i])
					return i;
			return -1;
		}
		pos += len;
	}
	return -1;
}

/* A function whose straight-line start ends in a jump to another probed API
 * (uv_tcp_init -> uv_tcp_init_ex, uv_write -> uv_write2) is covered by it. */
static bool is_wrapper(struct elf_file *ef, const struct uv_scan *sc, int self, const uint8_t *code,
		       size_t n, uint64_t addr)
{
	struct x86_insn in;
	size_t pos = 0;

	for (int i = 0; i < 8 && pos < n; i++) {
		int len = x86_decode(code + pos, n - pos, addr + pos, &in);

		if (len <= 0)
			return false;
		if (x86_is_jmp_rel(&in)) {
			int callee = api_at(ef, sc, x86_branch_target(&in));

			return callee >= 0 && callee != self;
		}
		if (x86_changes_flow(&in))
			return false;
		pos += len;
	}
	return false;
}

/* uv_version() is `mov $UV_VERSION_HEX, %eax; ret`: 0xMMmmpp. */
static void read_version(struct elf_file *ef, uint64_t fn, char *buf, size_t cap)
{
	uint8_t code[6];
	uint32_t v;

	buf[0] = '\0';
	if (!fn || elf_file__read(ef, fn, code, sizeof(code)) || code[0] != 0xb8 || code[5] != 0xc3)
		return;
	v = code[1] | code[2] << 8 | code[3] << 16 | (uint32_t)code[4] << 24;
	snprintf(buf, cap, "%u.%u.%u", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

int uv_layout__resolve(const char *path, struct uv_layout *out)
{
	struct uv_scan *sc = calloc(1, sizeof(*sc));
	struct elf_file *ef;
	int err = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s", path);
	if (!sc)
		return -ENOMEM;
	ef = elf_file__open(path);
	if (!ef) {
		err = -errno;
		snprintf(out->error, sizeof(out->error), "cannot open %s: %s", path,
			 strerror(errno));
		free(sc->fns);
		free(sc);
		return err;
	}
	snprintf(out->build_id, sizeof(out->build_id), "%s", elf_file__build_id(ef));
	elf_file__for_each_symbol(ef, scan_sym, sc);
	elf_file__for_each_plt_slot(ef, scan_plt, sc);
	uv_code_range(sc);
	read_version(ef, sc->version_fn, out->version, sizeof(out->version));
	if (!sc->has_uv_run) {
		snprintf(out->error, sizeof(out->error), "%s has no libuv (no uv_run symbol)",
			 path);
		err = -ESRCH;
		goto out;
	}
	/* a shared libuv is libuv's own code throughout */
	if (elf_file__is_pie(ef) && strstr(path, "libuv.so")) {
		out->code_lo = 0;
		out->code_hi = UINT64_MAX;
	} else if (elf_file__vaddr_to_offset(ef, sc->lo, &out->code_lo) ||
		   elf_file__vaddr_to_offset(ef, sc->hi - 1, &out->code_hi)) {
		out->code_lo = out->code_hi = 0;
	} else {
		out->code_hi++;
	}
	for (int i = 0; i < uv_napis; i++) {
		struct uv_site *s;
		struct probe_site_choice c;
		uint8_t code[64];

		if (!sc->addr[i]) {
			out->nmissing++;
			continue;
		}
		if (out->nsites == UV_MAX_SITES ||
		    elf_file__read(ef, sc->addr[i], code, sizeof(code)))
			continue;
		s = &out->sites[out->nsites++];
		s->api = &uv_apis[i];
		s->addr = sc->addr[i];
		s->wrapper = is_wrapper(ef, sc, i, code, sizeof(code), sc->addr[i]);
		probe_site_choose(code, sizeof(code), sc->addr[i], keep_regs(&uv_apis[i]), &c);
		s->skip = c.offset;
		s->emulated = c.emulated;
		snprintf(s->insn, sizeof(s->insn), "%s", c.insn);
		if (elf_file__vaddr_to_offset(ef, sc->addr[i] + c.offset, &s->file_off))
			out->nsites--;
	}
out:
	elf_file__close(ef);
	free(sc->fns);
	free(sc);
	return err;
}

static const char *const system_libuv[] = {
	"/lib/x86_64-linux-gnu/libuv.so.1",
	"/usr/lib/x86_64-linux-gnu/libuv.so.1",
	"/usr/lib64/libuv.so.1",
	"/usr/lib/libuv.so.1",
	"/usr/local/lib/libuv.so.1",
};

static bool defines_uv_run(const char *path)
{
	struct uv_layout *l = malloc(sizeof(*l));
	bool yes;

	if (!l)
		return false;
	yes = uv_layout__resolve(path, l) != -ESRCH && l->nsites > 0;
	free(l);
	return yes;
}

struct path_buf {
	char *path;
	size_t cap;
};

static int maps_libuv(void *ctx, const struct proc_map *m)
{
	struct path_buf *b = ctx;

	if (!m->file || strcmp(m->perms, "r-xp") || !strstr(m->file, "/libuv.so"))
		return 0;
	snprintf(b->path, b->cap, "%s", m->path);
	return 1;
}

int uv_find_shared_in_process(int pid, char *path, size_t cap)
{
	struct path_buf b = {path, cap};
	int err = proc_maps_foreach(pid, maps_libuv, &b);

	return err < 0 ? err : err ? 0 : -ESRCH;
}

int uv_find_in_process(int pid, char *path, size_t cap)
{
	if (!uv_find_shared_in_process(pid, path, cap))
		return 0;
	snprintf(path, cap, "/proc/%d/exe", pid);
	return defines_uv_run(path) ? 0 : -ESRCH;
}

int uv_system_library(char *path, size_t cap)
{
	for (size_t i = 0; i < sizeof(system_libuv) / sizeof(system_libuv[0]); i++)
		if (access(system_libuv[i], R_OK) == 0) {
			snprintf(path, cap, "%s", system_libuv[i]);
			return 0;
		}
	return -ENOENT;
}

int uv_find_for_program(const char *exe, bool any_load, char *path, size_t cap)
{
	struct elf_file *ef;
	bool links;

	if (defines_uv_run(exe)) {
		snprintf(path, cap, "%s", exe);
		return 0;
	}
	ef = elf_file__open(exe);
	links = ef && elf_file__needs(ef, "libuv.so");
	elf_file__close(ef);
	if (!links && !any_load)
		return -ESRCH;
	/* the shared libuv it links or will load (uvloop loads it on import);
	 * uprobes on a file take effect when the process maps it */
	return uv_system_library(path, cap) ? -ESRCH : 0;
}
