// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Offset derivation on real node binaries. The expected values are the ones
 * measured independently in shared research (node-internals.md §2, checked
 * there with bpftrace against async_hooks); 22.23.3 is newer than that table
 * and is covered by the end-to-end fidelity test instead.
 */
#include <errno.h>

#include "resolve/resolve_node.h"
#include "unit.h"

struct expect {
	int major;
	const char *version;
	uint32_t provider, async_id, env_hooks, obj_slot, nctors;
	int ctx_slot; /* rcx = 4, r8 = 5 */
	bool trace_async_start, scope_wrap_inlines, silent_arg;
};

static void check_build(const struct expect *e)
{
	const char *bin = unit_node_binary(e->major);
	struct node_layout l;
	int err;

	if (!bin) {
		unit_skip("node binary not available (run make nodes)");
		return;
	}
	err = node_layout__resolve(bin, &l);
	if (!ASSERT_OK(err, "resolve")) {
		fprintf(stderr, "  %s: %s\n", bin, l.error);
		return;
	}
	ASSERT_EQ(l.off.wrap_provider, e->provider, "provider_type_");
	ASSERT_EQ(l.off.wrap_async_id, e->async_id, "async_id_");
	ASSERT_EQ(l.off.wrap_realm, 0x10, "realm_");
	ASSERT_EQ(l.off.realm_env, 0xb0, "env_");
	ASSERT_EQ(l.off.env_async_hooks, e->env_hooks, "env->async_hooks_");
	ASSERT_EQ(l.off.hooks_fields, 0x60, "fields_");
	ASSERT_EQ(l.off.hooks_id_fields, 0x98, "async_id_fields_");
	ASSERT_EQ(l.off.hooks_stack, 0x28, "async_ids_stack_");
	ASSERT_EQ(l.off.fields_stack_len, 28, "kStackLength byte");
	ASSERT_EQ(l.off.ics_env_arg, 2, "env arg");
	ASSERT_EQ(l.off.ics_ctx_arg, e->ctx_slot, "ctx arg");
	ASSERT_EQ(l.off.ics_obj_arg, 3, "resource object arg");
	ASSERT_EQ(l.off.obj_base_slot, e->obj_slot, "JS object -> BaseObject* slot");
	ASSERT_EQ(l.off.nctors, e->nctors, "AsyncWrap constructors calling AsyncReset");
	ASSERT_EQ(l.sites[SITE_TRACE_ASYNC_START].used, e->trace_async_start, "init site");
	ASSERT_EQ(l.sites[SITE_ASYNC_RESET].used, !e->trace_async_start, "reset site");
	ASSERT_EQ(l.sites[SITE_EMIT_ASYNC_INIT].used, !e->trace_async_start, "EmitAsyncInit site");
	ASSERT_EQ(l.scope_wrap_inlines, e->scope_wrap_inlines, "ICS(AsyncWrap*) inlines");
	ASSERT_EQ(l.off.reset_silent_arg != 0, e->silent_arg, "silent arg");
	/* MicrotaskQueue: +0x28 on 20..26, derived from RunMicrotasks and checked
	 * against V8's kFinishedMicrotaskCountOffset */
	ASSERT_EQ(l.off.mq_finished, 0x28, "finished_microtask_count_");
	ASSERT_EQ(l.off.mq_arg, 2, "TryRunMicrotasks: the queue in rsi");
	/* PromiseRejectMessage in memory above the return address: promise_ at
	 * rsp+8, event_ at rsp+16, on every build */
	ASSERT_TRUE(l.sites[SITE_PROMISE_REJECT].used, "PromiseRejectCallback probed");
	ASSERT_EQ(l.off.reject_promise, 8, "message.promise_");
	ASSERT_EQ(l.off.reject_event, 16, "message.event_");
	for (int r = 0; r < SITE_COUNT; r++)
		if (l.sites[r].used)
			ASSERT_TRUE(l.sites[r].emulated, l.sites[r].symbol);
}

void test_resolve_node__node20(void)
{
	struct expect e = {20, "20.20.2", 0x20, 0x28, 0x3e8, 0x20, 3, 4, false, true, true};

	check_build(&e);
}

void test_resolve_node__node24(void)
{
	struct expect e = {24, "24.21.0", 0x30, 0x38, 0x3f0, 0x28, 1, 5, true, false, false};
	const char *bin = unit_node_binary(24);
	struct node_layout l;

	check_build(&e);
	if (bin && !node_layout__resolve(bin, &l))
		ASSERT_EQ(l.off.reset_len, 0, "AsyncReset inlines EmitDestroy: no range");
}

/* clang-built: AsyncReset checks provider_type_ with `cmpl $0x0,0x30(%rdi)`
 * and calls EmitDestroy instead of inlining it */
void test_resolve_node__node26(void)
{
	struct expect e = {26, "26.12.1", 0x30, 0x38, 0x3f0, 0x28, 1, 5, true, false, false};
	struct node_layout l;
	const char *bin = unit_node_binary(26);

	check_build(&e);
	if (bin && !node_layout__resolve(bin, &l))
		ASSERT_TRUE(l.off.reset_len > 0, "AsyncReset's range known (it calls EmitDestroy)");
}

/* Provider numbers shift between majors (research §5); names come from the binary. */
void test_resolve_node__provider_names(void)
{
	static const struct {
		int major;
		const char *name;
		int value;
	} cases[] = {{20, "TCPWRAP", 36},
		     {24, "TCPWRAP", 40},
		     {20, "PROMISE", 26},
		     {24, "PROMISE", 27},
		     {24, "LOCKS", -2}};
	struct node_layout l;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *bin = unit_node_binary(cases[i].major);
		int found = -1;

		if (!bin) {
			unit_skip("node binary not available (run make nodes)");
			return;
		}
		if (!ASSERT_OK(node_layout__resolve(bin, &l), "resolve"))
			return;
		ASSERT_STREQ(node_layout__provider_name(&l, 0), "NONE", "provider 0");
		for (int p = 0; p < l.nproviders; p++)
			if (!strcmp(l.providers[p], cases[i].name))
				found = p;
		if (cases[i].value == -2)
			ASSERT_TRUE(found > 0, cases[i].name);
		else
			ASSERT_EQ(found, cases[i].value, cases[i].name);
	}
}

void test_resolve_node__not_node(void)
{
	struct node_layout l;

	ASSERT_EQ(node_layout__resolve("/bin/sh", &l), -ESRCH, "/bin/sh is not node");
	ASSERT_TRUE(strstr(l.error, "not a Node.js binary") != NULL, l.error);
	ASSERT_EQ(node_layout__resolve("/etc/hostname", &l), -ENOEXEC, "text file");
	ASSERT_EQ(node_layout__resolve("/nonexistent/node", &l), -ENOENT, "missing file");
}
