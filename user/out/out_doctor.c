// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_writer.h"
#include "out/out_doctor.h"
#include "out/out_doctor_v8.h"
#include "resolve/x86_decode.h"

static const char *slot_reg(int slot)
{
	static const int regs[] = {X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_R9};

	return slot >= 1 && slot <= 6 ? x86_reg_name(regs[slot - 1]) : "none";
}

bool doctor_is_node(const struct doctor_target *t)
{
	return t->resolve_err == 0 || t->resolve_err == -ENOTSUP || t->resolve_err == -EPROTO;
}

bool doctor_supported(const struct doctor_target *t)
{
	return doctor_is_node(t) ? t->resolve_err == 0 : t->uv_err == 0;
}

struct uv_site_counts {
	int probed, emulated, stepped, wrappers, stepped_inits;
};

static struct uv_site_counts count_uv_sites(const struct uv_layout *uv)
{
	struct uv_site_counts c = {0};

	for (int i = 0; i < uv->nsites; i++) {
		const struct uv_site *s = &uv->sites[i];

		if (s->wrapper) {
			c.wrappers++;
		} else if (!s->emulated && s->api->role == UVR_INIT) {
			c.stepped_inits++; /* left out: see attach_uv() */
		} else {
			c.probed++;
			c.emulated += s->emulated;
			c.stepped += !s->emulated;
		}
	}
	return c;
}

static void print_uv_text(FILE *out, const struct doctor_target *t)
{
	const struct uv_layout *uv = t->uv;
	struct uv_site_counts c;

	if (t->uv_err) {
		fprintf(out, "uv layer    %s\n",
			t->uv_err == -ESRCH ?
				"no libuv in this program (one that loads it at run time, like "
				"python with uvloop, shows it with -p once loaded)" :
				uv->error);
		return;
	}
	c = count_uv_sites(uv);
	fprintf(out, "uv layer    libuv in %s (build-id %s)\n", uv->path,
		uv->build_id[0] ? uv->build_id : "none");
	fprintf(out, "  method          probes on the public API (objects, their callbacks) and on "
		     "each callback's entry and return; no libuv internals\n");
	fprintf(out,
		"  API sites       %d probed (%d emulated, %d single-stepped), %d wrappers seen "
		"through their callee, %d not in this libuv\n",
		c.probed, c.emulated, c.stepped, c.wrappers, uv->nmissing);
	if (c.stepped_inits)
		fprintf(out,
			"  init functions  %d would be single-stepped: left out, their handles are "
			"taken in at first start\n",
			c.stepped_inits);
	for (int i = 0; i < uv->nsites; i++)
		if (!uv->sites[i].emulated && !uv->sites[i].wrapper &&
		    uv->sites[i].api->role != UVR_INIT)
			fprintf(out, "    single-stepped: %s [%s]\n", uv->sites[i].api->name,
				uv->sites[i].insn);
	if (uv->code_hi == UINT64_MAX)
		fprintf(out,
			"  libuv's code    the whole file (callbacks there are libuv's own)\n");
	else
		fprintf(out,
			"  libuv's code    file+0x%llx..0x%llx (callbacks there are libuv's own)\n",
			(unsigned long long)uv->code_lo, (unsigned long long)uv->code_hi);
	if (t->uv_callbacks >= 0)
		fprintf(out,
			"  callbacks       %ld found in the program's code, probed before they "
			"run; others at their first registration\n",
			t->uv_callbacks);
}

void doctor_print_text(FILE *out, const struct doctor_target *t, const struct node_layout *l)
{
	const struct node_offsets *o = &l->off;

	if (t->pid)
		fprintf(out, "target      pid %d (%s)\n", t->pid, t->comm ? t->comm : "?");
	fprintf(out, "binary      %s\n", t->exe ? t->exe : l->path);
	fprintf(out, "build-id    %s\n", l->build_id[0] ? l->build_id : "(none)");
	if (t->node_version[0])
		fprintf(out, "node        %s\n", t->node_version);
	if (t->resolve_err) {
		if (t->resolve_err == -ESRCH && t->uv_err == 0)
			fprintf(out, "node layer  not node (no node::AsyncWrap symbols)\n");
		else
			fprintf(out, "node layer  NOT SUPPORTED: %s\n", l->error);
		if (t->uv)
			print_uv_text(out, t);
		if (t->v8)
			doctor_print_v8_text(out, t->v8_err, t->v8);
		if (t->live_run)
			fprintf(out,
				"live check  %s: %llu uv events, %llu failed sanity checks%s%s\n",
				t->live_ok ? "ok" : "FAILED", t->live_uv_events, t->live_bad,
				t->live_note[0] ? "; " : "", t->live_note);
		else if (t->live_note[0])
			fprintf(out, "live check  %s\n", t->live_note);
		if (doctor_is_node(t))
			fprintf(out, "verdict     NOT SUPPORTED: node's own layer is needed%s\n",
				t->uv_err ? "" :
					    " (trace falls back to the uv layer alone, with a "
					    "warning)");
		return;
	}
	fprintf(out, "node layer  resolved and cross-checked (cache: %s)\n",
		t->cache ? t->cache : "off");
	fprintf(out,
		"  AsyncWrap       provider_type_ +0x%x, async_id_ +0x%x, trigger_async_id_ "
		"+0x%x\n",
		o->wrap_provider, o->wrap_async_id, o->wrap_async_id + 8);
	fprintf(out, "  env chain       wrap->realm_ +0x%x -> env_ +0x%x -> async_hooks_ +0x%x\n",
		o->wrap_realm, o->realm_env, o->env_async_hooks);
	fprintf(out,
		"  AsyncHooks      fields_ +0x%x (kStackLength at byte 0x%x), async_id_fields_ "
		"+0x%x, "
		"async_ids_stack_ +0x%x\n",
		o->hooks_fields, o->fields_stack_len, o->hooks_id_fields, o->hooks_stack);
	fprintf(out,
		"  cross-check     AsyncReset reaches async_id_fields at env+0x%x = 0x%x + 0x%x\n",
		l->env_id_fields, o->env_async_hooks, o->hooks_id_fields);
	fprintf(out, "  scope args      Environment* in %s, const async_context& in %s\n",
		slot_reg(o->ics_env_arg), slot_reg(o->ics_ctx_arg));
	if (o->reset_silent_arg)
		fprintf(out, "  AsyncReset      bool silent in %s\n",
			slot_reg(o->reset_silent_arg));
	if (o->mq_finished)
		fprintf(out,
			"  MicrotaskQueue  finished_microtask_count_ +0x%x (RunMicrotasks, "
			"before and after its run), queue in %s: microtasks counted per run\n",
			o->mq_finished, slot_reg(o->mq_arg));
	else
		fprintf(out, "  MicrotaskQueue  counter not found: microtask runs not counted\n");
	if (o->reject_event)
		fprintf(out,
			"  PromiseRejectMessage  in memory: promise_ at rsp+0x%x, event_ at "
			"rsp+0x%x: rejections reported\n",
			o->reject_promise, o->reject_event);
	else
		fprintf(out, "  PromiseRejectMessage  not found: rejections not reported\n");
	fprintf(out, "  InternalCallbackScope(AsyncWrap*) %s\n",
		l->scope_wrap_inlines ? "inlines the env constructor: probed too" :
					"calls the env constructor: not probed");
	fprintf(out, "probes\n");
	for (int r = 0; r < SITE_COUNT; r++) {
		const struct node_site *s = &l->sites[r];

		if (!s->used)
			continue;
		fprintf(out, "  %-46s 0x%llx file+0x%llx  first insn [%s] %s\n",
			node_site_role_name(r), (unsigned long long)s->addr,
			(unsigned long long)s->file_off, s->first_insn,
			s->emulated ? "emulated" : "SINGLE-STEPPED (slow)");
		fprintf(out, "  %-46s %s\n", "", s->symbol);
	}
	fprintf(out, "providers   %d names from node::provider_names:", l->nproviders);
	for (int i = 0; i < l->nproviders; i++)
		fprintf(out, "%s%s", i % 8 ? " " : "\n  ", l->providers[i]);
	fputc('\n', out);
	fprintf(out,
		"JS layer    default: JS-only resources inferred from id stacks%s; exact: "
		"hardware watchpoints (--js exact)\n",
		l->sites[SITE_MICROTASKS].used ?
			"" :
			" (no microtask-run symbol: microtasks typed as ticks)");
	if (t->watchpoints_note[0])
		fprintf(out, "watchpoints UNAVAILABLE, --js exact refuses: %s\n",
			t->watchpoints_note);
	else
		fprintf(out,
			"watchpoints fire on this machine (self-check): --js exact available\n");
	fprintf(out, "promises    %s\n", doctor_promise_note(t));
	if (t->uv)
		print_uv_text(out, t);
	if (t->v8)
		doctor_print_v8_text(out, t->v8_err, t->v8);
	if (t->live_run)
		fprintf(out,
			"live check  %s: %llu events (%llu inits), %llu failed sanity checks%s%s\n",
			t->live_ok ? "ok" : "FAILED", t->live_events, t->live_inits, t->live_bad,
			t->live_note[0] ? "; " : "", t->live_note);
	else if (t->live_note[0])
		fprintf(out, "live check  %s\n", t->live_note);
}

static void print_uv_json(struct json_writer *w, const struct doctor_target *t)
{
	const struct uv_layout *uv = t->uv;

	jsonw_name(w, "uv");
	jsonw_start_object(w);
	jsonw_bool_field(w, "supported", t->uv_err == 0);
	if (t->uv_err) {
		jsonw_string_field(
			w, "error",
			t->uv_err == -ESRCH ?
				"no libuv in this program (one that loads it at run time, like "
				"python with uvloop, shows it with -p once loaded)" :
				uv->error);
		jsonw_end_object(w);
		return;
	}
	jsonw_string_field(w, "path", uv->path);
	jsonw_string_field(w, "method", "api-registration+callback-probes");
	jsonw_string_field(w, "build_id", uv->build_id);
	jsonw_int_field(w, "apis_missing", uv->nmissing);
	jsonw_uint_field(w, "code_lo", uv->code_lo);
	jsonw_uint_field(w, "code_hi", uv->code_hi);
	if (t->uv_callbacks >= 0)
		jsonw_int_field(w, "callbacks_found", t->uv_callbacks);
	jsonw_name(w, "sites");
	jsonw_start_array(w);
	for (int i = 0; i < uv->nsites; i++) {
		const struct uv_site *s = &uv->sites[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "api", s->api->name);
		jsonw_uint_field(w, "addr", s->addr);
		jsonw_uint_field(w, "file_offset", s->file_off);
		jsonw_uint_field(w, "skip", s->skip);
		jsonw_string_field(w, "first_insn", s->insn);
		jsonw_bool_field(w, "emulated", s->emulated);
		jsonw_bool_field(w, "wrapper", s->wrapper);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

const char *doctor_promise_note(const struct doctor_target *t)
{
	int major = t->node_version[0] == 'v' ? atoi(t->node_version + 1) : 0;

	if (t->init_hooks > 0)
		return "the target has async_hooks init hooks installed: PROMISE resources get ids "
		       "and "
		       "are reported (promiseResolve is JS-only and not observable from outside)";
	if (major >= 24)
		return t->init_hooks == 0 ? "none get ids: node >= 24 runs AsyncLocalStorage on "
					    "AsyncContextFrame, so "
					    "promises get async ids only while an async_hooks init "
					    "hook is installed "
					    "in the process, and none is" :
					    "node >= 24 uses AsyncContextFrame: promises get async "
					    "ids only while an "
					    "async_hooks init hook is installed in the process";
	if (t->init_hooks == 0)
		return "none get ids right now: no async_hooks init hook (or AsyncLocalStorage) is "
		       "in use "
		       "in the target";
	return "promises get async ids while an async_hooks init hook or AsyncLocalStorage is in "
	       "use";
}

void doctor_print_json(FILE *out, const struct doctor_target *t, const struct node_layout *l)
{
	const struct node_offsets *o = &l->off;
	struct json_writer w;

	jsonw_init(&w, out, true);
	jsonw_start_object(&w);
	if (t->pid)
		jsonw_int_field(&w, "pid", t->pid);
	jsonw_string_field(&w, "binary", t->exe ? t->exe : l->path);
	jsonw_string_field(&w, "build_id", l->build_id);
	jsonw_string_field(&w, "node_version", t->node_version);
	jsonw_bool_field(&w, "supported", doctor_supported(t));
	jsonw_bool_field(&w, "node_supported", t->resolve_err == 0);
	if (t->uv)
		print_uv_json(&w, t);
	if (t->v8)
		doctor_print_v8_json(&w, t->v8_err, t->v8);
	if (t->live_run && t->resolve_err) {
		jsonw_name(&w, "live");
		jsonw_start_object(&w);
		jsonw_bool_field(&w, "ok", t->live_ok);
		jsonw_uint_field(&w, "uv_events", t->live_uv_events);
		jsonw_uint_field(&w, "failed_checks", t->live_bad);
		jsonw_string_field(&w, "note", t->live_note);
		jsonw_end_object(&w);
	}
	if (t->resolve_err) {
		jsonw_string_field(&w, "error", l->error);
		jsonw_end_object(&w);
		fputc('\n', out);
		return;
	}
	jsonw_string_field(&w, "cache", t->cache ? t->cache : "off");
	jsonw_name(&w, "offsets");
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "wrap_provider", o->wrap_provider);
	jsonw_uint_field(&w, "wrap_async_id", o->wrap_async_id);
	jsonw_uint_field(&w, "wrap_realm", o->wrap_realm);
	jsonw_uint_field(&w, "realm_env", o->realm_env);
	jsonw_uint_field(&w, "env_async_hooks", o->env_async_hooks);
	jsonw_uint_field(&w, "hooks_fields", o->hooks_fields);
	jsonw_uint_field(&w, "hooks_id_fields", o->hooks_id_fields);
	jsonw_uint_field(&w, "hooks_stack", o->hooks_stack);
	jsonw_uint_field(&w, "fields_stack_len", o->fields_stack_len);
	jsonw_uint_field(&w, "env_id_fields", l->env_id_fields);
	jsonw_string_field(&w, "scope_env_reg", slot_reg(o->ics_env_arg));
	jsonw_string_field(&w, "scope_ctx_reg", slot_reg(o->ics_ctx_arg));
	jsonw_bool_field(&w, "scope_wrap_inlines", l->scope_wrap_inlines);
	jsonw_uint_field(&w, "microtask_count", o->mq_finished);       /* 0: not counted */
	jsonw_uint_field(&w, "reject_message_event", o->reject_event); /* 0: not probed */
	jsonw_end_object(&w);
	jsonw_name(&w, "probes");
	jsonw_start_array(&w);
	for (int r = 0; r < SITE_COUNT; r++) {
		const struct node_site *s = &l->sites[r];

		if (!s->used)
			continue;
		jsonw_start_object(&w);
		jsonw_string_field(&w, "role", node_site_role_name(r));
		jsonw_string_field(&w, "symbol", s->symbol);
		jsonw_uint_field(&w, "addr", s->addr);
		jsonw_uint_field(&w, "file_offset", s->file_off);
		jsonw_string_field(&w, "first_insn", s->first_insn);
		jsonw_bool_field(&w, "emulated", s->emulated);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_string_field(&w, "promises", doctor_promise_note(t));
	if (t->init_hooks >= 0)
		jsonw_int_field(&w, "init_hooks", t->init_hooks);
	jsonw_name(&w, "providers");
	jsonw_start_array(&w);
	for (int i = 0; i < l->nproviders; i++)
		jsonw_string(&w, l->providers[i]);
	jsonw_end_array(&w);
	jsonw_name(&w, "watchpoints");
	jsonw_start_object(&w);
	jsonw_bool_field(&w, "fire", !t->watchpoints_note[0]);
	if (t->watchpoints_note[0])
		jsonw_string_field(&w, "error", t->watchpoints_note);
	jsonw_end_object(&w);
	if (t->live_run) {
		jsonw_name(&w, "live");
		jsonw_start_object(&w);
		jsonw_bool_field(&w, "ok", t->live_ok);
		jsonw_uint_field(&w, "events", t->live_events);
		jsonw_uint_field(&w, "inits", t->live_inits);
		jsonw_uint_field(&w, "uv_events", t->live_uv_events);
		jsonw_uint_field(&w, "failed_checks", t->live_bad);
		jsonw_string_field(&w, "note", t->live_note);
		jsonw_end_object(&w);
	}
	jsonw_end_object(&w);
	fputc('\n', out);
}
