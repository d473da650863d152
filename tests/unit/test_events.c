// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The wire format is shared by BPF and user space: pin its layout. */
#include <errno.h>
#include <stddef.h>

#include "event/event.h"
#include "event/ringbuf_decode.h"
#include "unit.h"

void test_events__layout(void)
{
	ASSERT_EQ(sizeof(struct ev_hdr), 24, "ev_hdr size");
	ASSERT_EQ(offsetof(struct ev_hdr, kind), 16, "ev_hdr.kind");
	ASSERT_EQ(offsetof(struct ev_hdr, layer), 20, "ev_hdr.layer");
	ASSERT_EQ(offsetof(struct ev_hdr, flags), 22, "ev_hdr.flags");
	ASSERT_TRUE(EVF_AT_EXIT <= 0xffff, "node flags fit the header's 16 bits");
	ASSERT_EQ(sizeof(struct ev_node), 80, "ev_node size");
	ASSERT_EQ(offsetof(struct ev_node_stack, s), 80, "stack follows the record");
	ASSERT_EQ(offsetof(struct ev_stack, pairs), 40, "ev_stack pairs");
	ASSERT_EQ(offsetof(struct ev_node, id), 24, "ev_node.id");
	ASSERT_EQ(offsetof(struct ev_node, provider), 64, "ev_node.provider");
	ASSERT_EQ(sizeof(struct ev_node) % 8, 0, "ev_node 8-byte multiple");
	ASSERT_EQ(sizeof(struct node_offsets), 128, "node_offsets size");
	ASSERT_EQ(sizeof(struct ev_js_frame), 24, "ev_js_frame size");
	ASSERT_EQ(offsetof(struct ev_js_stack, frames), 48, "js frames follow the header");
	ASSERT_EQ(sizeof(struct ev_js_stack), 48 + 24 * JS_MAX_FRAMES, "ev_js_stack size");
	ASSERT_EQ(sizeof(struct js_walk_off), 24, "js_walk_off size");
}

void test_events__decode_microtasks(void)
{
	struct ev_node rec = {
		.h = {.ts_ns = 5000,
		      .pid = 10,
		      .tid = 11,
		      .kind = EV_MICROTASKS,
		      .len = sizeof(rec),
		      .layer = LAYER_NODE},
		.id = 12,
		.trigger = 4000,
	};
	struct event e;

	ASSERT_OK(ingest_decode(&rec, sizeof(rec), NULL, 0, &e), "decode microtasks");
	ASSERT_EQ(e.kind, EV_MICROTASKS, "kind");
	ASSERT_EQ(e.count, 12, "microtasks run");
	ASSERT_EQ(e.begin_ns, 4000, "run began");
	ASSERT_EQ(e.id, 0, "no resource id");
	ASSERT_STREQ(ev_kind_name(EV_MICROTASKS), "microtasks", "name");
}

void test_events__decode_rejection(void)
{
	struct ev_node rec = {
		.h = {.ts_ns = 9000,
		      .pid = 10,
		      .tid = 11,
		      .kind = EV_REJECTION,
		      .len = sizeof(rec),
		      .layer = LAYER_NODE},
		.exec = 6,
		.trigger = 2,
		.provider = REJECTION_UNHANDLED,
		.wrap = 0x3de4ff124971ULL,
		.caller = 8000,
	};
	struct event e;

	ASSERT_OK(ingest_decode(&rec, sizeof(rec), NULL, 0, &e), "decode rejection");
	ASSERT_EQ(e.rejection, REJECTION_UNHANDLED, "kind");
	ASSERT_EQ(e.exec, 6, "exec");
	ASSERT_EQ(e.begin_ns, 8000, "rejected at");
	ASSERT_EQ(e.obj, 0x3de4ff124971ULL, "promise");
	ASSERT_EQ(e.caller, 0, "not a caller");
	rec.provider = 9;
	ASSERT_EQ(ingest_decode(&rec, sizeof(rec), NULL, 0, &e), -EBADMSG, "unknown kind");
}

void test_events__kind_names(void)
{
	ASSERT_STREQ(ev_kind_name(EV_INIT), "init", "init");
	ASSERT_STREQ(ev_kind_name(EV_PROMISE_RESOLVE), "promiseResolve", "promiseResolve");
	ASSERT_EQ(ev_kind_from_name("destroy"), EV_DESTROY, "destroy");
	ASSERT_EQ(ev_kind_from_name("bogus"), EV_NONE, "bogus");
	ASSERT_EQ(ev_layer_from_name("uv"), LAYER_UV, "uv");
	ASSERT_TRUE(intern("TCPWRAP") == intern("TCPWRAP"), "interned once");
}

void test_events__decode_record(void)
{
	static const char *const types[] = {"NONE", "FSREQCALLBACK", "TCPWRAP"};
	struct ev_node rec = {
		.h = {.ts_ns = 123,
		      .pid = 10,
		      .tid = 11,
		      .kind = EV_INIT,
		      .len = sizeof(rec),
		      .layer = LAYER_NODE},
		.id = 7,
		.trigger = 5,
		.exec = 5,
		.provider = 2,
	};
	struct event e;

	ASSERT_OK(ingest_decode(&rec, sizeof(rec), types, 3, &e), "decode init");
	ASSERT_EQ(e.id, 7, "id");
	ASSERT_EQ(e.trigger, 5, "trigger");
	ASSERT_STREQ(e.type, "TCPWRAP", "type");
	ASSERT_EQ(e.tid, 11, "tid");
	rec.h.kind = EV_DESTROY;
	rec.h.flags = EVF_AT_EXIT;
	ASSERT_OK(ingest_decode(&rec, sizeof(rec), types, 3, &e), "decode destroy");
	ASSERT_EQ(e.flags, EVF_AT_EXIT, "flags above the low 8 survive");
	rec.h.kind = EV_INIT;
	rec.h.flags = 0;
	rec.provider = 3;
	ASSERT_EQ(ingest_decode(&rec, sizeof(rec), types, 3, &e), -EBADMSG,
		  "provider out of range");
	rec.provider = 1;
	ASSERT_EQ(ingest_decode(&rec, sizeof(rec) - 8, types, 3, &e), -EBADMSG, "short record");
	rec.h.kind = 99;
	ASSERT_EQ(ingest_decode(&rec, sizeof(rec), types, 3, &e), -EBADMSG, "unknown kind");
}
