/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * V8's per-build constants, read from a node binary's postmortem metadata
 * (the v8dbg_* symbols V8's gen-postmortem-metadata.py emits; node keeps
 * them in .dynsym): what a frame-pointer walker needs to tell JS frames
 * from others and find their function, and what a symbolizer needs to name
 * it (object, string and script layouts). Nothing is typed in per build:
 * each constant comes from a symbol or a rule stated with it, and is
 * cross-checked (docs/internals.md "How offsets are found", docs/js-stacks-design.md).
 */
#ifndef __ASYNCSCOPE_V8_LAYOUT_H
#define __ASYNCSCOPE_V8_LAYOUT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * X(id, name, required, kind, symbols...): the symbols are v8dbg_ names
 * without the prefix, V8's spellings across versions; where several exist
 * they must agree. "required" ones are needed to name a JS frame's function
 * and script; without one JS stacks are unavailable for the build.
 */
#define V8_LAYOUT_CONSTS(X)                                                                        \
	X(HEAP_OBJECT_TAG, "tag.heap_object", 1, V8K_TAG, "HeapObjectTag")                         \
	X(HEAP_OBJECT_TAG_MASK, "tag.heap_object_mask", 1, V8K_TAG, "HeapObjectTagMask")           \
	X(SMI_TAG, "tag.smi", 1, V8K_TAG, "SmiTag")                                                \
	X(SMI_TAG_MASK, "tag.smi_mask", 1, V8K_TAG, "SmiTagMask")                                  \
	X(SMI_SHIFT_SIZE, "tag.smi_shift_size", 1, V8K_TAG, "SmiShiftSize")                        \
	X(SMI_VALUE_SHIFT, "tag.smi_value_shift", 0, V8K_TAG, "SmiValueShift")                     \
	X(TAGGED_SIZE, "tag.tagged_size", 1, V8K_TAG, "TaggedSize")                                \
	X(POINTER_SIZE, "tag.pointer_size", 1, V8K_TAG, "SystemPointerSize")                       \
	X(FP_CONTEXT, "fp.context_or_marker", 1, V8K_FP, "off_fp_context",                         \
	  "off_fp_context_or_frame_type")                                                          \
	X(FP_FUNCTION, "fp.function", 1, V8K_FP, "off_fp_function")                                \
	X(FP_BYTECODE_ARRAY, "fp.bytecode_array", 1, V8K_FP, "off_fp_bytecode_array")              \
	X(FP_BYTECODE_OFFSET, "fp.bytecode_offset", 1, V8K_FP, "off_fp_bytecode_offset")           \
	X(FP_ARGS, "fp.args", 0, V8K_FP, "off_fp_args")                                            \
	X(FP_CALLER_FP, "fp.caller_fp", 1, V8K_FP, NULL)                                           \
	X(FP_RETURN_ADDRESS, "fp.return_address", 1, V8K_FP, NULL)                                 \
	X(HEAP_OBJECT_MAP, "HeapObject.map", 1, V8K_FIELD8, "class_HeapObject__map__Map")          \
	X(MAP_INSTANCE_TYPE, "Map.instance_type", 1, V8K_FIELD2,                                   \
	  "class_Map__instance_type__uint16_t")                                                    \
	X(TYPE_JS_FUNCTION, "type.JS_FUNCTION", 1, V8K_TYPE, "type_JSFunction__JS_FUNCTION_TYPE")  \
	X(TYPE_JS_FUNCTION_FIRST, "type.js_function_first", 1, V8K_TYPE, "FirstJSFunctionType")    \
	X(TYPE_JS_FUNCTION_LAST, "type.js_function_last", 1, V8K_TYPE, "LastJSFunctionType")       \
	X(TYPE_SFI, "type.SHARED_FUNCTION_INFO", 1, V8K_TYPE,                                      \
	  "type_SharedFunctionInfo__SHARED_FUNCTION_INFO_TYPE")                                    \
	X(TYPE_SCRIPT, "type.SCRIPT", 1, V8K_TYPE, "type_Script__SCRIPT_TYPE")                     \
	X(TYPE_SCOPE_INFO, "type.SCOPE_INFO", 1, V8K_TYPE, "type_ScopeInfo__SCOPE_INFO_TYPE")      \
	X(TYPE_BYTECODE_ARRAY, "type.BYTECODE_ARRAY", 0, V8K_TYPE,                                 \
	  "type_BytecodeArray__BYTECODE_ARRAY_TYPE")                                               \
	X(TYPE_CODE, "type.CODE", 0, V8K_TYPE, "type_Code__CODE_TYPE")                             \
	X(TYPE_FIXED_ARRAY, "type.FIXED_ARRAY", 0, V8K_TYPE, "type_FixedArray__FIXED_ARRAY_TYPE")  \
	X(TYPE_MAP, "type.MAP", 0, V8K_TYPE, "type_Map__MAP_TYPE")                                 \
	X(FIRST_NONSTRING_TYPE, "type.first_nonstring", 1, V8K_VALUE, "FirstNonstringType")        \
	X(IS_NOT_STRING_MASK, "string.is_not_string_mask", 1, V8K_VALUE, "IsNotStringMask")        \
	X(STRING_REPR_MASK, "string.representation_mask", 1, V8K_VALUE,                            \
	  "StringRepresentationMask")                                                              \
	X(STRING_ENCODING_MASK, "string.encoding_mask", 1, V8K_VALUE, "StringEncodingMask")        \
	X(SEQ_STRING_TAG, "string.seq_tag", 1, V8K_VALUE, "SeqStringTag")                          \
	X(CONS_STRING_TAG, "string.cons_tag", 1, V8K_VALUE, "ConsStringTag")                       \
	X(EXTERNAL_STRING_TAG, "string.external_tag", 1, V8K_VALUE, "ExternalStringTag")           \
	X(SLICED_STRING_TAG, "string.sliced_tag", 1, V8K_VALUE, "SlicedStringTag")                 \
	X(THIN_STRING_TAG, "string.thin_tag", 1, V8K_VALUE, "ThinStringTag")                       \
	X(ONE_BYTE_STRING_TAG, "string.one_byte_tag", 1, V8K_VALUE, "OneByteStringTag")            \
	X(TWO_BYTE_STRING_TAG, "string.two_byte_tag", 1, V8K_VALUE, "TwoByteStringTag")            \
	X(JS_OBJECT_HEADER, "JSObject.header_size", 0, V8K_FIELD8,                                 \
	  "class_JSObject__internal_fields__uintptr_t")                                            \
	X(JS_FUNCTION_SHARED, "JSFunction.shared", 1, V8K_FIELD8,                                  \
	  "class_JSFunction__shared__SharedFunctionInfo",                                          \
	  "class_JSFunction__shared__Tagged_SharedFunctionInfo_")                                  \
	X(JS_FUNCTION_CONTEXT, "JSFunction.context", 0, V8K_FIELD8,                                \
	  "class_JSFunction__context__Context", "class_JSFunction__context__Tagged_Context_")      \
	X(JS_FUNCTION_CODE, "JSFunction.code", 0, V8K_FIELD8, "class_JSFunction__code__Code",      \
	  "class_JSFunction__code__Tagged_Code_")                                                  \
	X(JS_FUNCTION_DISPATCH, "JSFunction.dispatch_handle", 0, V8K_FIELD4, NULL)                 \
	X(SFI_NAME_OR_SCOPE_INFO, "SharedFunctionInfo.name_or_scope_info", 1, V8K_FIELD8,          \
	  "class_SharedFunctionInfo__name_or_scope_info__Object",                                  \
	  "class_SharedFunctionInfo__name_or_scope_info__Tagged_Object_",                          \
	  "class_SharedFunctionInfo__name_or_scope_info__Tagged_NameOrScopeInfoT_")                \
	X(SFI_SCRIPT, "SharedFunctionInfo.script", 1, V8K_FIELD8,                                  \
	  "class_SharedFunctionInfo__script_or_debug_info__HeapObject",                            \
	  "class_SharedFunctionInfo__script_or_debug_info__Object",                                \
	  "class_SharedFunctionInfo__script__Tagged_HeapObject_",                                  \
	  "class_SharedFunctionInfo__raw_script__Tagged_Object_")                                  \
	X(SFI_FUNCTION_DATA, "SharedFunctionInfo.function_data", 0, V8K_FIELD8,                    \
	  "class_SharedFunctionInfo__function_data__Object",                                       \
	  "class_SharedFunctionInfo__function_data__Tagged_Object_")                               \
	X(SCRIPT_SOURCE, "Script.source", 1, V8K_FIELD8, "class_Script__source__Object")           \
	X(SCRIPT_NAME, "Script.name", 1, V8K_FIELD8, "class_Script__name__Object")                 \
	X(SCRIPT_LINE_ENDS, "Script.line_ends", 0, V8K_FIELD8, "class_Script__line_ends__Object")  \
	X(STRING_LENGTH, "String.length", 1, V8K_FIELD4, "class_String__length__int32_t")          \
	X(SEQ_ONE_BYTE_CHARS, "SeqOneByteString.chars", 1, V8K_FIELD1,                             \
	  "class_SeqOneByteString__chars__char")                                                   \
	X(SEQ_TWO_BYTE_CHARS, "SeqTwoByteString.chars", 1, V8K_FIELD1,                             \
	  "class_SeqTwoByteString__chars__char")                                                   \
	X(CONS_FIRST, "ConsString.first", 1, V8K_FIELD8, "class_ConsString__first__String")        \
	X(CONS_SECOND, "ConsString.second", 1, V8K_FIELD8, "class_ConsString__second__String")     \
	X(THIN_ACTUAL, "ThinString.actual", 1, V8K_FIELD8, "class_ThinString__actual__String")     \
	X(SLICED_PARENT, "SlicedString.parent", 0, V8K_FIELD8,                                     \
	  "class_SlicedString__parent__String")                                                    \
	X(SLICED_OFFSET, "SlicedString.offset", 0, V8K_FIELD8, "class_SlicedString__offset__SMI")  \
	X(EXTERNAL_RESOURCE, "ExternalString.resource", 0, V8K_FIELD8,                             \
	  "class_ExternalString__resource__Object")                                                \
	X(FIXED_ARRAY_LENGTH, "FixedArrayBase.length", 0, V8K_FIELD8,                              \
	  "class_FixedArrayBase__length__SMI")                                                     \
	X(FIXED_ARRAY_DATA, "FixedArray.data", 0, V8K_FIELD8, "class_FixedArray__data__uintptr_t") \
	X(SCOPE_INFO_NPARAMS, "ScopeInfo.idx_nparams", 0, V8K_INDEX, "scopeinfo_idx_nparams")      \
	X(SCOPE_INFO_NCONTEXTLOCALS, "ScopeInfo.idx_ncontextlocals", 0, V8K_INDEX,                 \
	  "scopeinfo_idx_ncontextlocals")                                                          \
	X(SCOPE_INFO_FIRST_VARS, "ScopeInfo.idx_first_vars", 0, V8K_INDEX,                         \
	  "scopeinfo_idx_first_vars")                                                              \
	X(BYTECODE_ARRAY_LENGTH, "BytecodeArray.length", 0, V8K_FIELD8,                            \
	  "class_BytecodeArray__length__SMI")                                                      \
	X(BYTECODE_ARRAY_DATA, "BytecodeArray.data", 0, V8K_FIELD1,                                \
	  "class_BytecodeArray__data__uintptr_t")                                                  \
	X(CODE_INSTRUCTION_START, "Code.instruction_start", 0, V8K_FIELD8,                         \
	  "class_Code__instruction_start__Address", "class_Code__instruction_start__uintptr_t")    \
	X(CODE_INSTRUCTION_SIZE, "Code.instruction_size", 0, V8K_FIELD4,                           \
	  "class_Code__instruction_size__int")                                                     \
	X(CODE_FLAGS, "Code.flags", 0, V8K_FIELD4, "class_Code__flags__uint32_t")                  \
	X(CODE_SOURCE_POSITIONS, "Code.source_position_table", 0, V8K_FIELD8,                      \
	  "class_Code__source_position_table__ByteArray",                                          \
	  "class_Code__source_position_table__Tagged_ByteArray_")                                  \
	X(CODE_KIND_MASK, "CodeKind.field_mask", 0, V8K_VALUE, "CodeKindFieldMask")                \
	X(CODE_KIND_SHIFT, "CodeKind.field_shift", 0, V8K_VALUE, "CodeKindFieldShift")             \
	X(CODE_KIND_INTERPRETED, "CodeKind.interpreted_function", 0, V8K_VALUE,                    \
	  "CodeKindInterpretedFunction")                                                           \
	X(CODE_KIND_BASELINE, "CodeKind.baseline", 0, V8K_VALUE, "CodeKindBaseline")

enum v8_const_kind {
	V8K_TAG,    /* tagging scheme: must be the one the walker reads */
	V8K_FP,	    /* frame slot, bytes from the frame pointer */
	V8K_TYPE,   /* instance type number */
	V8K_FIELD8, /* offset of a tagged or pointer field: 8-aligned */
	V8K_FIELD4, /* offset of a 32-bit field */
	V8K_FIELD2, /* offset of a 16-bit field */
	V8K_FIELD1, /* offset where bytes begin */
	V8K_INDEX,  /* slot index inside a ScopeInfo */
	V8K_VALUE,  /* a mask, tag or enum value */
};

#define V8_ENUM(id, ...) V8C_##id,
enum v8_const_id { V8_LAYOUT_CONSTS(V8_ENUM) V8C_COUNT };
#undef V8_ENUM

struct v8_const {
	bool found;
	int64_t value;
	char source[96]; /* the v8dbg_ symbol, or "derived: <rule>" */
};

#define V8_MAX_FRAME_TYPES 64
#define V8_MAX_CHECKS	   48

struct v8_frame_type {
	char name[48]; /* "InterpretedFrame" */
	int value;     /* the marker: the SMI in the context slot of a typed frame */
};

/* A range of code in the file; file_off lets a per-process step find
 * copies V8 maps elsewhere (node >= 24 remaps the blob into its code range). */
struct v8_code_range {
	uint64_t vaddr, size, file_off;
};

/* A builtin a walker classifies frames by, as an offset into the blob. */
struct v8_builtin {
	const char *name; /* "InterpreterEntryTrampoline" */
	bool found;
	uint64_t blob_off, size;
	bool rbp_frame; /* its code holds push %rbp; mov %rsp,%rbp */
};

enum v8_builtin_id {
	V8B_INTERPRETER_ENTRY,	    /* pc here: an interpreted frame */
	V8B_INTERPRETER_AT_BC,	    /* the same, re-entered at a bytecode */
	V8B_INTERPRETER_AT_NEXT_BC, /* the same, after a deopt or a debug break */
	V8B_JS_ENTRY,		    /* where C++ enters JS: the walk's outer end */
	V8B_COUNT,
};

struct v8_check {
	bool ok;
	char what[200];
};

struct v8_layout {
	char path[PATH_MAX];
	char build_id[129];
	int version[4]; /* V8 major, minor, build, patch; version[0] 0 if unknown */
	int nmeta;	/* v8dbg_* symbols found */
	struct v8_const c[V8C_COUNT];
	int nframe_types;
	struct v8_frame_type frame_types[V8_MAX_FRAME_TYPES];
	bool leaptiering; /* JSFunction holds a dispatch handle, not its code */
	struct v8_code_range text, blob;
	int nbuiltins; /* Builtins_* symbols, all inside the blob */
	struct v8_builtin builtins[V8B_COUNT];
	int nchecks;
	struct v8_check checks[V8_MAX_CHECKS];
	char error[512];
};

/*
 * Reads and cross-checks path's V8 layout into *out. 0, or a negative errno
 * with out->error saying why:
 *   -ENOENT / -ENOEXEC  no such file / not ELF,
 *   -ESRCH    no v8dbg_* metadata at all (not node, or built without it),
 *   -ENOTSUP  a required constant, or the embedded blob, is missing, or
 *             the tagging is not the 64-bit one without pointer compression,
 *   -EPROTO   a cross-check failed (out->checks says which).
 * Optional constants may be absent on success (c[id].found false).
 */
int v8_layout__resolve(const char *path, struct v8_layout *out);

const char *v8_const_name(enum v8_const_id id);
bool v8_const_required(enum v8_const_id id);

/* The frame type with this marker value, or NULL. */
const char *v8_layout__frame_type_name(const struct v8_layout *l, int marker);
/* The marker of a frame type by name ("EntryFrame"), -1 if absent. */
int v8_layout__frame_type(const struct v8_layout *l, const char *name);

#endif /* __ASYNCSCOPE_V8_LAYOUT_H */
