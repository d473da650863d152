// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reads V8's postmortem metadata from a node binary and derives what it
 * leaves out (see v8_layout.h); v8_layout_check.c cross-checks the result.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "resolve/elf_file.h"
#include "resolve/v8_layout.h"
#include "resolve/v8_layout_int.h"

#define V8DBG "v8dbg_"

/* The embedded builtins blob: labels of V8's generated embedded.S, .symtab only. */
#define SYM_BLOB      "v8_Default_embedded_blob_code_"
#define SYM_BLOB_SIZE "v8_Default_embedded_blob_code_size_"
/* v8::internal::Version::{major,minor,build,patch}_ */
#define SYM_VERSION "_ZN2v88internal7Version6"
/* leaptiering: JSFunction keeps a handle into this table instead of its code */
#define SYM_DISPATCH_TABLE "_ZN2v88internal15JSDispatchTable"

#define V8_SPEC(id, name, req, kind, ...) {name, req, kind, {__VA_ARGS__, NULL}},
const struct v8_const_spec v8_const_specs[V8C_COUNT] = {V8_LAYOUT_CONSTS(V8_SPEC)};
#undef V8_SPEC

static const char *const builtin_names[V8B_COUNT] = {
	[V8B_INTERPRETER_ENTRY] = "InterpreterEntryTrampoline",
	[V8B_INTERPRETER_AT_BC] = "InterpreterEnterAtBytecode",
	[V8B_INTERPRETER_AT_NEXT_BC] = "InterpreterEnterAtNextBytecode",
	[V8B_JS_ENTRY] = "JSEntry",
};

const char *v8_const_name(enum v8_const_id id)
{
	return id < V8C_COUNT ? v8_const_specs[id].name : "?";
}

bool v8_const_required(enum v8_const_id id)
{
	return id < V8C_COUNT && v8_const_specs[id].required;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

struct scan {
	struct elf_file *ef;
	struct v8_meta *meta;
	size_t nmeta, cap;
	uint64_t version_addr[4];
	bool dispatch_table;
	int err;
};

static int scan_symbol(const struct elf_sym *s, void *ctx)
{
	static const char *const parts[4] = {"major_E", "minor_E", "build_E", "patch_E"};
	struct scan *sc = ctx;
	int32_t v;

	if (has_prefix(s->name, SYM_DISPATCH_TABLE))
		sc->dispatch_table = true;
	if (has_prefix(s->name, SYM_VERSION))
		for (int i = 0; i < 4; i++)
			if (!strcmp(s->name + strlen(SYM_VERSION), parts[i]))
				sc->version_addr[i] = s->addr;
	if (s->is_func || !has_prefix(s->name, V8DBG))
		return 0;
	/* .symtab and .dynsym both hold them: keep one of each name */
	for (size_t i = 0; i < sc->nmeta; i++)
		if (!strcmp(sc->meta[i].name, s->name + strlen(V8DBG)))
			return 0;
	/* 4-byte ints; the zero-valued ones live in .bss */
	if (s->size != sizeof(v) || elf_file__read_loaded(sc->ef, s->addr, &v, sizeof(v)))
		return 0;
	if (array_grow((void **)&sc->meta, &sc->cap, sc->nmeta + 1, sizeof(*sc->meta))) {
		sc->err = -ENOMEM;
		return 1;
	}
	sc->meta[sc->nmeta++] = (struct v8_meta){s->name + strlen(V8DBG), v};
	return 0;
}

const struct v8_meta *v8_meta_find(const struct v8_meta *meta, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(meta[i].name, name))
			return &meta[i];
	return NULL;
}

void v8_layout__add_check(struct v8_layout *l, bool ok, const char *fmt, ...)
{
	struct v8_check *c;
	va_list ap;

	if (l->nchecks >= V8_MAX_CHECKS) {
		/* a failure must never be dropped: it replaces the last entry */
		if (ok)
			return;
		l->nchecks = V8_MAX_CHECKS - 1;
	}
	c = &l->checks[l->nchecks++];
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->what, sizeof(c->what), fmt, ap);
	va_end(ap);
}

static void set_const(struct v8_layout *l, enum v8_const_id id, int64_t value, const char *fmt, ...)
{
	va_list ap;

	l->c[id].found = true;
	l->c[id].value = value;
	va_start(ap, fmt);
	vsnprintf(l->c[id].source, sizeof(l->c[id].source), fmt, ap);
	va_end(ap);
}

/* Each constant from the first of its symbols present; the others must agree. */
static void read_consts(struct v8_layout *l, const struct v8_meta *meta, size_t n)
{
	for (int id = 0; id < V8C_COUNT; id++) {
		const struct v8_const_spec *sp = &v8_const_specs[id];

		for (int k = 0; sp->syms[k]; k++) {
			const struct v8_meta *m = v8_meta_find(meta, n, sp->syms[k]);

			if (!m)
				continue;
			if (!l->c[id].found) {
				set_const(l, id, m->value, V8DBG "%s", m->name);
				continue;
			}
			v8_layout__add_check(l, m->value == l->c[id].value,
					     "%s: %s = %s (%lld, %lld)", sp->name, l->c[id].source,
					     m->name, (long long)l->c[id].value,
					     (long long)m->value);
		}
	}
}

/*
 * What no symbol says: V8 frames are x86-64 rbp frames (push %rbp; mov
 * %rsp,%rbp after the call), so the caller's fp is at [fp] and the return
 * address one word above. check_code() verifies that the builtins a walk
 * passes through build such frames.
 */
static void derive_frame_links(struct v8_layout *l)
{
	if (!l->c[V8C_POINTER_SIZE].found)
		return;
	set_const(l, V8C_FP_CALLER_FP, 0, "derived: x86-64 rbp frame, pushed %%rbp at [fp]");
	set_const(l, V8C_FP_RETURN_ADDRESS, l->c[V8C_POINTER_SIZE].value,
		  "derived: x86-64 rbp frame, the call's return address above it");
}

static int cmp_frame_type(const void *a, const void *b)
{
	return ((const struct v8_frame_type *)a)->value - ((const struct v8_frame_type *)b)->value;
}

static void read_frame_types(struct v8_layout *l, const struct v8_meta *meta, size_t n)
{
	for (size_t i = 0; i < n && l->nframe_types < V8_MAX_FRAME_TYPES; i++) {
		struct v8_frame_type *f = &l->frame_types[l->nframe_types];

		if (!has_prefix(meta[i].name, "frametype_"))
			continue;
		snprintf(f->name, sizeof(f->name), "%s", meta[i].name + strlen("frametype_"));
		f->value = (int)meta[i].value;
		l->nframe_types++;
	}
	qsort(l->frame_types, l->nframe_types, sizeof(l->frame_types[0]), cmp_frame_type);
}

const char *v8_layout__frame_type_name(const struct v8_layout *l, int marker)
{
	for (int i = 0; i < l->nframe_types; i++)
		if (l->frame_types[i].value == marker)
			return l->frame_types[i].name;
	return NULL;
}

int v8_layout__frame_type(const struct v8_layout *l, const char *name)
{
	for (int i = 0; i < l->nframe_types; i++)
		if (!strcmp(l->frame_types[i].name, name))
			return l->frame_types[i].value;
	return -1;
}

/*
 * The 8-byte slots of class in [lo, hi] that none of its field symbols
 * (v8dbg_class_<class>__*) names, except those starting with skip; the
 * first into *slot. Returns how many there are.
 */
static int unnamed_slots(const struct v8_meta *meta, size_t n, const char *class, int64_t lo,
			 int64_t hi, const char *skip, int64_t *slot)
{
	char prefix[64];
	int count = 0;

	snprintf(prefix, sizeof(prefix), "class_%s__", class);
	for (int64_t off = lo; off <= hi; off += 8) {
		bool named = false;

		for (size_t i = 0; i < n && !named; i++) {
			const char *f = meta[i].name + strlen(prefix);

			if (!has_prefix(meta[i].name, prefix) || (skip && has_prefix(f, skip)))
				continue;
			/* a narrower field inside the slot names it too */
			named = meta[i].value >= off && meta[i].value < off + 8;
		}
		if (!named && count++ == 0)
			*slot = off;
	}
	return count;
}

/* The highest offset any field symbol of class names. */
static int64_t last_field(const struct v8_meta *meta, size_t n, const char *class)
{
	char prefix[64];
	int64_t hi = -1;

	snprintf(prefix, sizeof(prefix), "class_%s__", class);
	for (size_t i = 0; i < n; i++)
		if (has_prefix(meta[i].name, prefix) && meta[i].value > hi)
			hi = meta[i].value;
	return hi;
}

/*
 * JSFunction's code: its symbol where V8 emits one (V8 12.x), else the one
 * slot between the JSObject header and the last field no symbol names
 * (V8 11.x: +48). With leaptiering (V8 >= 13, told by JSDispatchTable's code
 * in the binary) that slot holds a 32-bit dispatch handle and there is no
 * code field: the code is found from the pc instead.
 */
static void derive_js_function(struct v8_layout *l, const struct v8_meta *meta, size_t n)
{
	struct v8_const *hdr = &l->c[V8C_JS_OBJECT_HEADER];
	int64_t hi = last_field(meta, n, "JSFunction"), slot = 0;
	int free;

	if (!hdr->found || hi < 0)
		return;
	free = unnamed_slots(meta, n, "JSFunction", hdr->value, hi, "code__", &slot);
	if (l->leaptiering) {
		if (free == 1)
			set_const(l, V8C_JS_FUNCTION_DISPATCH, slot,
				  "derived: the unnamed JSFunction slot (leaptiering)");
		v8_layout__add_check(l, !l->c[V8C_JS_FUNCTION_CODE].found && free == 1,
				     "leaptiering: no JSFunction.code symbol, one unnamed slot "
				     "(%d) for the dispatch handle",
				     free);
		return;
	}
	if (!l->c[V8C_JS_FUNCTION_CODE].found) {
		if (free == 1)
			set_const(l, V8C_JS_FUNCTION_CODE, slot,
				  "derived: the one JSFunction slot no symbol names");
		return;
	}
	v8_layout__add_check(l, free == 1 && slot == l->c[V8C_JS_FUNCTION_CODE].value,
			     "JSFunction.code: %s = the one slot no other field names (%d free)",
			     l->c[V8C_JS_FUNCTION_CODE].source, free);
}

/*
 * SharedFunctionInfo's function_data (the BytecodeArray of a compiled
 * function) is named only up to V8 11; since, it is the first slot after
 * the map no SFI field symbol names (+8 on node 20 to 26, checked live).
 */
static void derive_sfi_function_data(struct v8_layout *l, const struct v8_meta *meta, size_t n)
{
	struct v8_const *fd = &l->c[V8C_SFI_FUNCTION_DATA];
	int64_t slot = -1;

	if (!l->c[V8C_TAGGED_SIZE].found || last_field(meta, n, "SharedFunctionInfo") < 0)
		return;
	unnamed_slots(meta, n, "SharedFunctionInfo", l->c[V8C_TAGGED_SIZE].value,
		      last_field(meta, n, "SharedFunctionInfo"), "function_data__", &slot);
	if (!fd->found) {
		if (slot > 0)
			set_const(l, V8C_SFI_FUNCTION_DATA, slot,
				  "derived: the first SharedFunctionInfo slot no symbol names");
		return;
	}
	v8_layout__add_check(l, slot == fd->value,
			     "SharedFunctionInfo.function_data: %s = the first unnamed slot",
			     fd->source);
}

/*
 * The JSFunction instance types: V8 >= 12 names the range; before, only
 * JS_FUNCTION_TYPE, the first. Its subclasses (class constructors, typed
 * array constructors...) follow it: the range is taken up to the next type
 * the metadata names, a superset (on node 20 a class constructor is
 * first+15, so the fixed count of 15 other tools use would miss it).
 */
static void derive_js_function_range(struct v8_layout *l, const struct v8_meta *meta, size_t n)
{
	struct v8_const *first = &l->c[V8C_TYPE_JS_FUNCTION_FIRST];
	int64_t next = INT64_MAX;
	const char *next_name = NULL;

	if (!first->found && l->c[V8C_TYPE_JS_FUNCTION].found)
		set_const(l, V8C_TYPE_JS_FUNCTION_FIRST, l->c[V8C_TYPE_JS_FUNCTION].value,
			  "derived: = type.JS_FUNCTION");
	if (!first->found || l->c[V8C_TYPE_JS_FUNCTION_LAST].found)
		return;
	for (size_t i = 0; i < n; i++)
		if (has_prefix(meta[i].name, "type_") && meta[i].value > first->value &&
		    meta[i].value < next) {
			next = meta[i].value;
			next_name = meta[i].name;
		}
	if (next_name && next - first->value < 64)
		set_const(l, V8C_TYPE_JS_FUNCTION_LAST, next - 1,
			  "derived: below the next named type (%s)", next_name);
}

/* Where the walker tells builtins (the embedded blob) from node's C++. */
static int read_code_ranges(struct v8_layout *l, struct elf_file *ef)
{
	const uint8_t *data;
	struct elf_sym blob, size_sym;
	uint32_t size;
	size_t text_size;

	if (!elf_file__section(ef, ".text", &l->text.vaddr, &data, &text_size)) {
		l->text.size = text_size;
		elf_file__vaddr_to_offset(ef, l->text.vaddr, &l->text.file_off);
	}
	if (elf_file__lookup(ef, SYM_BLOB, &blob) ||
	    elf_file__lookup(ef, SYM_BLOB_SIZE, &size_sym) ||
	    elf_file__read(ef, size_sym.addr, &size, sizeof(size)))
		return -ENOENT;
	l->blob.vaddr = blob.addr;
	l->blob.size = size;
	if (elf_file__vaddr_to_offset(ef, blob.addr, &l->blob.file_off))
		return -ENOENT;
	return 0;
}

struct builtin_scan {
	struct v8_layout *l;
	uint64_t lo, hi; /* extent of all Builtins_* */
};

static int scan_builtin(const struct elf_sym *s, void *ctx)
{
	struct builtin_scan *b = ctx;
	struct v8_layout *l = b->l;

	if (!s->is_func || !has_prefix(s->name, "Builtins_"))
		return 0;
	l->nbuiltins++;
	if (s->addr < b->lo)
		b->lo = s->addr;
	if (s->addr + s->size > b->hi)
		b->hi = s->addr + s->size;
	for (int i = 0; i < V8B_COUNT; i++) {
		struct v8_builtin *bi = &l->builtins[i];

		if (!bi->found && !strcmp(s->name + strlen("Builtins_"), builtin_names[i]) &&
		    s->addr >= l->blob.vaddr) {
			bi->found = true;
			bi->blob_off = s->addr - l->blob.vaddr;
			bi->size = s->size;
		}
	}
	return 0;
}

/* Whether each builtin's code sets up an rbp frame (55 48 89 e5). */
static void find_rbp_frames(struct v8_layout *l, struct elf_file *ef)
{
	static const uint8_t prologue[] = {0x55, 0x48, 0x89, 0xe5};
	uint8_t code[4096];

	for (int i = 0; i < V8B_COUNT; i++) {
		struct v8_builtin *b = &l->builtins[i];

		if (b->found && b->size <= sizeof(code) &&
		    !elf_file__read(ef, l->blob.vaddr + b->blob_off, code, b->size))
			b->rbp_frame = memmem(code, b->size, prologue, sizeof(prologue)) != NULL;
	}
}

static void read_version(struct v8_layout *l, struct elf_file *ef, const struct scan *sc)
{
	for (int i = 0; i < 4; i++) {
		int32_t v;

		if (!sc->version_addr[i] ||
		    elf_file__read(ef, sc->version_addr[i], &v, sizeof(v))) {
			l->version[0] = 0;
			return;
		}
		l->version[i] = v;
	}
}

static void missing_required(struct v8_layout *l)
{
	size_t len = 0;

	for (int id = 0; id < V8C_COUNT; id++) {
		if (l->c[id].found || !v8_const_specs[id].required)
			continue;
		if (!len)
			len = snprintf(l->error, sizeof(l->error), "V8 metadata lacks");
		if (len < sizeof(l->error))
			len += snprintf(l->error + len, sizeof(l->error) - len, " %s",
					v8_const_specs[id].name);
	}
	if (len && len < sizeof(l->error))
		snprintf(l->error + len, sizeof(l->error) - len, V8_UNAVAILABLE);
}

int v8_layout__resolve(const char *path, struct v8_layout *out)
{
	struct scan sc = {0};
	struct builtin_scan bs = {.l = out, .lo = UINT64_MAX};
	int err;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < V8B_COUNT; i++)
		out->builtins[i].name = builtin_names[i];
	snprintf(out->path, sizeof(out->path), "%s", path);
	sc.ef = elf_file__open(path);
	if (!sc.ef) {
		err = -errno;
		snprintf(out->error, sizeof(out->error), "%s: %s", path, strerror(-err));
		return err;
	}
	snprintf(out->build_id, sizeof(out->build_id), "%s", elf_file__build_id(sc.ef));
	elf_file__for_each_symbol(sc.ef, scan_symbol, &sc);
	if ((err = sc.err))
		goto cleanup;
	out->nmeta = sc.nmeta;
	if (!sc.nmeta) {
		err = -ESRCH;
		snprintf(out->error, sizeof(out->error), "no v8dbg_* metadata" V8_UNAVAILABLE);
		goto cleanup;
	}
	read_version(out, sc.ef, &sc);
	out->leaptiering = sc.dispatch_table;
	read_consts(out, sc.meta, sc.nmeta);
	read_frame_types(out, sc.meta, sc.nmeta);
	derive_frame_links(out);
	derive_js_function_range(out, sc.meta, sc.nmeta);
	derive_js_function(out, sc.meta, sc.nmeta);
	derive_sfi_function_data(out, sc.meta, sc.nmeta);
	missing_required(out);
	if (out->error[0]) {
		err = -ENOTSUP;
		goto cleanup;
	}
	if (read_code_ranges(out, sc.ef)) {
		err = -ENOTSUP;
		snprintf(out->error, sizeof(out->error),
			 "no embedded builtins blob (" SYM_BLOB " is in .symtab only: stripped "
			 "binary?)" V8_UNAVAILABLE);
		goto cleanup;
	}
	elf_file__for_each_symbol(sc.ef, scan_builtin, &bs);
	find_rbp_frames(out, sc.ef);
	err = v8_layout__check(out, sc.meta, sc.nmeta, bs.lo, bs.hi);
cleanup:
	free(sc.meta);
	elf_file__close(sc.ef);
	return err;
}
