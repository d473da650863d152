/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The .asr capture file: what `asyncscope record` writes and every view
 * reads back (capture_write.c, capture_read.c). All integers little-endian.
 *
 *   file    := header chunk* trailer
 *   header  := "ASYNCSCP" u16 version u16 0 u32 len field*(len bytes) u32 crc32
 *   field   := u16 tag u32 len bytes            (unknown tags are skipped)
 *   chunk   := "CHNK" u32 raw_len u32 zlib_len u32 nevents u32 crc32(zlib bytes)
 *              zlib bytes (deflate of raw_len bytes of events)
 *   trailer := "END!" u32 len field*(len bytes) u32 crc32
 *
 * Events inside chunks (state carried across chunks: previous timestamp,
 * thread and string tables):
 *
 *   u8 head: kind (bits 0-2) | layer (bits 3-4) | FLAGS 0x20 | CALLER 0x40 | STACK 0x80
 *   uv thread  (index into the thread table; == table size: a new thread,
 *               followed by uv pid, uv tid)
 *   sv ts delta from the previous event (zigzag: CPUs may disagree slightly)
 *   uv id
 *   init:   uv type (string ref), uv trigger, uv exec
 *   before: uv trigger
 *   microtasks (version 2): uv count, uv duration (ts - begin)
 *   rejection (version 2): uv kind, uv exec, uv trigger, uv (ts - rejected), uv promise
 *   FLAGS:  uv flags; on a uv-layer init also uv obj, uv link_id
 *   CALLER: uv caller, uv string ref + 1 of the function (0: none)
 *   STACK:  uv cur_exec, cur_trigger, id_counter, init_hooks, stack_depth,
 *           npairs, then 2 x npairs uv
 *   string ref: index into the string table; == table size: a new string,
 *               followed by uv length and its bytes
 *
 * uv = unsigned LEB128 varint, sv = zigzag varint. A reader refuses sizes
 * beyond CAPTURE_MAX_CHUNK and names the offset of anything it cannot read.
 */
#ifndef __ASYNCSCOPE_CAPTURE_FORMAT_H
#define __ASYNCSCOPE_CAPTURE_FORMAT_H

#include <limits.h>
#include <stdint.h>

#define CAPTURE_MAGIC "ASYNCSCP"
/* 2 added the microtasks and rejection kinds; version 1 files (which cannot
 * hold one) still read */
#define CAPTURE_VERSION		 2
#define CAPTURE_VERSION_MIN	 1
#define CAPTURE_CHUNK_MAGIC	 "CHNK"
#define CAPTURE_TRAILER_MAGIC	 "END!"
#define CAPTURE_CHUNK_RAW	 (256 << 10) /* events are flushed in chunks of this size */
#define CAPTURE_MAX_CHUNK	 (16 << 20)  /* no chunk or section may claim more */
#define CAPTURE_MAX_STRINGS	 (1 << 20)
#define CAPTURE_MAX_THREADS	 (1 << 20)
#define CAPTURE_MAX_STRING_BYTES (64 << 20) /* all strings of a capture together */

enum capture_head_bits {
	CAP_KIND_MASK = 0x07,
	CAP_LAYER_SHIFT = 3,
	CAP_LAYER_MASK = 0x18,
	CAP_HAS_FLAGS = 0x20,
	CAP_HAS_CALLER = 0x40,
	CAP_HAS_STACK = 0x80,
};

/* Header and trailer field tags. */
enum capture_tag {
	CAPT_TOOL_VERSION = 1, /* string: asyncscope's version */
	CAPT_PID = 2,	       /* u64 */
	CAPT_EXE = 3,	       /* string */
	CAPT_COMMAND = 4,      /* string: the command line, when asyncscope started it */
	CAPT_NODE_VERSION = 5, /* string, "" when not node */
	CAPT_NODE_BUILD_ID = 6,
	CAPT_UV_PATH = 7,
	CAPT_UV_BUILD_ID = 8,
	CAPT_PROVIDERS = 9, /* NUL-separated provider type names */
	CAPT_CLOCK = 10,    /* u64 CLOCK_MONOTONIC ns, u64 CLOCK_REALTIME ns, same instant */
	CAPT_LAYERS = 11,   /* string: "node", "uv", "node,uv" */
	CAPT_JS_MODE = 12,  /* string: default, off, exact */
	/* trailer only: entries of u8 name length, name (a summary_fields name,
	 * an event kind or "events"), u64 value; unknown names are skipped */
	CAPT_SUMMARY = 100,
};

/* What a capture says about where it came from. */
struct capture_meta {
	uint32_t version; /* file format version (reading) */
	char tool_version[32];
	uint64_t pid;
	char exe[PATH_MAX];
	char command[1024];
	char node_version[32];
	char node_build_id[129];
	char uv_path[PATH_MAX];
	char uv_build_id[129];
	char layers[32];
	char js_mode[16];
	uint64_t clock_mono_ns, clock_real_ns; /* 0: unknown */
	/* provider names, NUL-separated, nproviders of them (malloc'ed, may be NULL) */
	char *providers;
	size_t providers_len;
	uint32_t nproviders;
};

#endif /* __ASYNCSCOPE_CAPTURE_FORMAT_H */
