// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Node layer: native (AsyncWrap) resources with Node's own ids.
 *
 *   init     AsyncWrap::EmitTraceAsyncStart() entry (ids already stored), or
 *            AsyncWrap::AsyncReset() entry+return on builds without it
 *   before   InternalCallbackScope constructors (they push the id context)
 *   after    AsyncHooks::pop_async_context() matched to the push above
 *   destroy  ~AsyncWrap() and AsyncWrap::EmitDestroy(bool)
 *
 * Ids are doubles passed in xmm registers, which a uprobe cannot read, so
 * they are read from the objects they live in. Every offset comes from
 * node_off, derived from the target binary at attach time.
 */
#include "core.bpf.h"
#include "agg.bpf.h"

/* Ids 0 (no resource) and 1 (the bootstrap/main context) never get hooks. */
#define FIRST_RESOURCE_ID 2

static __always_inline int wrap_env(__u64 wrap, __u64 *env)
{
	__u64 realm;

	if (read_u64(wrap + node_off.wrap_realm, &realm))
		return -1;
	return read_u64(realm + node_off.realm_env, env);
}

/* Points ts at the data of this AsyncHooks' fields_ and async_id_fields_. */
static __always_inline int thread_hooks(struct thread_state *ts, __u64 hooks)
{
	__u64 fields, id_fields;

	if (ts->hooks == hooks)
		return 0;
	if (read_u64(hooks + node_off.hooks_fields, &fields) ||
	    read_u64(hooks + node_off.hooks_id_fields, &id_fields))
		return -1;
	ts->hooks = hooks;
	ts->fields = fields;
	ts->id_fields = id_fields;
	if (js_exact) {
		/* user space puts its watchpoints on this thread's id fields; the
		 * record is reserved first, so no stop is sent unannounced */
		struct ev_js *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

		if (!r) {
			STAT_INC(ringbuf_drops);
			return 0;
		}
		__builtin_memset(r, 0, sizeof(*r));
		r->h.ts_ns = bpf_ktime_get_ns();
		r->h.pid = current_tgid();
		r->h.tid = (__u32)bpf_get_current_pid_tgid();
		r->h.kind = EV_THREAD_ENV;
		r->h.len = sizeof(*r);
		r->h.layer = LAYER_JS;
		r->addr = id_fields;
		/* ids issued from here until the watchpoints are armed go unseen;
		 * the counter now lets user space count them */
		read_u64(id_fields + ASYNC_ID_COUNTER_OFF, &r->id);
		/* the stop is taken on the way back to user space, before this
		 * thread runs another line of JS */
		if (js_stop_to_arm && !bpf_send_signal(SIGNAL_STOP)) {
			r->dir = THREAD_ENV_STOPPED;
			STAT_INC(stops_sent);
		}
		bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	}
	return 0;
}

/* fields_[kStackLength]: how many contexts are on the async id stack. */
static __always_inline int stack_depth(const struct thread_state *ts, __u32 *depth)
{
	return read_u32(ts->fields + node_off.fields_stack_len, depth);
}

static __always_inline void emit_destroy(struct thread_state *ts, __u64 id, __u64 env, __u64 wrap,
					 __u8 flags)
{
	struct ev_node *e;

	if (aggregate)
		agg_destroy(LAYER_NODE, env, id);
	e = event_begin(ts, EV_DESTROY, flags);
	e->id = id;
	e->env = env;
	e->wrap = wrap;
	event_finish(ts, e);
}

static __always_inline int emit_init(__u64 wrap)
{
	struct live_key key = {.pid = current_tgid(), .wrap = wrap};
	__u64 ids[2], env, exec_bits, id, *old;
	struct thread_state *ts;
	__u32 provider;
	struct ev_node *e;

	if (read_u32(wrap + node_off.wrap_provider, &provider))
		return 0;
	if (bpf_probe_read_user(ids, sizeof(ids), (const void *)(wrap + node_off.wrap_async_id))) {
		STAT_INC(read_errors);
		return 0;
	}
	ts = thread_get();
	if (!ts || wrap_env(wrap, &env) || thread_hooks(ts, env + node_off.env_async_hooks) ||
	    read_u64(ts->id_fields, &exec_bits))
		return 0;
	id = id_from_double_bits(ids[0]);
	if (id < FIRST_RESOURCE_ID || id == ASYNC_ID_INVALID) {
		STAT_INC(bad_ids);
		return 0;
	}

	/* A wrap we saw with another id was reused (HTTP agent sockets). */
	old = bpf_map_lookup_elem(&live_wraps, &key);
	if (old && *old != id)
		emit_destroy(ts, *old, env, wrap, EVF_RESET);
	if (bpf_map_update_elem(&live_wraps, &key, &id, BPF_ANY))
		STAT_INC(live_map_full);

	if (aggregate)
		agg_init(LAYER_NODE, env, id, provider, bpf_ktime_get_ns());
	e = event_begin(ts, EV_INIT, 0);
	e->id = id;
	e->trigger = id_from_double_bits(ids[1]);
	e->exec = id_from_double_bits(exec_bits);
	e->env = env;
	e->wrap = wrap;
	e->provider = provider;
	event_finish(ts, e);
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(node_trace_async_start, __u64 wrap)
{
	if (!is_traced())
		return 0;
	return emit_init(wrap);
}

/* Builds without EmitTraceAsyncStart: ids exist only once AsyncReset returns. */
SEC("uprobe")
int BPF_UPROBE(node_async_reset_enter, __u64 wrap)
{
	struct thread_state *ts;
	__u32 n;

	if (!is_traced())
		return 0;
	/* AsyncReset(..., bool silent): a silent reset reports no init to JS. */
	if (node_off.reset_silent_arg && (arg_slot(ctx, node_off.reset_silent_arg) & 0xff))
		wrap = 0;
	ts = thread_get();
	if (!ts)
		return 0;
	n = ts->nresets;
	if (n < RESET_NEST_MAX)
		ts->reset_wraps[n & (RESET_NEST_MAX - 1)] = wrap;
	ts->nresets = n + 1;
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(node_async_reset_exit)
{
	struct thread_state *ts;
	__u64 wrap = 0;
	__u32 n;

	if (!is_traced())
		return 0;
	ts = thread_peek();
	if (!ts || ts->nresets == 0)
		return 0;
	n = --ts->nresets;
	if (n < RESET_NEST_MAX)
		wrap = ts->reset_wraps[n & (RESET_NEST_MAX - 1)];
	if (wrap)
		emit_init(wrap);
	return 0;
}

/* Records the scope on the thread's stack and reports `before`. */
static __always_inline int scope_push(__u64 env, __u64 id_bits, __u64 trigger_bits, __u64 caller)
{
	__u64 id = id_from_double_bits(id_bits), now = bpf_ktime_get_ns();
	struct thread_state *ts;
	struct ev_node *e;
	__u32 depth;
	__u64 n;

	ts = thread_get();
	if (!ts || thread_hooks(ts, env + node_off.env_async_hooks) || stack_depth(ts, &depth))
		return 0;
	thread_note_depth(ts, depth);
	n = ts->nframes;
	/* frames at or above this depth belong to scopes that never popped */
	for (int i = 0; i < NODE_MAX_FRAMES && n > 0; i++) {
		if (ts->frames[frame_idx(n - 1)].depth < depth)
			break;
		n--;
		STAT_INC(stale_frames);
	}
	if (n < NODE_MAX_FRAMES) {
		struct scope_frame *f = &ts->frames[frame_idx(n)];

		f->id = id;
		f->ts_ns = now;
		f->depth = depth;
		n++;
	} else {
		STAT_INC(frame_overflow);
	}
	ts->nframes = n;

	if (id == ASYNC_ID_INVALID)
		return 0;
	if (id < FIRST_RESOURCE_ID && !with_stacks)
		return 0;
	if (aggregate && id >= FIRST_RESOURCE_ID)
		agg_before(LAYER_NODE, env, id, now);
	e = event_begin(ts, EV_BEFORE, id < FIRST_RESOURCE_ID ? EVF_PHASE : 0);
	e->h.ts_ns = now;
	e->id = id;
	e->trigger = id_from_double_bits(trigger_bits);
	e->env = env;
	e->depth = depth;
	e->caller = caller;
	event_finish(ts, e);
	return 0;
}

/* InternalCallbackScope(Environment*, resource, const async_context&, flags, ...) */
SEC("uprobe")
int BPF_UPROBE(node_scope_enter)
{
	__u64 env, ids[2];

	if (!is_traced())
		return 0;
	env = arg_slot(ctx, node_off.ics_env_arg);
	if (bpf_probe_read_user(ids, sizeof(ids),
				(const void *)arg_slot(ctx, node_off.ics_ctx_arg))) {
		STAT_INC(read_errors);
		return 0;
	}
	return scope_push(env, ids[0], ids[1], return_address(ctx));
}

/* InternalCallbackScope(AsyncWrap*, flags), probed only where it inlines the above. */
SEC("uprobe")
int BPF_UPROBE(node_wrap_scope_enter, __u64 self, __u64 wrap)
{
	__u64 env, ids[2];

	if (!is_traced())
		return 0;
	if (bpf_probe_read_user(ids, sizeof(ids), (const void *)(wrap + node_off.wrap_async_id))) {
		STAT_INC(read_errors);
		return 0;
	}
	if (wrap_env(wrap, &env))
		return 0;
	return scope_push(env, ids[0], ids[1], return_address(ctx));
}

/* AsyncHooks::pop_async_context(double): the popped id is async_id_fields[0]. */
SEC("uprobe")
int BPF_UPROBE(node_pop_context, __u64 hooks)
{
	__u64 id_bits, id, frame_id = 0, started = 0;
	struct thread_state *ts;
	struct ev_node *e;
	__u32 depth, flags = 0;
	int matched = 0;
	__u64 n;

	if (!is_traced())
		return 0;
	ts = thread_get();
	if (!ts || thread_hooks(ts, hooks) || stack_depth(ts, &depth) || depth == 0)
		return 0;
	if (read_u64(ts->id_fields, &id_bits))
		return 0;
	id = id_from_double_bits(id_bits);
	thread_note_depth(ts, depth);
	depth--; /* depth of the scope being closed, as recorded at its push */

	n = ts->nframes;
	for (int i = 0; i < NODE_MAX_FRAMES && n > 0; i++) {
		if (ts->frames[frame_idx(n - 1)].depth <= depth)
			break;
		n--;
		STAT_INC(stale_frames);
	}
	if (n > 0 && ts->frames[frame_idx(n - 1)].depth == depth) {
		n--;
		frame_id = ts->frames[frame_idx(n)].id;
		started = ts->frames[frame_idx(n)].ts_ns;
		matched = 1;
	}
	ts->nframes = n;

	if (!matched) {
		/* A scope opened before we attached closes now; anything else was
		 * pushed without a callback scope (e.g. PromiseRejectCallback). */
		if (depth >= ts->first_depth) {
			STAT_INC(foreign_pops);
			return 0;
		}
		flags = EVF_UNMATCHED;
		frame_id = id;
	}
	if (frame_id != id)
		STAT_INC(bad_ids);
	if (id < FIRST_RESOURCE_ID || id == ASYNC_ID_INVALID)
		return 0;
	if (aggregate)
		agg_after(LAYER_NODE, hooks - node_off.env_async_hooks, id,
			  matched ? bpf_ktime_get_ns() - started : ~0ULL, n == 0);
	e = event_begin(ts, EV_AFTER, flags);
	e->id = id;
	e->env = hooks - node_off.env_async_hooks;
	e->depth = depth;
	event_finish(ts, e);
	return 0;
}

/* ~AsyncWrap() and EmitDestroy(bool); the latter sets async_id_ to -1, so a
 * later destructor of the same wrap reads an invalid id and stays quiet. */
SEC("uprobe")
int BPF_UPROBE(node_destroy, __u64 wrap)
{
	struct live_key key = {.pid = current_tgid(), .wrap = wrap};
	__u64 id_bits, id, env = 0;
	struct thread_state *ts;

	if (!is_traced())
		return 0;
	if (read_u64(wrap + node_off.wrap_async_id, &id_bits))
		return 0;
	id = id_from_double_bits(id_bits);
	if (id < FIRST_RESOURCE_ID || id == ASYNC_ID_INVALID)
		return 0;
	bpf_map_delete_elem(&live_wraps, &key);
	ts = thread_get();
	if (!ts)
		return 0;
	wrap_env(wrap, &env);
	emit_destroy(ts, id, env, wrap, 0);
	return 0;
}

/*
 * V8's MicrotaskQueue::RunMicrotasks: promise reactions and queueMicrotask
 * callbacks run inside, ticks outside. Attached only with the JS layer on;
 * the records are phase markers that never reach the output.
 */
static __always_inline int microtasks_marker(__u16 kind)
{
	struct thread_state *ts;
	struct ev_node *e;

	if (!is_traced() || !with_stacks)
		return 0;
	ts = thread_get();
	if (!ts || !ts->hooks)
		return 0; /* no scope seen on this thread yet: nothing to relate it to */
	e = event_begin(ts, kind, EVF_PHASE | EVF_MICROTASKS);
	event_finish(ts, e);
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(node_microtasks_enter)
{
	return microtasks_marker(EV_BEFORE);
}

SEC("uretprobe")
int BPF_URETPROBE(node_microtasks_exit)
{
	return microtasks_marker(EV_AFTER);
}
