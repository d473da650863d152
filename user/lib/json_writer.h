/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Streaming JSON writer (after bpftool's jsonw_*): objects, arrays, escaped
 * strings, integers. Compact by default, indented when pretty is set.
 */
#ifndef __ASYNCSCOPE_JSON_WRITER_H
#define __ASYNCSCOPE_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH 64

struct json_writer {
	FILE *out;
	bool pretty;
	int depth;
	bool first[JSONW_MAX_DEPTH]; /* no member written yet at this depth */
	bool pending_name;	     /* a name was written; its value comes next */
};

void jsonw_init(struct json_writer *w, FILE *out, bool pretty);

void jsonw_start_object(struct json_writer *w);
void jsonw_end_object(struct json_writer *w);
void jsonw_start_array(struct json_writer *w);
void jsonw_end_array(struct json_writer *w);
void jsonw_name(struct json_writer *w, const char *name);

void jsonw_string(struct json_writer *w, const char *s);
void jsonw_uint(struct json_writer *w, uint64_t v);
void jsonw_int(struct json_writer *w, int64_t v);
void jsonw_bool(struct json_writer *w, bool v);
void jsonw_null(struct json_writer *w);
/* A number with 3 decimals, e.g. milliseconds */
void jsonw_fixed3(struct json_writer *w, double v);

/* name + value shorthands */
void jsonw_string_field(struct json_writer *w, const char *name, const char *s);
void jsonw_uint_field(struct json_writer *w, const char *name, uint64_t v);
void jsonw_int_field(struct json_writer *w, const char *name, int64_t v);
void jsonw_bool_field(struct json_writer *w, const char *name, bool v);
void jsonw_null_field(struct json_writer *w, const char *name);

/* Writes s as a JSON string literal (quotes included) to out. */
void json_write_escaped(FILE *out, const char *s);

#endif /* __ASYNCSCOPE_JSON_WRITER_H */
