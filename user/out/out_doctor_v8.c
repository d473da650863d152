// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The V8 layout as doctor shows it. JS stacks are optional, so nothing here
 * changes doctor's verdict or exit status: a build without the metadata
 * gets one line saying so.
 */
#include "out/out_doctor_v8.h"

static int passed_checks(const struct v8_layout *l)
{
	int n = 0;

	for (int i = 0; i < l->nchecks; i++)
		n += l->checks[i].ok;
	return n;
}

void doctor_print_v8_text(FILE *out, int err, const struct v8_layout *l)
{
	int col;

	if (err && !l->nmeta) {
		fprintf(out, "V8 layout   %s\n", l->error);
		return;
	}
	if (err)
		fprintf(out, "V8 layout   %s\n", l->error);
	else
		fprintf(out,
			"V8 layout   V8 %d.%d.%d.%d, %d v8dbg_* symbols, %d cross-checks passed: "
			"JS stacks possible\n",
			l->version[0], l->version[1], l->version[2], l->version[3], l->nmeta,
			passed_checks(l));
	for (int id = 0; id < V8C_COUNT; id++) {
		const struct v8_const *c = &l->c[id];

		if (c->found)
			fprintf(out, "  %-38s %6lld  %s\n", v8_const_name(id), (long long)c->value,
				c->source);
		else
			fprintf(out, "  %-38s %6s  %s\n", v8_const_name(id), "-",
				v8_const_required(id) ? "MISSING (required)" :
							"not in this build's metadata");
	}
	if (l->leaptiering)
		fprintf(out,
			"  %-38s JSFunction holds a dispatch handle, not its code: JIT "
			"code is found from the pc\n",
			"leaptiering");
	col = fprintf(out, "  frame types ");
	for (int i = 0; i < l->nframe_types; i++) {
		if (col > 90)
			col = fprintf(out, "\n             ");
		col += fprintf(out, " %s=%d", l->frame_types[i].name, l->frame_types[i].value);
	}
	fputc('\n', out);
	if (l->blob.size)
		fprintf(out,
			"  code         builtins blob 0x%llx+0x%llx (file+0x%llx, %d Builtins_*), "
			"node .text 0x%llx+0x%llx\n",
			(unsigned long long)l->blob.vaddr, (unsigned long long)l->blob.size,
			(unsigned long long)l->blob.file_off, l->nbuiltins,
			(unsigned long long)l->text.vaddr, (unsigned long long)l->text.size);
	for (int b = 0; b < V8B_COUNT; b++)
		if (l->builtins[b].found)
			fprintf(out, "  %-38s blob+0x%llx, 0x%llx bytes\n", l->builtins[b].name,
				(unsigned long long)l->builtins[b].blob_off,
				(unsigned long long)l->builtins[b].size);
	for (int i = 0; i < l->nchecks; i++)
		fprintf(out, "  check  %-6s %s\n", l->checks[i].ok ? "ok" : "FAILED",
			l->checks[i].what);
}

static void range_json(struct json_writer *w, const char *name, const struct v8_code_range *r)
{
	jsonw_name(w, name);
	jsonw_start_object(w);
	jsonw_uint_field(w, "addr", r->vaddr);
	jsonw_uint_field(w, "size", r->size);
	jsonw_uint_field(w, "file_offset", r->file_off);
	jsonw_end_object(w);
}

void doctor_print_v8_json(struct json_writer *w, int err, const struct v8_layout *l)
{
	char version[48];

	jsonw_name(w, "v8");
	jsonw_start_object(w);
	jsonw_bool_field(w, "available", err == 0);
	if (err)
		jsonw_string_field(w, "error", l->error);
	jsonw_int_field(w, "metadata_symbols", l->nmeta);
	if (!l->nmeta) {
		jsonw_end_object(w);
		return;
	}
	snprintf(version, sizeof(version), "%d.%d.%d.%d", l->version[0], l->version[1],
		 l->version[2], l->version[3]);
	jsonw_string_field(w, "version", l->version[0] ? version : "");
	jsonw_bool_field(w, "leaptiering", l->leaptiering);
	jsonw_name(w, "constants");
	jsonw_start_object(w);
	for (int id = 0; id < V8C_COUNT; id++) {
		jsonw_name(w, v8_const_name(id));
		jsonw_start_object(w);
		if (l->c[id].found)
			jsonw_int_field(w, "value", l->c[id].value);
		else
			jsonw_null_field(w, "value");
		jsonw_string_field(w, "source", l->c[id].source);
		jsonw_bool_field(w, "required", v8_const_required(id));
		jsonw_end_object(w);
	}
	jsonw_end_object(w);
	jsonw_name(w, "frame_types");
	jsonw_start_object(w);
	for (int i = 0; i < l->nframe_types; i++)
		jsonw_int_field(w, l->frame_types[i].name, l->frame_types[i].value);
	jsonw_end_object(w);
	range_json(w, "builtins_blob", &l->blob);
	range_json(w, "text", &l->text);
	jsonw_int_field(w, "builtins", l->nbuiltins);
	jsonw_name(w, "trampolines");
	jsonw_start_object(w);
	for (int b = 0; b < V8B_COUNT; b++) {
		if (!l->builtins[b].found)
			continue;
		jsonw_name(w, l->builtins[b].name);
		jsonw_start_object(w);
		jsonw_uint_field(w, "blob_offset", l->builtins[b].blob_off);
		jsonw_uint_field(w, "size", l->builtins[b].size);
		jsonw_end_object(w);
	}
	jsonw_end_object(w);
	jsonw_name(w, "checks");
	jsonw_start_array(w);
	for (int i = 0; i < l->nchecks; i++) {
		jsonw_start_object(w);
		jsonw_bool_field(w, "ok", l->checks[i].ok);
		jsonw_string_field(w, "what", l->checks[i].what);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}
