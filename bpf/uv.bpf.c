// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libuv layer: handles and requests of any libuv program, with ids of our
 * own (unique per process, never reused). uv_api is attached to the public
 * API functions; its cookie says which argument is the object and which its
 * callback. Each callback address, the first time it is registered, is
 * reported to user space, which attaches uv_cb_enter/uv_cb_exit to it: a
 * libuv callback's first argument is always its handle or request. A
 * command asyncscope started is stopped at that first registration until
 * the probe is in (uv_stop_to_probe), so no run of it is missed.
 */
#include "core.bpf.h"
#include "agg.bpf.h"
#include <bpf/bpf_core_read.h>

struct uv_key {
	__u32 pid;
	__u32 pad;
	__u64 addr;
};

struct uv_obj {
	__u64 id;
	__u64 cb;	/* its callback (for a request: completes it) */
	__u64 close_cb; /* uv_close's callback: completes the handle */
	__u32 type;	/* enum uv_obj_type */
	__u32 flags;	/* enum uv_obj_flags */
	__u32 epoch;	/* sampled mode: the window it was last seen in */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct uv_key);
	__type(value, struct uv_obj);
} uv_objs SEC(".maps");

/* next id per process */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} uv_next_id SEC(".maps");

/* callback code -> UV_CB_REPORTED or UV_CB_PROBED (user space writes these) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct uv_cb_key);
	__type(value, __u8);
} uv_cbs SEC(".maps");

/* link a uv object to the AsyncWrap that owns it (node with both layers) */
const volatile bool uv_link_wraps = false;
/* a command asyncscope started: stop it at a callback's first registration
 * until the callback is probed (see note_cb) */
const volatile bool uv_stop_to_probe = false;
/* libuv's own code: the file's inode and the range of file offsets it spans
 * (all of a shared libuv; the uv_* functions of a program with its own copy) */
const volatile __u64 uv_ino = 0;
const volatile __u64 uv_code_lo = 0, uv_code_hi = 0;
/* object types (bits) whose init function is not probed (single-stepped):
 * their first start is where their init is counted */
const volatile __u64 uv_init_unprobed = 0;

struct code_at {
	__u64 addr;
	struct uv_cb_key file; /* dev, ino, off of addr; zero when in no file */
};

static long code_file(struct task_struct *task, struct vm_area_struct *vma, struct code_at *c)
{
	struct file *f = BPF_CORE_READ(vma, vm_file);

	if (!f)
		return 0;
	c->file.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	c->file.ino = BPF_CORE_READ(f, f_inode, i_ino);
	c->file.off = c->addr - BPF_CORE_READ(vma, vm_start) + (BPF_CORE_READ(vma, vm_pgoff) << 12);
	return 0;
}

#define EBUSY 16 /* bpf_find_vma: the mmap lock was taken (BPF has no errno.h) */

/*
 * Which file and offset the code at addr of the current process comes from.
 * bpf_find_vma only tries the process's mmap lock: while another thread
 * holds it (mapping memory, as node's threads do at start-up) the file is
 * unknown. Returns false then (counted), true otherwise, c->file.ino 0 when
 * the code is in no file (JIT).
 */
static __always_inline bool locate_code(__u64 addr, struct code_at *c)
{
	c->addr = addr;
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, code_file, c, 0) == -EBUSY) {
		STAT_INC(vma_busy);
		return false;
	}
	return true;
}

/* Is this API call made from inside libuv (uv_loop_init making the loop's own
 * handles) rather than by the program? The return address tells. */
static __always_inline bool called_by_libuv(struct pt_regs *ctx)
{
	struct code_at c = {0};
	__u64 ret;

	if (!uv_ino || bpf_probe_read_user(&ret, sizeof(ret), (void *)PT_REGS_SP(ctx)))
		return false;
	if (!locate_code(ret, &c))
		return false;
	return c.file.ino == uv_ino && c.file.off >= uv_code_lo && c.file.off < uv_code_hi;
}

static __always_inline __u64 slot_value(struct pt_regs *ctx, int slot)
{
	__u64 v = 0;

	if (slot <= 6)
		return arg_slot(ctx, slot);
	/* 7th and 8th integer arguments: on the stack above the return address */
	bpf_probe_read_user(&v, sizeof(v), (void *)(PT_REGS_SP(ctx) + 8 * (slot - 6)));
	return v;
}

static __always_inline void emit_uv_record(__u16 kind, const struct uv_obj *o, __u64 obj,
					   __u64 trigger, __u64 wrap_id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ev_uv r = {
		.h = {.ts_ns = bpf_ktime_get_ns(),
		      .pid = pid_tgid >> 32,
		      .tid = (__u32)pid_tgid,
		      .kind = kind,
		      .len = sizeof(r),
		      .layer = LAYER_UV},
		.id = o->id,
		.trigger = trigger,
		.obj = obj,
		.cb = o->cb,
		.wrap_id = wrap_id,
		.type = o->type,
		.flags = o->flags,
	};

	if (bpf_ringbuf_output(&events, &r, sizeof(r), wakeup_flag()))
		STAT_INC(ringbuf_drops);
}

static __always_inline void emit_uv(__u16 kind, const struct uv_obj *o, __u64 obj, __u64 trigger,
				    __u64 wrap_id)
{
	if (aggregate) {
		/* after is counted by uv_cb_exit, which knows the duration */
		if (kind == EV_INIT)
			agg_init(LAYER_UV, 0, o->id, o->type, bpf_ktime_get_ns());
		else if (kind == EV_BEFORE)
			agg_before(LAYER_UV, 0, o->id, bpf_ktime_get_ns());
		else if (kind == EV_DESTROY)
			agg_destroy(LAYER_UV, 0, o->id);
		if (!record_wanted())
			return;
	}
	emit_uv_record(kind, o, obj, trigger, wrap_id);
}

/*
 * An object made before attach (or, sampled, outside every window), taken
 * in when first seen: reported as an init, except that in sampled mode
 * none is counted, since it was not made now (its type is kept), unless
 * at_start and its type's init is not probed: its first start stands for
 * its init then, as in exact mode.
 */
static __always_inline void emit_uv_taken_in(struct uv_obj *o, __u64 obj, __u64 trigger,
					     __u64 wrap_id, bool at_start)
{
	if (!aggregate || !sampled ||
	    (at_start && o->type < 64 && (uv_init_unprobed >> o->type) & 1)) {
		emit_uv(EV_INIT, o, obj, trigger, wrap_id);
		return;
	}
	agg_adopt(LAYER_UV, 0, o->id, o->type);
	if (record_wanted())
		emit_uv_record(EV_INIT, o, obj, trigger, wrap_id);
}

/*
 * Reports a callback address the first time; marks o if its probe is not in
 * place yet. Under uv_stop_to_probe the process is stopped (taken on the way
 * back to user space, before the registration returns, so before the
 * callback can run) until user space has probed it; the record is reserved
 * first, so no stop is ever sent that user space does not hear of. A
 * callback whose file cannot be looked up now cannot be checked against
 * uv_cbs: it is reported (and stopped for) all the same, and user space,
 * which finds its file in /proc, probes it unless it is probed already.
 */
static __always_inline void note_cb(__u32 pid, __u64 cb, struct uv_obj *o)
{
	struct code_at c = {0};
	__u8 *state, reported = UV_CB_REPORTED;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ev_uv *r;
	bool located;

	if (!cb)
		return;
	located = locate_code(cb, &c);
	if (located) {
		if (!c.file.ino) {
			c.file.pid = pid;
			c.file.off = cb;
		}
		state = bpf_map_lookup_elem(&uv_cbs, &c.file);
		if (state) {
			if (*state != UV_CB_PROBED)
				o->flags |= UVO_LATE_CB;
			return;
		}
		if (bpf_map_update_elem(&uv_cbs, &c.file, &reported, BPF_NOEXIST)) {
			o->flags |= UVO_LATE_CB; /* another thread reported it just now */
			return;
		}
	}
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		STAT_INC(ringbuf_drops);
		/* unreported: its next registration reports it again */
		if (located)
			bpf_map_delete_elem(&uv_cbs, &c.file);
		o->flags |= UVO_LATE_CB;
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->h.ts_ns = bpf_ktime_get_ns();
	r->h.pid = pid;
	r->h.tid = (__u32)pid_tgid;
	r->h.kind = EV_UV_NEWCB;
	r->h.len = sizeof(*r);
	r->h.layer = LAYER_UV;
	r->cb = cb;
	/* code in no file (JIT) cannot be probed: nothing to wait for; code
	 * not located may be in a file: wait for user space to see */
	if (uv_stop_to_probe && (c.file.ino || !located) && !bpf_send_signal(SIGNAL_STOP)) {
		r->flags = UVO_HELD;
		STAT_INC(stops_sent);
	} else {
		o->flags |= UVO_LATE_CB;
	}
	/* wake the consumer now: the sooner the probe, the shorter the stop
	 * (or the fewer runs missed) */
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
}

/*
 * The innermost callback of a known object running on this thread. Frames of
 * other probed functions (a scanned candidate that is no callback, an
 * alloc_cb) have id 0 and are looked through: what they make is made while
 * the callback around them runs.
 */
static __always_inline __u64 current_uv_id(struct thread_state *ts)
{
	__u32 n;

	if (!ts)
		return 0;
	n = ts->nuv;
	if (n > UV_MAX_FRAMES)
		return 0;
	for (int i = UV_MAX_FRAMES - 1; i >= 0; i--) {
		__u64 id;

		if ((__u32)i >= n)
			continue;
		id = ts->uv_frames[i & (UV_MAX_FRAMES - 1)].id;
		if (id)
			return id;
	}
	return 0;
}

static __always_inline __u64 owning_wrap_id(__u32 pid, __u64 obj, __u32 type)
{
	struct live_key k = {.pid = pid};
	__u64 *id;

	/* node's ThreadPoolWork finds itself with ContainerOf and never sets
	 * its uv_work_t's data: whatever that field holds (a stale pointer,
	 * sometimes to a live wrap) says nothing about the owner */
	if (type == UVT_WORK)
		return 0;
	if (!uv_link_wraps ||
	    try_read_u64(obj, &k.wrap)) /* data, the first field of every uv object */
		return 0;
	id = bpf_map_lookup_elem(&live_wraps, &k);
	return id ? *id : 0;
}

/* libuv's public uv_handle_type, in uv.h order, to ours */
static __always_inline __u32 uv_handle_type_to_ours(__u32 t)
{
	switch (t) {
	case 1:
		return UVT_ASYNC;
	case 2:
		return UVT_CHECK;
	case 3:
		return UVT_FS_EVENT;
	case 4:
		return UVT_FS_POLL;
	case 6:
		return UVT_IDLE;
	case 7:
		return UVT_PIPE;
	case 8:
		return UVT_POLL;
	case 9:
		return UVT_PREPARE;
	case 10:
		return UVT_PROCESS;
	case 12:
		return UVT_TCP;
	case 13:
		return UVT_TIMER;
	case 14:
		return UVT_TTY;
	case 15:
		return UVT_UDP;
	case 16:
		return UVT_SIGNAL;
	}
	return UVT_NONE;
}

/* uv_handle_t starts with data, loop, type (public ABI) */
#define UV_HANDLE_LOOP_OFF 8
#define UV_HANDLE_TYPE_OFF 16

static __always_inline struct uv_obj *uv_new(__u32 pid, __u64 obj, __u32 type, __u64 cb)
{
	struct uv_key k = {.pid = pid, .addr = obj};
	struct uv_obj o = {.type = type, .cb = cb, .epoch = sample_epoch}, *old;
	__u64 *next, first = 1;

	next = bpf_map_lookup_elem(&uv_next_id, &pid);
	if (!next) {
		bpf_map_update_elem(&uv_next_id, &pid, &first, BPF_NOEXIST);
		next = bpf_map_lookup_elem(&uv_next_id, &pid);
		if (!next)
			return NULL;
	}
	o.id = __sync_fetch_and_add(next, 1);
	old = bpf_map_lookup_elem(&uv_objs, &k);
	/* a request reused before we saw it finish: it did (sampled: if seen in
	 * this window; else its end fell between windows, when it is unknown) */
	if (old && (!sampled || old->epoch == sample_epoch))
		emit_uv(EV_DESTROY, old, obj, 0, 0);
	if (bpf_map_update_elem(&uv_objs, &k, &o, BPF_ANY)) {
		STAT_INC(live_map_full);
		return NULL;
	}
	return bpf_map_lookup_elem(&uv_objs, &k);
}

SEC("uprobe")
int uv_api(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), obj, cb = 0;
	__u32 role = cookie & 0xff, type = (cookie >> 8) & 0xff, pid = current_tgid();
	int oslot = (cookie >> 16) & 0xff, cslot = (cookie >> 24) & 0xff;
	struct uv_key k = {.pid = pid};
	struct thread_state *ts;
	struct uv_obj *o;

	if (!is_traced())
		return 0;
	obj = slot_value(ctx, oslot);
	if (!obj)
		return 0;
	if (cslot)
		cb = slot_value(ctx, cslot);
	if (role == UVR_SPAWN && cb && read_u64(cb, &cb)) /* options->exit_cb */
		return 0;
	k.addr = obj;
	o = bpf_map_lookup_elem(&uv_objs, &k);
	ts = thread_get();
	/* the loop this thread runs, to recognise handles made before attach */
	if (ts && !ts->uv_loop && (role == UVR_START || role == UVR_CLOSE))
		try_read_u64(obj + UV_HANDLE_LOOP_OFF, &ts->uv_loop);

	switch (role) {
	case UVR_INIT:
	case UVR_SPAWN:
		/* seen already: a wrapper calling a probed function; but a closed
		 * handle whose close callback went unseen (probed late) is gone,
		 * its memory initialised anew: uv_new ends the old one */
		if (o && o->type == type && !(o->flags & UVO_CLOSING)) {
			o->epoch = sample_epoch;
			return 0;
		}
		o = uv_new(pid, obj, type, cb);
		if (!o)
			return 0;
		if (called_by_libuv(ctx))
			o->flags |= UVO_INTERNAL;
		note_cb(pid, cb, o);
		emit_uv(EV_INIT, o, obj, current_uv_id(ts), owning_wrap_id(pid, obj, o->type));
		return 0;
	case UVR_START:
		if (!o) {
			/* created before attach, or its init function is not probed */
			o = uv_new(pid, obj, type, cb);
			if (!o)
				return 0;
			if (called_by_libuv(ctx))
				o->flags |= UVO_INTERNAL;
			note_cb(pid, cb, o);
			emit_uv_taken_in(o, obj, current_uv_id(ts),
					 owning_wrap_id(pid, obj, o->type), true);
			return 0;
		}
		o->cb = cb;
		o->epoch = sample_epoch;
		note_cb(pid, cb, o);
		return 0;
	case UVR_SUBMIT:
		if (!cb)
			return 0; /* synchronous (uv_fs_* with no callback) */
		o = uv_new(pid, obj, type, cb);
		if (!o)
			return 0;
		if (called_by_libuv(ctx))
			o->flags |= UVO_INTERNAL;
		note_cb(pid, cb, o);
		emit_uv(EV_INIT, o, obj, current_uv_id(ts), owning_wrap_id(pid, obj, o->type));
		return 0;
	case UVR_CLOSE:
		if (!o)
			return 0;
		o->epoch = sample_epoch;
		if (!cb) {
			/* no close callback: nothing later tells us it is gone */
			emit_uv(EV_DESTROY, o, obj, 0, 0);
			bpf_map_delete_elem(&uv_objs, &k);
			return 0;
		}
		o->flags |= UVO_CLOSING;
		o->close_cb = cb;
		note_cb(pid, cb, o);
		return 0;
	}
	return 0;
}

/*
 * Entry of a libuv callback (cookie: the probe's distance from the function's
 * start, which may be a few bytes in, see user/resolve/probe_site.c). A frame is
 * pushed for every entry, known object or not, so the return probe always
 * pops its own.
 */
SEC("uprobe")
int BPF_UPROBE(uv_cb_enter, __u64 obj)
{
	/* at a uprobe the ip is the probed address */
	__u64 fn = PT_REGS_IP(ctx) - bpf_get_attach_cookie(ctx);
	struct uv_key k = {.pid = current_tgid(), .addr = obj};
	struct thread_state *ts;
	struct uv_frame *f;
	struct uv_obj *o;
	__u32 n;

	if (!is_traced())
		return 0;
	ts = thread_get();
	if (!ts)
		return 0;
	n = ts->nuv;
	if (n >= UV_MAX_FRAMES) {
		STAT_INC(frame_overflow);
		ts->nuv = n + 1; /* keep the return probes balanced */
		return 0;
	}
	f = &ts->uv_frames[n & (UV_MAX_FRAMES - 1)];
	ts->nuv = n + 1;
	f->id = 0;
	f->obj = obj;
	f->cb = fn;
	f->done = 0;
	f->ts_ns = bpf_ktime_get_ns();
	o = bpf_map_lookup_elem(&uv_objs, &k);
	/* sampled: an object last seen in an earlier window whose callback
	 * this is not was freed unseen, and its address reused: a new one */
	if (o && sampled && o->epoch != sample_epoch && fn != o->cb && fn != o->close_cb)
		o = NULL;
	if (!o) {
		/* a handle of this thread's loop made before attach: take it in
		 * now, typed by the handle itself */
		__u64 loop = 0;
		__u32 htype = 0, type;

		if (!ts->uv_loop || try_read_u64(obj + UV_HANDLE_LOOP_OFF, &loop) ||
		    loop != ts->uv_loop || try_read_u32(obj + UV_HANDLE_TYPE_OFF, &htype))
			return 0;
		type = uv_handle_type_to_ours(htype);
		if (type == UVT_NONE)
			return 0;
		o = uv_new(k.pid, obj, type, fn);
		if (!o)
			return 0;
		o->flags |= UVO_ADOPTED;
		emit_uv_taken_in(o, obj, current_uv_id(ts), 0, false);
	}
	o->epoch = sample_epoch;
	/* only the callback registered for it: not an alloc_cb, nor a work_cb
	 * running on a threadpool thread */
	if (fn != o->cb && fn != o->close_cb)
		return 0;
	f->id = o->id;
	/* a request's callback, or a closing handle's close callback, is its last */
	f->done = (o->type >= UVT_FIRST_REQ && fn == o->cb) ||
		  ((o->flags & UVO_CLOSING) && fn == o->close_cb);
	o->flags &= ~UVO_LATE_CB;
	emit_uv(EV_BEFORE, o, obj, 0, 0);
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(uv_cb_exit)
{
	struct thread_state *ts = thread_peek();
	struct uv_obj o = {0};
	struct uv_frame f;
	struct uv_key k;
	__u32 n;

	if (!is_traced() || !ts)
		return 0;
	n = ts->nuv;
	if (n == 0)
		return 0;
	ts->nuv = n - 1;
	if (n > UV_MAX_FRAMES)
		return 0;
	f = ts->uv_frames[(n - 1) & (UV_MAX_FRAMES - 1)];
	if (!f.id)
		return 0;
	o.id = f.id;
	if (aggregate)
		agg_after(LAYER_UV, 0, o.id, bpf_ktime_get_ns() - f.ts_ns, n == 1);
	emit_uv(EV_AFTER, &o, f.obj, 0, 0);
	if (f.done) {
		k.pid = current_tgid();
		k.pad = 0;
		k.addr = f.obj;
		emit_uv(EV_DESTROY, &o, f.obj, 0, 0);
		bpf_map_delete_elem(&uv_objs, &k);
	}
	return 0;
}
