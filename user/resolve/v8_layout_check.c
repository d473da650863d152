// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Cross-checks of a V8 layout read from the metadata: relations V8's own
 * definitions impose (frame-constants.h, instance-type.h, the string tag
 * bits), plausible ranges and alignment, and agreement with the code the
 * binary carries. Each check is recorded for doctor; the first failure is
 * the error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "resolve/v8_layout_int.h"

#define C(id) (l->c[V8C_##id])

/* Tagging: the walker reads 8-byte tagged words and 32-bit SMIs in their upper half. */
static int check_tagging(struct v8_layout *l)
{
	int64_t ptr = C(POINTER_SIZE).value, tagged = C(TAGGED_SIZE).value;
	int64_t value_shift = C(SMI_VALUE_SHIFT).found ? C(SMI_VALUE_SHIFT).value : 1;

	if (ptr != 8 || tagged != ptr) {
		snprintf(l->error, sizeof(l->error),
			 "TaggedSize %lld, SystemPointerSize %lld (pointer compression or not "
			 "64-bit)" V8_UNAVAILABLE,
			 (long long)tagged, (long long)ptr);
		return -ENOTSUP;
	}
	v8_layout__add_check(l, true,
			     "tagging: TaggedSize = SystemPointerSize = 8 (no pointer "
			     "compression)");
	v8_layout__add_check(l, C(SMI_SHIFT_SIZE).value + value_shift == 32,
			     "tagging: SmiShiftSize %lld + tag bits %lld = 32 (SMI value in the "
			     "upper half)",
			     (long long)C(SMI_SHIFT_SIZE).value, (long long)value_shift);
	v8_layout__add_check(
		l,
		(C(HEAP_OBJECT_TAG).value & ~C(HEAP_OBJECT_TAG_MASK).value) == 0 &&
			(C(HEAP_OBJECT_TAG).value & C(SMI_TAG_MASK).value) != C(SMI_TAG).value &&
			(C(SMI_TAG_MASK).value & ~C(HEAP_OBJECT_TAG_MASK).value) == 0,
		"tagging: HeapObjectTag %lld within its mask %lld, never a SMI (SmiTag %lld, "
		"mask %lld)",
		(long long)C(HEAP_OBJECT_TAG).value, (long long)C(HEAP_OBJECT_TAG_MASK).value,
		(long long)C(SMI_TAG).value, (long long)C(SMI_TAG_MASK).value);
	return 0;
}

/* The standard and interpreted frame layout of V8's frame-constants.h. */
static void check_frame(struct v8_layout *l)
{
	int64_t p = C(POINTER_SIZE).value, ctx = C(FP_CONTEXT).value, fn = C(FP_FUNCTION).value;
	int64_t ba = C(FP_BYTECODE_ARRAY).value, bo = C(FP_BYTECODE_OFFSET).value;
	bool aligned = true;

	for (int id = 0; id < V8C_COUNT; id++)
		if (v8_const_specs[id].kind == V8K_FP && l->c[id].found)
			aligned &= l->c[id].value % p == 0 && l->c[id].value >= -16 * p &&
				   l->c[id].value <= 16 * p;
	v8_layout__add_check(l, aligned, "frame: every fp slot a multiple of 8 within 16 words");
	v8_layout__add_check(l, ctx == -p && fn == ctx - p,
			     "frame: context/marker just below the saved fp (%lld), function "
			     "below it (%lld)",
			     (long long)ctx, (long long)fn);
	v8_layout__add_check(l, ba < fn && bo == ba - p,
			     "frame: bytecode array (%lld) below the function, bytecode offset "
			     "right below it (%lld)",
			     (long long)ba, (long long)bo);
	if (C(FP_ARGS).found)
		v8_layout__add_check(
			l, C(FP_ARGS).value == C(FP_RETURN_ADDRESS).value + p,
			"frame: arguments (%lld) right above the return address (%lld)",
			(long long)C(FP_ARGS).value, (long long)C(FP_RETURN_ADDRESS).value);
}

static void check_frame_types(struct v8_layout *l)
{
	static const char *const needed[] = {"EntryFrame", "ExitFrame", "InterpretedFrame"};
	bool ok = l->nframe_types > 0;

	/* markers are SMIs of a small enum; sorted, so duplicates are neighbours */
	for (int i = 0; i < l->nframe_types; i++)
		ok &= l->frame_types[i].value > 0 && l->frame_types[i].value < V8_MAX_FRAME_TYPES &&
		      (i == 0 || l->frame_types[i].value != l->frame_types[i - 1].value);
	v8_layout__add_check(l, ok, "frame types: %d, distinct, each in 1..63", l->nframe_types);
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		v8_layout__add_check(l, v8_layout__frame_type(l, needed[i]) > 0,
				     "frame types: %s named", needed[i]);
}

/* Instance types: distinct, above the strings, the JSFunction range clear of them. */
static void check_types(struct v8_layout *l)
{
	int64_t first = C(TYPE_JS_FUNCTION_FIRST).value, last = C(TYPE_JS_FUNCTION_LAST).value;
	int64_t nonstring = C(FIRST_NONSTRING_TYPE).value;
	bool distinct = true, above = true, outside = true;

	for (int a = 0; a < V8C_COUNT; a++) {
		if (v8_const_specs[a].kind != V8K_TYPE || !l->c[a].found ||
		    a == V8C_TYPE_JS_FUNCTION || a == V8C_TYPE_JS_FUNCTION_FIRST ||
		    a == V8C_TYPE_JS_FUNCTION_LAST)
			continue;
		above &= l->c[a].value >= nonstring && l->c[a].value <= 0xffff;
		outside &= l->c[a].value < first || l->c[a].value > last;
		for (int b = a + 1; b < V8C_COUNT; b++)
			if (v8_const_specs[b].kind == V8K_TYPE && l->c[b].found &&
			    b != V8C_TYPE_JS_FUNCTION_FIRST && b != V8C_TYPE_JS_FUNCTION_LAST)
				distinct &= l->c[a].value != l->c[b].value;
	}
	v8_layout__add_check(l, distinct,
			     "types: SharedFunctionInfo, Script, ScopeInfo, ... "
			     "distinct");
	v8_layout__add_check(l, above, "types: all at or above FirstNonstringType (%lld)",
			     (long long)nonstring);
	v8_layout__add_check(
		l,
		first <= C(TYPE_JS_FUNCTION).value && C(TYPE_JS_FUNCTION).value <= last &&
			last - first < 64 && first > nonstring && outside,
		"types: JS_FUNCTION_TYPE %lld in the JSFunction range %lld..%lld, "
		"no other named type inside",
		(long long)C(TYPE_JS_FUNCTION).value, (long long)first, (long long)last);
}

/*
 * Every string instance type the metadata names must decode, through the
 * tag masks, to the representation and encoding its name says.
 */
static void check_strings(struct v8_layout *l, const struct v8_meta *meta, size_t n)
{
	int checked = 0;
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		const char *name = meta[i].name, *sep;
		int64_t v = meta[i].value, repr, enc;
		char class[64];

		if (strncmp(name, "type_", 5) || !(sep = strstr(name, "__")) ||
		    (size_t)(sep - name - 5) >= sizeof(class))
			continue;
		snprintf(class, sizeof(class), "%.*s", (int)(sep - name - 5), name + 5);
		if (strlen(class) < 6 || strcmp(class + strlen(class) - 6, "String"))
			continue;
		if (strstr(class, "Cons"))
			repr = C(CONS_STRING_TAG).value;
		else if (strstr(class, "Sliced"))
			repr = C(SLICED_STRING_TAG).value;
		else if (strstr(class, "Thin"))
			repr = C(THIN_STRING_TAG).value;
		else if (strstr(class, "External"))
			repr = C(EXTERNAL_STRING_TAG).value;
		else
			repr = C(SEQ_STRING_TAG).value; /* Seq*, Internalized */
		enc = strstr(sep, "ONE_BYTE") ? C(ONE_BYTE_STRING_TAG).value :
						C(TWO_BYTE_STRING_TAG).value;
		checked++;
		if (v < C(FIRST_NONSTRING_TYPE).value && !(v & C(IS_NOT_STRING_MASK).value) &&
		    (v & C(STRING_REPR_MASK).value) == repr &&
		    (v & C(STRING_ENCODING_MASK).value) == enc)
			continue;
		if (ok)
			v8_layout__add_check(l, false,
					     "strings: %s = %lld does not decode as named", name,
					     (long long)v);
		ok = false;
	}
	if (ok)
		v8_layout__add_check(l, checked >= 8,
				     "strings: %d string types decode to the representation and "
				     "encoding their names say",
				     checked);
}

/* Field offsets: aligned to their size, plausible, distinct within one class. */
static void check_fields(struct v8_layout *l)
{
	static const int align[] = {
		[V8K_FIELD8] = 8, [V8K_FIELD4] = 4, [V8K_FIELD2] = 2, [V8K_FIELD1] = 1};
	bool ok = true, distinct = true;

	for (int a = 0; a < V8C_COUNT; a++) {
		enum v8_const_kind k = v8_const_specs[a].kind;
		const char *dot = strchr(v8_const_specs[a].name, '.');

		if (!l->c[a].found)
			continue;
		if (k == V8K_INDEX)
			ok &= l->c[a].value >= 0 && l->c[a].value < 32;
		if (k < V8K_FIELD8 || k > V8K_FIELD1)
			continue;
		ok &= l->c[a].value >= 0 && l->c[a].value < 1024 && l->c[a].value % align[k] == 0;
		/* every field of an object lies past its map word */
		if (a != V8C_HEAP_OBJECT_MAP)
			ok &= l->c[a].value > C(HEAP_OBJECT_MAP).value;
		for (int b = a + 1; b < V8C_COUNT && dot; b++)
			if (l->c[b].found && v8_const_specs[b].kind == V8K_FIELD8 &&
			    k == V8K_FIELD8 &&
			    !strncmp(v8_const_specs[b].name, v8_const_specs[a].name,
				     dot - v8_const_specs[a].name + 1))
				distinct &= l->c[a].value != l->c[b].value;
	}
	v8_layout__add_check(l, ok,
			     "fields: offsets aligned to their size, past the map, "
			     "below 1024; ScopeInfo indexes below 32");
	v8_layout__add_check(l, distinct,
			     "fields: tagged fields of one class at distinct "
			     "offsets");
	v8_layout__add_check(l, C(SEQ_ONE_BYTE_CHARS).value >= C(STRING_LENGTH).value + 4,
			     "fields: string characters (%lld) after the 32-bit length (%lld)",
			     (long long)C(SEQ_ONE_BYTE_CHARS).value,
			     (long long)C(STRING_LENGTH).value);
}

/* The embedded blob inside .text, holding every Builtins_* symbol. */
static void check_code(struct v8_layout *l, uint64_t lo, uint64_t hi)
{
	const struct v8_code_range *b = &l->blob, *t = &l->text;
	bool all = true;

	v8_layout__add_check(
		l, b->size && b->vaddr >= t->vaddr && b->vaddr + b->size <= t->vaddr + t->size,
		"code: embedded blob 0x%llx+0x%llx inside .text", (unsigned long long)b->vaddr,
		(unsigned long long)b->size);
	if (l->nbuiltins)
		v8_layout__add_check(l, lo >= b->vaddr && hi <= b->vaddr + b->size,
				     "code: all %d Builtins_* symbols inside the blob",
				     l->nbuiltins);
	for (int i = 0; i < V8B_COUNT; i++)
		all &= l->builtins[i].found &&
		       l->builtins[i].blob_off + l->builtins[i].size <= b->size;
	v8_layout__add_check(l, all, "code: interpreter trampolines and JSEntry inside the blob");
	/* the EnterAt* entries resume a frame the trampoline built: no prologue */
	v8_layout__add_check(l,
			     l->builtins[V8B_INTERPRETER_ENTRY].rbp_frame &&
				     l->builtins[V8B_JS_ENTRY].rbp_frame,
			     "code: InterpreterEntryTrampoline and JSEntry build rbp frames "
			     "(push %%rbp; mov %%rsp,%%rbp)");
}

int v8_layout__check(struct v8_layout *l, const struct v8_meta *meta, size_t n,
		     uint64_t builtins_lo, uint64_t builtins_hi)
{
	int err = check_tagging(l);

	if (err)
		return err;
	check_frame(l);
	check_frame_types(l);
	check_types(l);
	check_strings(l, meta, n);
	check_fields(l);
	check_code(l, builtins_lo, builtins_hi);
	if (l->version[0])
		v8_layout__add_check(l, l->version[0] >= 8 && l->version[0] < 100,
				     "version: V8 %d.%d.%d.%d", l->version[0], l->version[1],
				     l->version[2], l->version[3]);
	for (int i = 0; i < l->nchecks; i++)
		if (!l->checks[i].ok) {
			snprintf(l->error, sizeof(l->error),
				 "V8 layout failed a cross-check (%s)" V8_UNAVAILABLE,
				 l->checks[i].what);
			return -EPROTO;
		}
	return 0;
}
