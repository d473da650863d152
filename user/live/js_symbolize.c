// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SharedFunctionInfo -> (function name, script), read from the target's heap.
 *
 * The probe only reads the SFI address: names are resolved here, once per
 * SFI, and the entry is kept while the SFI's first 48 bytes (its map, name
 * or ScopeInfo, and script words on every tested line) read back the same.
 * SFIs live in old space and move only when a compacting GC evacuates
 * their page; a changed fingerprint is counted as stale and resolved anew.
 * Nothing is guessed: what does not decode as the metadata says is dropped.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event.h"
#include "lib/json_writer.h"
#include "live/js_symbolize.h"
#include "resolve/proc.h"

#define SFI_CACHE    4096 /* entries, a power of two */
#define SFI_FP_WORDS 6	  /* the fingerprint: the SFI's first 48 bytes */
#define NAME_MAX_LEN 256
#define STRING_DEPTH 8 /* cons and thin strings followed this deep */
#define SCOPE_SCAN   4 /* ScopeInfo slots tried for the function name */

struct sfi_entry {
	uint64_t sfi;
	uint64_t fp[SFI_FP_WORDS];
	const char *fn, *script; /* interned; NULL: no such thing */
	int pid;
	uint64_t checked; /* the drain its fingerprint was last checked in */
};

struct js_symbolizer {
	struct v8_layout l;
	struct sfi_entry cache[SFI_CACHE];
	uint64_t stale;
	uint64_t drain; /* js_symbolizer_drain() calls: 1 at the start */
};

#define C(s, id)   ((s)->l.c[V8C_##id].value)
#define HAS(s, id) ((s)->l.c[V8C_##id].found)

int js_walk_offsets(const struct v8_layout *l, struct js_walk_off *out)
{
	int64_t lo = l->c[V8C_FP_BYTECODE_OFFSET].value;

	if (!l->c[V8C_FP_FUNCTION].found || !l->c[V8C_FP_CONTEXT].found ||
	    !l->c[V8C_FP_BYTECODE_OFFSET].found || !l->c[V8C_JS_FUNCTION_SHARED].found)
		return -ENOTSUP;
	if (l->c[V8C_FP_FUNCTION].value < lo)
		lo = l->c[V8C_FP_FUNCTION].value;
	if (l->c[V8C_FP_CONTEXT].value < lo)
		lo = l->c[V8C_FP_CONTEXT].value;
	/* the BPF window is 8 words from fp_lo and must reach [fp + 8]; the
	 * symbolizer's fingerprint covers the SFI's first 48 bytes */
	if (lo % 8 || lo < -48 || l->c[V8C_SFI_SCRIPT].value >= 8 * SFI_FP_WORDS ||
	    l->c[V8C_SFI_NAME_OR_SCOPE_INFO].value >= 8 * SFI_FP_WORDS)
		return -ENOTSUP;
	out->fp_lo = lo;
	out->fp_function = l->c[V8C_FP_FUNCTION].value;
	out->fp_context = l->c[V8C_FP_CONTEXT].value;
	out->fp_bytecode_off = l->c[V8C_FP_BYTECODE_OFFSET].value;
	out->function_shared = l->c[V8C_JS_FUNCTION_SHARED].value;
	out->smi_shift = l->c[V8C_SMI_SHIFT_SIZE].value + l->c[V8C_SMI_TAG_MASK].value;
	return 0;
}

struct js_symbolizer *js_symbolizer_new(const struct v8_layout *l)
{
	struct js_symbolizer *s = calloc(1, sizeof(*s));

	if (s) {
		s->l = *l;
		s->drain = 1;
	}
	return s;
}

void js_symbolizer_drain(struct js_symbolizer *s)
{
	if (s)
		s->drain++;
}

void js_symbolizer_free(struct js_symbolizer *s)
{
	free(s);
}

uint64_t js_symbolizer_stale(const struct js_symbolizer *s)
{
	return s ? s->stale : 0;
}

static int read_word(int pid, uint64_t addr, uint64_t *v)
{
	return proc_read_mem(pid, addr, v, sizeof(*v));
}

/* A tagged pointer's field: the object starts at v - heap tag. */
static int read_field(const struct js_symbolizer *s, int pid, uint64_t obj, int64_t off,
		      uint64_t *v)
{
	if ((obj & C(s, HEAP_OBJECT_TAG_MASK)) != (uint64_t)C(s, HEAP_OBJECT_TAG))
		return -EINVAL;
	return read_word(pid, obj - C(s, HEAP_OBJECT_TAG) + off, v);
}

/* The instance type of a heap object, through its map; -1 if unreadable. */
static int instance_type(const struct js_symbolizer *s, int pid, uint64_t obj)
{
	uint64_t map;
	uint16_t type;

	if (read_field(s, pid, obj, C(s, HEAP_OBJECT_MAP), &map) ||
	    (map & C(s, HEAP_OBJECT_TAG_MASK)) != (uint64_t)C(s, HEAP_OBJECT_TAG) ||
	    proc_read_mem(pid, map - C(s, HEAP_OBJECT_TAG) + C(s, MAP_INSTANCE_TYPE), &type,
			  sizeof(type)))
		return -1;
	return type;
}

static uint64_t smi_value(const struct js_symbolizer *s, uint64_t v)
{
	return v >> (C(s, SMI_SHIFT_SIZE) + C(s, SMI_TAG_MASK));
}

/* Appends the string's characters (one-byte; two-byte ones as '?' past
 * ASCII) to out[*len..cap-1]. 0, or -errno when it is no string we read. */
static int read_string(const struct js_symbolizer *s, int pid, uint64_t str, char *out, size_t *len,
		       size_t cap, int depth)
{
	int type = instance_type(s, pid, str);
	uint64_t v, off = 0;
	uint32_t n;
	int repr, two;

	if (type < 0 || type >= C(s, FIRST_NONSTRING_TYPE) || depth > STRING_DEPTH)
		return -EINVAL;
	repr = type & C(s, STRING_REPR_MASK);
	two = (type & C(s, STRING_ENCODING_MASK)) == C(s, TWO_BYTE_STRING_TAG);
	if (repr == C(s, CONS_STRING_TAG)) {
		if (read_field(s, pid, str, C(s, CONS_FIRST), &v) ||
		    read_string(s, pid, v, out, len, cap, depth + 1))
			return -EINVAL;
		if (read_field(s, pid, str, C(s, CONS_SECOND), &v))
			return -EINVAL;
		return read_string(s, pid, v, out, len, cap, depth + 1);
	}
	if (repr == C(s, THIN_STRING_TAG)) {
		if (read_field(s, pid, str, C(s, THIN_ACTUAL), &v))
			return -EINVAL;
		return read_string(s, pid, v, out, len, cap, depth + 1);
	}
	if (repr != C(s, SEQ_STRING_TAG))
		return -ENOTSUP; /* sliced and external names: not read yet */
	if (proc_read_mem(pid, str - C(s, HEAP_OBJECT_TAG) + C(s, STRING_LENGTH), &n, sizeof(n)))
		return -EINVAL;
	for (uint32_t i = 0; i < n && *len + 1 < cap; i++) {
		unsigned char ch[2];

		if (proc_read_mem(pid,
				  str - C(s, HEAP_OBJECT_TAG) +
					  (two ? C(s, SEQ_TWO_BYTE_CHARS) + 2 * (off + i) :
						 C(s, SEQ_ONE_BYTE_CHARS) + off + i),
				  ch, two ? 2 : 1))
			return -EINVAL;
		out[(*len)++] = (two && ch[1]) || ch[0] >= 0x80 ? '?' : (char)ch[0];
	}
	out[*len] = '\0';
	return 0;
}

static const char *string_or_null(const struct js_symbolizer *s, int pid, uint64_t str)
{
	char buf[NAME_MAX_LEN];
	size_t len = 0;

	buf[0] = '\0';
	if (read_string(s, pid, str, buf, &len, sizeof(buf), 0))
		return NULL;
	return intern(buf);
}

/*
 * A compiled function's name sits in its ScopeInfo, right after the
 * context locals' names and infos (V8's FunctionVariableInfo, or the saved
 * class variable before it): the first String there. Inline local names
 * only (V8 keeps up to 75 inline), else the name is not looked for.
 */
static const char *scope_info_name(const struct js_symbolizer *s, int pid, uint64_t si)
{
	uint64_t nlocals, v;
	int64_t first;

	if (!HAS(s, SCOPE_INFO_NCONTEXTLOCALS) || !HAS(s, SCOPE_INFO_FIRST_VARS) ||
	    read_field(s, pid, si, 8 + 8 * C(s, SCOPE_INFO_NCONTEXTLOCALS), &nlocals))
		return NULL;
	nlocals = smi_value(s, nlocals);
	if (nlocals > 75)
		return NULL;
	first = C(s, SCOPE_INFO_FIRST_VARS) + 2 * (int64_t)nlocals;
	for (int i = 0; i < SCOPE_SCAN; i++) {
		const char *name;

		if (read_field(s, pid, si, 8 + 8 * (first + i), &v) ||
		    (v & C(s, HEAP_OBJECT_TAG_MASK)) != (uint64_t)C(s, HEAP_OBJECT_TAG))
			continue;
		name = string_or_null(s, pid, v);
		if (name)
			return name;
	}
	return NULL;
}

/* Fills e for sfi from the fingerprint words; -EINVAL if it is no SFI. */
static int resolve_sfi(const struct js_symbolizer *s, int pid, uint64_t sfi, struct sfi_entry *e)
{
	uint64_t nosi, script;
	int type;

	if (instance_type(s, pid, sfi) != C(s, TYPE_SFI))
		return -EINVAL;
	e->fn = NULL;
	e->script = NULL;
	if (!read_field(s, pid, sfi, C(s, SFI_NAME_OR_SCOPE_INFO), &nosi)) {
		type = instance_type(s, pid, nosi);
		if (type >= 0 && type < C(s, FIRST_NONSTRING_TYPE))
			e->fn = string_or_null(s, pid, nosi);
		else if (type == C(s, TYPE_SCOPE_INFO))
			e->fn = scope_info_name(s, pid, nosi);
	}
	if (!read_field(s, pid, sfi, C(s, SFI_SCRIPT), &script) &&
	    instance_type(s, pid, script) == C(s, TYPE_SCRIPT) &&
	    !read_field(s, pid, script, C(s, SCRIPT_NAME), &script))
		e->script = string_or_null(s, pid, script);
	return 0;
}

/* The words the names come from: map, name_or_scope_info, script (not
 * function_data, which changes as the function tiers up). */
static bool same_sfi(const struct js_symbolizer *s, const uint64_t *a, const uint64_t *b)
{
	int name = C(s, SFI_NAME_OR_SCOPE_INFO) / 8, script = C(s, SFI_SCRIPT) / 8;

	return a[0] == b[0] && a[name] == b[name] && a[script] == b[script];
}

/* The cached entry of sfi, checked against its fingerprint; NULL: no SFI. */
static const struct sfi_entry *lookup(struct js_symbolizer *s, int pid, uint64_t sfi)
{
	struct sfi_entry *e = &s->cache[(sfi >> 3) * 0x9e3779b97f4a7c15ULL >> 52 & (SFI_CACHE - 1)];
	uint64_t fp[SFI_FP_WORDS];

	/* checked in this drain already: the records of one drain were made
	 * within ~100 ms, and a GC that moved the SFI since shows at the next */
	if (e->sfi == sfi && e->pid == pid && e->checked == s->drain)
		return e;
	if ((sfi & C(s, HEAP_OBJECT_TAG_MASK)) != (uint64_t)C(s, HEAP_OBJECT_TAG) ||
	    proc_read_mem(pid, sfi - C(s, HEAP_OBJECT_TAG), fp, sizeof(fp)))
		return NULL;
	if (e->sfi == sfi && e->pid == pid) {
		e->checked = s->drain;
		if (same_sfi(s, e->fp, fp))
			return e;
		s->stale++;
	}
	e->sfi = 0;
	if (resolve_sfi(s, pid, sfi, e))
		return NULL;
	e->sfi = sfi;
	e->pid = pid;
	e->checked = s->drain;
	memcpy(e->fp, fp, sizeof(fp));
	return e;
}

static void write_str_or_null(FILE *f, const char *v)
{
	if (v)
		json_write_escaped(f, v);
	else
		fputs("null", f);
}

const char *js_symbolize(struct js_symbolizer *s, const struct ev_js_stack *r, size_t size)
{
	const char *out = NULL;
	char *buf = NULL;
	size_t len = 0;
	uint32_t n = 0;
	FILE *f;

	if (size < offsetof(struct ev_js_stack, frames) || r->nframes > JS_MAX_FRAMES ||
	    size < offsetof(struct ev_js_stack, frames) + r->nframes * sizeof(r->frames[0]))
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputc('[', f);
	for (uint32_t i = 0; i < r->nframes; i++) {
		const struct sfi_entry *e = lookup(s, r->h.pid, r->frames[i].sfi);

		if (!e)
			continue; /* a C++ frame whose slots looked like JS */
		fputs(n++ ? ",{\"fn\":" : "{\"fn\":", f);
		write_str_or_null(f, e->fn);
		fputs(",\"script\":", f);
		write_str_or_null(f, e->script);
		fputs(",\"line\":null,\"kind\":\"js\"}", f);
	}
	fputc(']', f);
	if (!fclose(f))
		out = intern(buf);
	free(buf);
	return out;
}
