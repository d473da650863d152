// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Node layer: native (AsyncWrap) resources with Node's own ids.
 *
 *   init     AsyncWrap::EmitTraceAsyncStart() entry (ids already stored), or
 *            on builds without it AsyncWrap::AsyncReset() entry, then the
 *            entry of the EmitAsyncInit() AsyncReset ends in
 *   before   InternalCallbackScope constructors (they push the id context)
 *   after    AsyncHooks::pop_async_context() matched to the push above
 *   destroy  ~AsyncWrap() and AsyncWrap::EmitDestroy(bool)
 *
 * Ids are doubles passed in xmm registers, which a uprobe cannot read, so
 * they are read from the objects they live in. Every offset comes from
 * node_off, derived from the target binary at attach time.
 *
 * Each read of target memory costs more than anything else a probe does
 * (~100-180 ns a call on the VMs we measure on, whatever its size up to a
 * few hundred bytes), so neighbouring fields are read in one call, pointers
 * that never change are kept per thread, and each probe takes the clock and
 * its pid once.
 */
#include "core.bpf.h"
#include "agg.bpf.h"
#include "jsstack.bpf.h"

/* Ids 0 (no resource) and 1 (the bootstrap/main context) never get hooks. */
#define FIRST_RESOURCE_ID 2

/* What one event knows of its thread: who, when, and the AsyncHooks state. */
struct node_probe {
	__u64 pid_tgid;
	__u64 now;
	__u64 cur[3];	  /* async_id_fields[0..2]: exec, trigger, id counter (bits) */
	__u32 depth;	  /* fields_[kStackLength] */
	__u32 init_hooks; /* fields_[kInit] */
	bool have_stack;  /* cur, depth and init_hooks were read: a stack can be sent */
	__u64 fp;	  /* init: the probe's rbp, where --js-stacks walks from */
};

static __always_inline void probe_start(struct node_probe *p)
{
	p->pid_tgid = bpf_get_current_pid_tgid();
	p->now = bpf_ktime_get_ns();
	p->have_stack = false;
	p->fp = 0;
}

static __always_inline int read_fields(struct thread_state *ts, struct node_probe *p);
static __always_inline int read_ids(struct thread_state *ts, struct node_probe *p);

/*
 * The current context of a record whose depth is known. At depth 0 it is
 * the base context, (0, 0), never a pushed frame (nothing is pushed), so it
 * is not read, unless --stacks is to show it; the id counter is then the
 * last one read on the thread, a lower bound the JS layer does not consult
 * at resource events.
 */
static __always_inline int read_current(struct thread_state *ts, struct node_probe *p)
{
	if (p->depth == 0 && !full_stacks) {
		p->cur[0] = p->cur[1] = 0;
		p->cur[2] = ts->counter_bits;
		return 0;
	}
	return read_ids(ts, p);
}

/* With stacks on: the current context, counter and depth for the record. A
 * failed read costs the record its stack, not the event. */
static __always_inline void probe_stack(struct thread_state *ts, struct node_probe *p)
{
	if (with_stacks && ts->id_fields)
		p->have_stack = !read_fields(ts, p) && !read_current(ts, p);
}

/*
 * An AsyncWrap's realm_, provider_type_, async_id_ and trigger_async_id_,
 * read in one call when they lie within 64 bytes (they are neighbours in
 * every node we resolve; node_off is .rodata, so the verifier keeps one
 * branch), else field by field.
 */
struct wrap_fields {
	__u64 realm;
	__u64 ids[2];
	__u32 provider;
};

#define MIN3(a, b, c) ((a) < (b) ? ((a) < (c) ? (a) : (c)) : ((b) < (c) ? (b) : (c)))
#define MAX3(a, b, c) ((a) > (b) ? ((a) > (c) ? (a) : (c)) : ((b) > (c) ? (b) : (c)))
#define WRAP_WINDOW   64

static __always_inline int read_wrap(__u64 wrap, struct wrap_fields *w)
{
	__u32 lo = MIN3(node_off.wrap_realm, node_off.wrap_provider, node_off.wrap_async_id);
	__u32 hi = MAX3(node_off.wrap_realm + 8, node_off.wrap_provider + 4,
			node_off.wrap_async_id + 16);
	__u8 buf[WRAP_WINDOW];

	if (hi - lo <= WRAP_WINDOW) {
		if (bpf_probe_read_user(buf, hi - lo, (const void *)(wrap + lo)))
			goto fail;
		__builtin_memcpy(&w->realm, buf + ((node_off.wrap_realm - lo) & 0x3f), 8);
		__builtin_memcpy(&w->provider, buf + ((node_off.wrap_provider - lo) & 0x3f), 4);
		__builtin_memcpy(w->ids, buf + ((node_off.wrap_async_id - lo) & 0x3f), 16);
		return 0;
	}
	if (bpf_probe_read_user(&w->realm, 8, (const void *)(wrap + node_off.wrap_realm)) ||
	    bpf_probe_read_user(&w->provider, 4, (const void *)(wrap + node_off.wrap_provider)) ||
	    bpf_probe_read_user(w->ids, 16, (const void *)(wrap + node_off.wrap_async_id)))
		goto fail;
	return 0;
fail:
	STAT_INC(read_errors);
	return -1;
}

/* The Environment of a realm; the thread keeps the last pair it read. */
static __always_inline int realm_env(struct thread_state *ts, __u64 realm, __u64 *env)
{
	if (realm && realm == ts->realm) {
		*env = ts->env;
		return 0;
	}
	if (read_u64(realm + node_off.realm_env, env))
		return -1;
	ts->realm = realm;
	ts->env = *env;
	return 0;
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

/* fields_[kInit] and fields_[kStackLength]: one read of the first 32 bytes
 * (kStackLength is index 7 in every node with async_hooks). */
static __always_inline int read_fields(struct thread_state *ts, struct node_probe *p)
{
	__u32 f[8];

	if (node_off.fields_stack_len + sizeof(__u32) <= sizeof(f)) {
		if (bpf_probe_read_user(f, sizeof(f), (const void *)ts->fields)) {
			STAT_INC(read_errors);
			return -1;
		}
		p->init_hooks = f[0];
		p->depth = f[(node_off.fields_stack_len / sizeof(__u32)) & 7];
	} else if (read_u32(ts->fields, &p->init_hooks) ||
		   read_u32(ts->fields + node_off.fields_stack_len, &p->depth)) {
		return -1;
	}
	ts->init_hooks = p->init_hooks; /* a matched pop reports the last one read */
	return 0;
}

/* async_id_fields[0], and with stacks [1] and [2] too, in one read. */
static __always_inline int read_ids(struct thread_state *ts, struct node_probe *p)
{
	if (bpf_probe_read_user(p->cur, with_stacks ? sizeof(p->cur) : sizeof(p->cur[0]),
				(const void *)ts->id_fields)) {
		STAT_INC(read_errors);
		return -1;
	}
	if (with_stacks)
		ts->counter_bits = p->cur[2];
	return 0;
}

/* Starts a node-layer record in the thread's scratch space. */
static __always_inline struct ev_node *
event_begin(struct thread_state *ts, const struct node_probe *p, __u16 kind, __u16 flags)
{
	struct ev_node *e = &ts->scratch.n;

	e->h.ts_ns = p->now;
	e->h.pid = p->pid_tgid >> 32;
	e->h.tid = (__u32)p->pid_tgid;
	e->h.kind = kind;
	e->h.len = sizeof(*e);
	e->h.layer = LAYER_NODE;
	e->h.flags = flags;
	e->h.pad = 0;
	e->id = 0;
	e->trigger = 0;
	e->exec = 0;
	e->env = 0;
	e->wrap = 0;
	e->provider = 0;
	e->depth = 0;
	e->caller = 0;
	return e;
}

/* Number of bytes of n stack pairs, masked so the verifier sees the bound. */
static __always_inline __u64 pair_bytes(__u64 n)
{
	asm volatile("%0 &= %1" : "+r"(n) : "i"(2 * NODE_MAX_STACK - 1));
	if (n > NODE_MAX_STACK)
		n = NODE_MAX_STACK;
	return n * 2 * sizeof(__u64);
}

/*
 * Whether a record at this depth needs the saved pairs read: not when the
 * innermost of the thread's n open scopes sits right below it (no JS frame
 * between them), since that scope's record carried them and nothing below
 * an open scope changes; always with --stacks, which shows them.
 */
static __always_inline bool pairs_needed(const struct thread_state *ts, __u32 depth, __u64 n)
{
	if (full_stacks)
		return true;
	return !(n > 0 && n <= NODE_MAX_FRAMES && ts->frames[frame_idx(n - 1)].depth + 1 == depth);
}

/*
 * Appends the thread's async id stack (with stacks on) to the record and
 * sends it. p holds the current context, counter and depth, already read.
 * With pairs, the innermost saved pairs are read too, from the stack buffer
 * whose pointer is read anew every time (node reallocates it past 16 pairs).
 */
static __always_inline void event_finish(struct thread_state *ts, struct ev_node *e,
					 const struct node_probe *p, bool pairs)
{
	struct ev_stack *st = &ts->scratch.s;
	__u64 size = sizeof(struct ev_node), stack_buf, skip, bytes = 0;
	__u32 n;

	if (!record_wanted())
		return;
	if (with_stacks && p->have_stack) {
		if (pairs && p->depth > 0) {
			n = p->depth < NODE_MAX_STACK ? p->depth : NODE_MAX_STACK;
			skip = (__u64)(p->depth - n) * 2 * sizeof(__u64);
			bytes = pair_bytes(n);
			if (read_u64(ts->hooks + node_off.hooks_stack, &stack_buf) ||
			    bpf_probe_read_user(st->pairs, bytes, (void *)(stack_buf + skip))) {
				STAT_INC(read_errors);
				goto send;
			}
		}
		st->exec_bits = p->cur[0];
		st->trigger_bits = p->cur[1];
		st->counter_bits = p->cur[2];
		st->init_hooks = p->init_hooks;
		st->depth = p->depth;
		st->npairs = bytes / (2 * sizeof(__u64));
		e->h.flags |= EVF_STACK;
		size = sizeof(struct ev_node) + offsetof(struct ev_stack, pairs) + bytes;
	}
send:
	e->h.len = size;
	if (size == sizeof(struct ev_node)) {
		/* fixed size: straight into the ring, cheaper than copying through output */
		struct ev_node *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

		if (!r) {
			STAT_INC(ringbuf_drops);
			return;
		}
		__builtin_memcpy(r, e, sizeof(*r));
		bpf_ringbuf_submit(r, wakeup_flag_at(p->now));
		return;
	}
	if (bpf_ringbuf_output(&events, e, size & 0x7ff, wakeup_flag_at(p->now)))
		STAT_INC(ringbuf_drops);
}

/*
 * Aggregation: the type of a resource whose init was not seen (made before
 * the probes went in, or between windows), from the AsyncWrap its callback
 * runs for: only once that wrap's own ids prove it is the one (no type is
 * read that cannot be vouched for). AGG_TYPE_UNKNOWN otherwise.
 */
static __always_inline __u16 wrap_type(__u64 wrap, const __u64 ids[2])
{
	__u64 have[2];
	__u32 provider;

	if (!wrap ||
	    bpf_probe_read_user(have, sizeof(have),
				(const void *)(wrap + node_off.wrap_async_id)) ||
	    have[0] != ids[0] || have[1] != ids[1] ||
	    try_read_u32(wrap + node_off.wrap_provider, &provider) || provider >= AGG_TYPE_UNKNOWN)
		return AGG_TYPE_UNKNOWN;
	return provider;
}

/*
 * The AsyncWrap behind InternalCallbackScope's resource argument: a
 * Local<Object> (a slot holding the tagged object pointer) or, on node 22+,
 * a Global<Object>* (a pointer to such a slot). The JS object holds its
 * BaseObject* in an embedder field. 0 when any of it cannot be read.
 */
static __always_inline __u64 object_wrap(__u64 arg)
{
	__u64 v, wrap;

	if (!node_off.obj_base_slot || try_read_u64(arg, &v))
		return 0;
	/* V8 tags heap object pointers with 1: untagged, it is the Global's slot */
	if (!(v & 1) && try_read_u64(v, &v))
		return 0;
	if (!(v & 1) || try_read_u64(v - 1 + node_off.obj_base_slot, &wrap))
		return 0;
	return wrap;
}

/* provider: the wrap's, as read with its id (the type if its init was not seen). */
static __always_inline void emit_destroy(struct thread_state *ts, const struct node_probe *p,
					 __u64 id, __u64 env, __u64 wrap, __u32 provider,
					 __u16 flags)
{
	struct ev_node *e;

	if (aggregate) {
		struct agg_id *v = agg_id_find(LAYER_NODE, env, id);
		__u16 type = provider < AGG_TYPE_UNKNOWN ? provider : AGG_TYPE_UNKNOWN;

		agg_destroy_of(LAYER_NODE, env, id, v, v ? v->type : type);
	}
	e = event_begin(ts, p, EV_DESTROY, flags);
	e->id = id;
	e->env = env;
	e->wrap = wrap;
	event_finish(ts, e, p, pairs_needed(ts, p->depth, ts->nframes));
}

/* Whether code address ra lies in an AsyncWrap constructor. */
static __always_inline bool in_constructor(__u64 ra)
{
	for (int i = 0; i < NODE_MAX_CTORS; i++)
		if (i < node_off.nctors && ra - node_off.ctor_lo[i] < node_off.ctor_len[i])
			return true;
	return false;
}

/*
 * An init. ra_at: where AsyncReset's return address is (0: not known), or
 * constructed: already known to come from a constructor. A new object has
 * no old id to destroy, whatever live_wraps holds for its address: a wrap
 * freed unseen (between windows), whose memory it reuses.
 */
static __always_inline int emit_init(struct node_probe *p, __u64 wrap, __u64 ra_at,
				     bool constructed)
{
	struct live_key key = {.pid = p->pid_tgid >> 32, .wrap = wrap};
	struct thread_state *ts;
	struct wrap_fields w;
	__u64 env, id, *old;
	struct ev_node *e;

	if (read_wrap(wrap, &w))
		return 0;
	ts = thread_get();
	if (!ts || realm_env(ts, w.realm, &env) || thread_hooks(ts, env + node_off.env_async_hooks))
		return 0;
	/* the exec id is async_id_fields[0], so read with or without stacks */
	if (read_ids(ts, p))
		return 0;
	p->have_stack = with_stacks && !read_fields(ts, p);
	id = id_from_double_bits(w.ids[0]);
	if (id < FIRST_RESOURCE_ID || id == ASYNC_ID_INVALID) {
		STAT_INC(bad_ids);
		return 0;
	}

	/* A wrap we saw with another id was reused (HTTP agent sockets). */
	old = bpf_map_lookup_elem(&live_wraps, &key);
	if (old && *old != id && ra_at && !constructed) {
		__u64 ra;

		constructed = !try_read_u64(ra_at, &ra) && in_constructor(ra);
	}
	if (old && *old != id && !constructed)
		emit_destroy(ts, p, *old, env, wrap, w.provider, EVF_RESET);
	if (!old || *old != id) {
		if (bpf_map_update_elem(&live_wraps, &key, &id, BPF_ANY))
			STAT_INC(live_map_full);
	}

	if (aggregate)
		agg_init(LAYER_NODE, env, id, w.provider, p->now);
	if (js_stacks && p->fp && record_wanted())
		js_stack_send(&ts->js_scratch, p->pid_tgid, p->now, id, p->fp);
	e = event_begin(ts, p, EV_INIT, 0);
	e->id = id;
	e->trigger = id_from_double_bits(w.ids[1]);
	e->exec = id_from_double_bits(p->cur[0]);
	e->env = env;
	e->wrap = wrap;
	e->provider = w.provider;
	event_finish(ts, e, p, pairs_needed(ts, p->depth, ts->nframes));
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(node_trace_async_start, __u64 wrap)
{
	struct node_probe p;

	if (empty_programs)
		return 0;
	probe_start(&p);
	if (!is_traced_tgid(p.pid_tgid >> 32))
		return 0;
	p.fp = PT_REGS_FP(ctx);
	/* called by AsyncReset, which keeps a frame pointer (checked at resolve
	 * time, else nctors is 0): its return address is at 8(%rbp) */
	return emit_init(&p, wrap, node_off.nctors ? PT_REGS_FP(ctx) + 8 : 0, false);
}

/*
 * Builds without EmitTraceAsyncStart: AsyncReset stores the new ids, then
 * ends in (tail-calls) EmitAsyncInit, which runs the JS init hooks. The
 * init is sent at EmitAsyncInit's entry: ids stored, no hook run yet, so
 * whatever a hook creates comes after it, as async_hooks reports it (at
 * AsyncReset's return it came before). The entry remembers which wrap.
 */
SEC("uprobe")
int BPF_UPROBE(node_async_reset_enter, __u64 wrap, __u64 resource)
{
	struct thread_state *ts;

	if (empty_programs)
		return 0;
	if (!is_traced())
		return 0;
	/* AsyncReset(..., bool silent): a silent reset reports no init to JS
	 * and calls no EmitAsyncInit. */
	if (node_off.reset_silent_arg && (arg_slot(ctx, node_off.reset_silent_arg) & 0xff))
		wrap = 0;
	ts = thread_get();
	if (!ts)
		return 0;
	/* from a constructor (the return address at the stack top): a new
	 * object, marked in the wrap's low bit (wraps are 8-byte aligned) */
	if (wrap && node_off.nctors) {
		__u64 ra;

		if (!try_read_u64(PT_REGS_SP(ctx), &ra) && in_constructor(ra))
			wrap |= 1;
	}
	ts->reset_wrap = wrap;
	ts->reset_obj = resource;
	return 0;
}

/* static EmitAsyncInit(Environment*, Local<Object> resource, ...): also
 * called for the C++ embedder API's resources, which are no AsyncWrap; only
 * the call whose resource is the pending AsyncReset's is that wrap's init. */
SEC("uprobe")
int BPF_UPROBE(node_emit_async_init, __u64 env, __u64 resource)
{
	struct thread_state *ts;
	struct node_probe p;
	__u64 wrap;

	if (empty_programs)
		return 0;
	probe_start(&p);
	if (!is_traced_tgid(p.pid_tgid >> 32))
		return 0;
	ts = thread_peek();
	if (!ts || !ts->reset_wrap || ts->reset_obj != resource)
		return 0;
	wrap = ts->reset_wrap;
	ts->reset_wrap = 0;
	p.fp = PT_REGS_FP(ctx);
	return emit_init(&p, wrap & ~1ULL, 0, wrap & 1);
}

/*
 * A rejection Node reports (enum rejection_kind), in the context r holds:
 * sent as a fixed-size record (no stack), and counted when aggregating.
 */
static __noinline int emit_rejection(const struct rej_pending *r, __u32 kind, __u64 now)
{
	__u32 tgid = current_tgid();
	struct ev_node *e;

	if (aggregate) {
		struct agg_counts *c = agg_counts_get(tgid, LAYER_NODE, AGG_TYPE_PROCESS);

		if (c && kind - 1 < 2)
			__sync_fetch_and_add(&c->rejections[(kind - 1) & 1], 1);
	}
	if (!record_wanted())
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		STAT_INC(ringbuf_drops);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->h.ts_ns = now;
	e->h.pid = tgid;
	e->h.tid = (__u32)bpf_get_current_pid_tgid();
	e->h.kind = EV_REJECTION;
	e->h.len = sizeof(*e);
	e->h.layer = LAYER_NODE;
	e->exec = id_from_double_bits(r->ids[0]);
	e->trigger = id_from_double_bits(r->ids[1]);
	e->provider = kind;
	e->wrap = r->promise;
	e->caller = r->ts_ns;
	bpf_ringbuf_submit(e, wakeup_flag_at(now));
	return 0;
}

/*
 * An outermost callback begins: the previous one, and the ticks and
 * microtasks after it, are over, and with them Node's chance to see a
 * handler added in time: what is still pending was reported unhandled.
 */
static __noinline int flush_rejections(struct thread_state *ts, __u64 now)
{
	for (int i = 0; i < REJ_PENDING_MAX; i++) {
		if (i >= ts->nrej)
			break;
		emit_rejection(&ts->rej[i & (REJ_PENDING_MAX - 1)], REJECTION_UNHANDLED, now);
	}
	ts->nrej = 0;
	return 0;
}

/* Records the scope on the thread's stack and reports `before`. The scope's
 * resource: its type, when read with its ids from its wrap, or the
 * constructor's object argument (the way to its wrap). */
static __always_inline int scope_push(struct thread_state *ts, struct node_probe *p, __u64 env,
				      const __u64 ids[2], __u64 caller, __u32 provider,
				      __u64 obj_arg)
{
	__u64 id = id_from_double_bits(ids[0]);
	struct ev_node *e;
	bool pairs;
	__u64 n;

	if (thread_hooks(ts, env + node_off.env_async_hooks) || read_fields(ts, p))
		return 0;
	if (p->depth == 0 && ts->nrej)
		flush_rejections(ts, p->now);
	thread_note_depth(ts, p->depth);
	n = ts->nframes;
	/* frames at or above this depth belong to scopes that never popped */
	for (int i = 0; i < NODE_MAX_FRAMES && n > 0; i++) {
		if (ts->frames[frame_idx(n - 1)].depth < p->depth)
			break;
		n--;
		STAT_INC(stale_frames);
	}
	pairs = pairs_needed(ts, p->depth, n);
	if (n < NODE_MAX_FRAMES) {
		struct scope_frame *f = &ts->frames[frame_idx(n)];

		f->id = id;
		f->ts_ns = p->now;
		f->depth = p->depth;
		n++;
	} else {
		STAT_INC(frame_overflow);
	}
	ts->nframes = n;

	if (id == ASYNC_ID_INVALID)
		return 0;
	if (id < FIRST_RESOURCE_ID && !with_stacks)
		return 0;
	if (aggregate && id >= FIRST_RESOURCE_ID) {
		struct agg_id *v = agg_id_find(LAYER_NODE, env, id);

		if (!v) {
			__u16 type = provider < AGG_TYPE_UNKNOWN ?
					     provider :
					     wrap_type(object_wrap(obj_arg), ids);

			if (type != AGG_TYPE_UNKNOWN)
				v = agg_adopt(LAYER_NODE, env, id, type);
		}
		agg_before_of(LAYER_NODE, v, p->now);
	}
	/* phase markers need the id counter as it is (ids issued before the phase) */
	p->have_stack =
		with_stacks && !(id < FIRST_RESOURCE_ID ? read_ids(ts, p) : read_current(ts, p));
	e = event_begin(ts, p, EV_BEFORE, id < FIRST_RESOURCE_ID ? EVF_PHASE : 0);
	e->id = id;
	e->trigger = id_from_double_bits(ids[1]);
	e->env = env;
	e->depth = p->depth;
	e->caller = caller;
	event_finish(ts, e, p, pairs);
	return 0;
}

/* InternalCallbackScope(Environment*, resource, const async_context&, flags, ...) */
SEC("uprobe")
int BPF_UPROBE(node_scope_enter)
{
	struct thread_state *ts;
	struct node_probe p;
	__u64 ids[2];

	if (empty_programs)
		return 0;
	probe_start(&p);
	if (!is_traced_tgid(p.pid_tgid >> 32))
		return 0;
	if (bpf_probe_read_user(ids, sizeof(ids),
				(const void *)arg_slot(ctx, node_off.ics_ctx_arg))) {
		STAT_INC(read_errors);
		return 0;
	}
	ts = thread_get();
	if (!ts)
		return 0;
	return scope_push(ts, &p, arg_slot(ctx, node_off.ics_env_arg), ids, return_address(ctx),
			  AGG_TYPE_UNKNOWN, aggregate ? arg_slot(ctx, node_off.ics_obj_arg) : 0);
}

/* InternalCallbackScope(AsyncWrap*, flags), probed only where it inlines the above. */
SEC("uprobe")
int BPF_UPROBE(node_wrap_scope_enter, __u64 self, __u64 wrap)
{
	struct thread_state *ts;
	struct wrap_fields w;
	struct node_probe p;
	__u64 env;

	if (empty_programs)
		return 0;
	probe_start(&p);
	if (!is_traced_tgid(p.pid_tgid >> 32))
		return 0;
	if (read_wrap(wrap, &w))
		return 0;
	ts = thread_get();
	if (!ts || realm_env(ts, w.realm, &env))
		return 0;
	return scope_push(ts, &p, env, w.ids, return_address(ctx), w.provider, 0);
}

/*
 * A pop no open scope of ours has the id of: match it by depth, as a scope
 * whose push we saw but whose id reads differently (counted in bad_ids), a
 * scope opened before we attached, or a push without a callback scope (e.g.
 * PromiseRejectCallback), which is not reported. Returns the index of the
 * frame it closes, NODE_MAX_FRAMES if none, -1 to drop the pop.
 */
static __always_inline int pop_by_depth(struct thread_state *ts, struct node_probe *p, __u32 *depth)
{
	__u64 n = ts->nframes;

	if (read_fields(ts, p) || p->depth == 0)
		return -1;
	thread_note_depth(ts, p->depth);
	*depth = p->depth - 1; /* depth of the scope being closed, as recorded at its push */
	for (int i = 0; i < NODE_MAX_FRAMES && n > 0; i++) {
		if (ts->frames[frame_idx(n - 1)].depth <= *depth)
			break;
		n--;
		STAT_INC(stale_frames);
	}
	ts->nframes = n;
	if (n > 0 && ts->frames[frame_idx(n - 1)].depth == *depth) {
		STAT_INC(bad_ids);
		return n - 1;
	}
	if (*depth >= ts->first_depth) {
		STAT_INC(foreign_pops);
		return -1;
	}
	return NODE_MAX_FRAMES;
}

/*
 * AsyncHooks::pop_async_context(double): the popped id is async_id_fields[0].
 * It closes the innermost open scope with that id (scopes above it never
 * popped: their constructor failed), so the common pop reads the id alone;
 * the stack depth is read only when no open scope has it.
 */
SEC("uprobe")
int BPF_UPROBE(node_pop_context, __u64 hooks)
{
	__u64 id, started = 0, n;
	struct thread_state *ts;
	int k = NODE_MAX_FRAMES;
	struct node_probe p;
	struct ev_node *e;
	__u32 depth = 0;

	if (empty_programs)
		return 0;
	probe_start(&p);
	if (!is_traced_tgid(p.pid_tgid >> 32))
		return 0;
	ts = thread_get();
	if (!ts || thread_hooks(ts, hooks) || read_ids(ts, &p))
		return 0;
	id = id_from_double_bits(p.cur[0]);

	n = ts->nframes;
	for (int i = 0; i < NODE_MAX_FRAMES; i++) {
		if (i >= n)
			break;
		if (ts->frames[frame_idx(n - 1 - i)].id == id) {
			k = n - 1 - i;
			break;
		}
	}
	if (k < NODE_MAX_FRAMES) {
		if (n - 1 - k)
			__sync_fetch_and_add(&stats.stale_frames, n - 1 - k);
		depth = ts->frames[frame_idx(k)].depth;
		p.depth = depth + 1;
		p.init_hooks = ts->init_hooks;
	} else {
		k = pop_by_depth(ts, &p, &depth);
		if (k < 0)
			return 0;
	}
	/* sampled mode: its before fell outside the window; an after is counted
	 * only with its before, so the two stay paired */
	if (sampled && k >= NODE_MAX_FRAMES)
		return 0;
	if (k < NODE_MAX_FRAMES) {
		started = ts->frames[frame_idx(k)].ts_ns;
		ts->nframes = k;
	}
	p.have_stack = true;
	if (id < FIRST_RESOURCE_ID || id == ASYNC_ID_INVALID)
		return 0;
	if (aggregate)
		agg_after(LAYER_NODE, hooks - node_off.env_async_hooks, id,
			  k < NODE_MAX_FRAMES ? p.now - started : ~0ULL, ts->nframes == 0);
	e = event_begin(ts, &p, EV_AFTER, k < NODE_MAX_FRAMES ? 0 : EVF_UNMATCHED);
	e->id = id;
	e->env = hooks - node_off.env_async_hooks;
	e->depth = depth;
	event_finish(ts, e, &p, full_stacks);
	return 0;
}

/*
 * Destroys async_hooks never delivers. It queues them and hands them to JS
 * when the environment next runs its native immediates (every loop
 * iteration), so those still queued when the environment stops are lost, as
 * are all that follow: no JS runs there again. The stops: process.exit() on
 * the thread itself (Environment::Exit); worker.terminate(), a worker
 * stopped by process.exit(), node::Stop (Environment::ExitEnv, called from
 * another thread, so kept in a map until the environment's own thread sees
 * it); the teardown (Environment::RunCleanup, also at a thread's natural
 * end). Destroys after a stop carry EVF_AT_EXIT; those queued before it are
 * settled by an EV_DESTROYS_DUE record, which user space applies to them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, struct env_key);
	__type(value, __u8);
} stopping_envs SEC(".maps");

static __always_inline bool env_exiting(const struct thread_state *ts, __u32 pid, __u64 env)
{
	struct env_key k = {.pid = pid, .env = env};

	return env && (env == ts->exiting_env || bpf_map_lookup_elem(&stopping_envs, &k));
}

/* Settles the thread's destroys since the last record: delivered, or lost
 * to a stop (EVF_AT_EXIT). */
static __always_inline void destroys_due(struct thread_state *ts, __u64 env, __u16 flags)
{
	struct node_probe p;
	struct ev_node *e;

	if (!ts->destroys_due)
		return;
	ts->destroys_due = 0;
	probe_start(&p);
	e = event_begin(ts, &p, EV_DESTROYS_DUE, flags);
	e->env = env;
	event_finish(ts, e, &p, false);
}

/* Environment::RunAndClearNativeImmediates(bool): async_hooks' destroy
 * queue is drained in here, unless the environment is stopping. */
SEC("uprobe")
int BPF_UPROBE(node_immediates, __u64 env)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct thread_state *ts;

	if (empty_programs || !is_traced_tgid(pid))
		return 0;
	ts = thread_peek();
	if (ts)
		destroys_due(ts, env, env_exiting(ts, pid, env) ? EVF_AT_EXIT : 0);
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(node_env_stop, __u64 env)
{
	struct env_key k = {.pid = bpf_get_current_pid_tgid() >> 32, .env = env};
	__u8 one = 1;

	if (empty_programs || !is_traced_tgid(k.pid))
		return 0;
	bpf_map_update_elem(&stopping_envs, &k, &one, BPF_ANY);
	return 0;
}

/* Environment::Exit (process.exit() on its own thread) and RunCleanup. */
SEC("uprobe")
int BPF_UPROBE(node_env_exit, __u64 env)
{
	struct env_key k = {.pid = bpf_get_current_pid_tgid() >> 32, .env = env};
	struct thread_state *ts;

	if (empty_programs || !is_traced_tgid(k.pid))
		return 0;
	ts = thread_get();
	if (ts) {
		destroys_due(ts, env, EVF_AT_EXIT);
		ts->exiting_env = env;
	}
	bpf_map_delete_elem(&stopping_envs, &k);
	return 0;
}

/* ~AsyncWrap() and EmitDestroy(bool); the latter sets async_id_ to -1, so a
 * later destructor of the same wrap reads an invalid id and stays quiet. */
SEC("uprobe")
int BPF_UPROBE(node_destroy, __u64 wrap)
{
	struct live_key key = {.wrap = wrap};
	struct thread_state *ts;
	struct wrap_fields w;
	struct node_probe p;
	__u64 id, env = 0, ra;
	__u16 flags = 0;

	if (empty_programs)
		return 0;
	probe_start(&p);
	key.pid = p.pid_tgid >> 32;
	if (!is_traced_tgid(key.pid))
		return 0;
	if (read_wrap(wrap, &w))
		return 0;
	id = id_from_double_bits(w.ids[0]);
	if (id < FIRST_RESOURCE_ID || id == ASYNC_ID_INVALID)
		return 0;
	bpf_map_delete_elem(&live_wraps, &key);
	ts = thread_get();
	if (!ts)
		return 0;
	realm_env(ts, w.realm, &env);
	probe_stack(ts, &p);
	if (env_exiting(ts, key.pid, env)) {
		emit_destroy(ts, &p, id, env, wrap, w.provider, EVF_AT_EXIT);
		return 0;
	}
	/* at entry the return address is at the stack pointer: EmitDestroy
	 * called by AsyncReset ends an id the wrap outlives */
	if (node_off.reset_len && !try_read_u64(PT_REGS_SP(ctx), &ra) &&
	    ra - node_off.reset_lo < node_off.reset_len)
		flags = EVF_RESET;
	emit_destroy(ts, &p, id, env, wrap, w.provider, flags);
	if (record_wanted())
		ts->destroys_due++;
	return 0;
}

/*
 * V8 running microtasks: promise reactions and queueMicrotask callbacks run
 * inside, ticks outside. Probed on Execution::TryRunMicrotasks, which V8
 * calls only when the queue holds something (MicrotaskQueue::RunMicrotasks,
 * the fallback, is entered at every checkpoint, empty or not), so an empty
 * checkpoint costs no hit. Entry: the queue's finished_microtask_count_ is
 * kept, and with the JS layer on a phase marker is sent; return: the
 * counter again, and the difference goes out as EV_MICROTASKS (carrying the
 * stack for the JS layer, which takes it as the run's end) or, aggregating,
 * into the process's count. V8 never nests runs of a queue.
 */
SEC("uprobe")
int BPF_UPROBE(node_microtasks_enter)
{
	struct thread_state *ts;
	struct node_probe p;
	struct ev_node *e;
	__u64 queue = 0, count = 0;

	if (empty_programs)
		return 0;
	probe_start(&p);
	if (!is_traced_tgid(p.pid_tgid >> 32))
		return 0;
	ts = thread_get();
	if (!ts)
		return 0;
	if (node_off.mq_finished) {
		queue = arg_slot(ctx, node_off.mq_arg);
		if (read_u64(queue + node_off.mq_finished, &count))
			queue = 0;
	}
	ts->mq_queue = queue;
	ts->mq_count = count;
	ts->mq_ts = p.now;
	if (!with_stacks || !ts->hooks)
		return 0; /* no scope seen on this thread yet: nothing to relate it to */
	probe_stack(ts, &p);
	e = event_begin(ts, &p, EV_BEFORE, EVF_PHASE | EVF_MICROTASKS);
	event_finish(ts, e, &p, pairs_needed(ts, p.depth, ts->nframes));
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(node_microtasks_exit)
{
	struct thread_state *ts;
	struct node_probe p;
	struct ev_node *e;
	__u64 count = 0, began;

	if (empty_programs)
		return 0;
	probe_start(&p);
	if (!is_traced_tgid(p.pid_tgid >> 32))
		return 0;
	ts = thread_peek();
	if (!ts)
		return 0;
	began = ts->mq_ts;
	if (ts->mq_queue && !read_u64(ts->mq_queue + node_off.mq_finished, &count))
		count -= ts->mq_count;
	else
		count = 0; /* not counted: no counter on this build, or a read failed */
	ts->mq_queue = 0;
	if (!began)
		return 0; /* its entry was not seen (the probes went in during the run) */
	ts->mq_ts = 0;
	if (aggregate) {
		struct agg_counts *c =
			agg_counts_get(p.pid_tgid >> 32, LAYER_NODE, AGG_TYPE_PROCESS);

		if (c)
			__sync_fetch_and_add(&c->microtasks, count);
	}
	if (with_stacks && ts->hooks)
		probe_stack(ts, &p);
	e = event_begin(ts, &p, EV_MICROTASKS, 0);
	e->id = count;
	e->trigger = began;
	event_finish(ts, e, &p, with_stacks && pairs_needed(ts, p.depth, ts->nframes));
	return 0;
}

/*
 * node::PromiseRejectCallback(PromiseRejectMessage), the message on the
 * stack (offsets from the resolved layout). V8 calls it when a promise is
 * rejected with no handler, and again when one is added later. Node reports
 * the first as 'unhandledRejection' only if no handler came by the end of
 * the ticks and microtasks after the callback it happened in, and the
 * second as 'rejectionHandled' only after that: so a rejection is kept on
 * its thread until the next outermost callback begins (flush_rejections),
 * and a handler for one still kept (same promise address: no GC moves a
 * promise between the two, usually) cancels it. The other events (resolve
 * or reject after resolved) Node does not report.
 */
SEC("uprobe")
int BPF_UPROBE(node_promise_reject)
{
	__u64 sp = PT_REGS_SP(ctx), handle, promise;
	struct rej_pending r = {0};
	struct thread_state *ts;
	struct node_probe p;
	__u32 event, n;

	if (empty_programs)
		return 0;
	probe_start(&p);
	if (!is_traced_tgid(p.pid_tgid >> 32))
		return 0;
	if (read_u32(sp + node_off.reject_event, &event) || event > V8_HANDLER_ADDED_AFTER_REJECT ||
	    read_u64(sp + node_off.reject_promise, &handle) || read_u64(handle, &promise))
		return 0;
	ts = thread_get();
	if (!ts)
		return 0;
	n = ts->nrej;
	if (event == V8_HANDLER_ADDED_AFTER_REJECT) {
		for (int i = 0; i < REJ_PENDING_MAX; i++) {
			if (i >= n)
				break;
			if (ts->rej[i & (REJ_PENDING_MAX - 1)].promise != promise)
				continue;
			/* handled in time: Node reports nothing */
			ts->rej[i & (REJ_PENDING_MAX - 1)] =
				ts->rej[(n - 1) & (REJ_PENDING_MAX - 1)];
			ts->nrej = n - 1;
			return 0;
		}
	}
	r.promise = promise;
	r.ts_ns = p.now;
	if (ts->id_fields && bpf_probe_read_user(r.ids, sizeof(r.ids), (const void *)ts->id_fields))
		STAT_INC(read_errors);
	if (event == V8_HANDLER_ADDED_AFTER_REJECT)
		return emit_rejection(&r, REJECTION_HANDLED_LATE, p.now);
	if (n >= REJ_PENDING_MAX) /* too many at once: reported at once, unpaired */
		return emit_rejection(&r, REJECTION_UNHANDLED, p.now);
	ts->rej[n & (REJ_PENDING_MAX - 1)] = r;
	ts->nrej = n + 1;
	return 0;
}
