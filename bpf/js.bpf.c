// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JS layer, exact mode: hardware write watchpoints (perf_event breakpoints)
 * on each node thread's async_id_fields. Node pushes and pops contexts, in
 * JS and in C++, by writing the exec id, then the trigger id, with the
 * stack length already raised on a push and not yet lowered on a pop; so a
 * watchpoint on the trigger slot sees every context switch once, and one on
 * the id counter sees every id issued. A debug trap costs ~24 us under this
 * VM's hypervisor: this is a debugging mode, off by default.
 */
#include "core.bpf.h"

static __always_inline void emit_js(__u16 kind, __u64 id, __u64 trigger, __u32 depth, __u32 dir)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ev_js r = {
		.h = {.ts_ns = bpf_ktime_get_ns(),
		      .pid = pid_tgid >> 32,
		      .tid = (__u32)pid_tgid,
		      .kind = kind,
		      .len = sizeof(r),
		      .layer = LAYER_JS},
		.id = id,
		.trigger = trigger,
		.depth = depth,
		.dir = dir,
	};

	if (bpf_ringbuf_output(&events, &r, sizeof(r), wakeup_flag()))
		STAT_INC(ringbuf_drops);
}

SEC("perf_event")
int js_watch(struct bpf_perf_event_data *ctx)
{
	struct thread_state *ts;
	__u64 f[4], pair[2], stack_buf, addr = ctx->addr;
	__u32 depth, dir;

	if (!is_traced())
		return 0;
	ts = thread_peek();
	if (!ts || !ts->id_fields)
		return 0;
	if (bpf_probe_read_user(f, sizeof(f), (void *)ts->id_fields) ||
	    bpf_probe_read_user(&depth, sizeof(depth),
				(void *)(ts->fields + node_off.fields_stack_len))) {
		STAT_INC(read_errors);
		return 0;
	}

	if (addr == ts->id_fields + 2 * sizeof(__u64)) {
		/* an id was issued; its trigger is the default trigger if one is
		 * set (>= 0), else the current context, as getDefaultTriggerAsyncId */
		__u64 def = id_from_double_bits(f[3]);

		emit_js(EV_JS_ALLOC, id_from_double_bits(f[2]),
			def != ASYNC_ID_INVALID ? def : id_from_double_bits(f[0]), depth, 0);
		return 0;
	}
	if (addr != ts->id_fields + sizeof(__u64))
		return 0;

	/* push: depth already raised; pop: not yet lowered */
	if (ts->js_depth != DEPTH_UNKNOWN && depth == ts->js_depth + 1) {
		dir = JS_PUSH;
	} else if (ts->js_depth != DEPTH_UNKNOWN && depth == ts->js_depth) {
		dir = JS_POP;
	} else {
		/* unknown history: a pop has just restored the pair at depth-1 */
		dir = JS_PUSH;
		if (depth > 0 &&
		    !bpf_probe_read_user(&stack_buf, sizeof(stack_buf),
					 (void *)(ts->hooks + node_off.hooks_stack)) &&
		    !bpf_probe_read_user(
			    pair, sizeof(pair),
			    (void *)(stack_buf + (__u64)(depth - 1) * 2 * sizeof(__u64))) &&
		    pair[0] == f[0] && pair[1] == f[1])
			dir = JS_POP;
	}
	ts->js_depth = dir == JS_PUSH ? depth : (depth ? depth - 1 : 0);
	emit_js(EV_JS_SWITCH, id_from_double_bits(f[0]), id_from_double_bits(f[1]), depth, dir);
	return 0;
}
