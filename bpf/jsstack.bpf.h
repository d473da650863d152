/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --js-stacks: the JS frames under a node init, by frame pointer.
 *
 * V8 keeps rbp frames in its interpreter, baseline and optimized code and
 * node is built with frame pointers, so [fp] is the caller's fp and
 * [fp+8] the return address all the way up. A JS frame holds its
 * JSFunction at fp.function and a context (a heap object) at
 * fp.context_or_marker, where a typed frame holds a SMI marker instead.
 * A C++ frame's slots are arbitrary and can look the same: nothing is
 * decided here, user space keeps a frame only if its sfi's map says it is
 * a SharedFunctionInfo (docs/js-stacks-design.md, section 2 says how code
 * ranges would tell frames apart in BPF; not done yet).
 *
 * Cost: one read of [fp + fp_lo, fp + 16) a frame, and one of
 * JSFunction.shared for a frame that looks like JS.
 */
#ifndef __ASYNCSCOPE_JSSTACK_BPF_H
#define __ASYNCSCOPE_JSSTACK_BPF_H

#include "core.bpf.h"

#define JS_WINDOW_WORDS 8	  /* [fp + fp_lo, fp + fp_lo + 64): fp_lo is -40 on every line */
#define JS_MAX_FP_STEP	(1 << 20) /* a caller's frame more than 1 MiB up: not a frame */

const volatile bool js_stacks = false;
const volatile struct js_walk_off js_walk;

/* word i of the window holds [fp + fp_lo + 8 i]; masked for the verifier */
static __always_inline __u64 js_slot(const __u64 *w, __s32 off)
{
	__u32 i = (__u32)(off - js_walk.fp_lo) / 8;

	return w[i & (JS_WINDOW_WORDS - 1)];
}

static __always_inline bool heap_tagged(__u64 v)
{
	return (v & 3) == 1 && v > 4096;
}

/* One walk in progress: bpf_loop's callback is verified once, where an
 * open-coded loop of 32 frames with two reads each was too much for the
 * verifier (it explores every count of frames kept at every step). */
struct js_walk_state {
	struct ev_js_stack *r;
	__u64 fp; /* the frame to read next */
	__u64 pc; /* the pc executing in it: its callee's return address */
	__u32 n;  /* frames kept */
	__u32 truncated;
};

static long js_walk_step(__u64 i, void *arg)
{
	struct js_walk_state *st = arg;
	__u64 w[JS_WINDOW_WORDS], fp = st->fp, fn, ctxv, bc, next;
	struct ev_js_stack *r = st->r;

	if (!fp || bpf_probe_read_user(w, sizeof(w), (void *)(fp + js_walk.fp_lo)))
		return 1;
	fn = js_slot(w, js_walk.fp_function);
	ctxv = js_slot(w, js_walk.fp_context);
	if (heap_tagged(fn) && heap_tagged(ctxv)) {
		struct ev_js_frame *f = &r->frames[st->n & (JS_MAX_FRAMES - 1)];

		if (!bpf_probe_read_user(&f->sfi, sizeof(f->sfi),
					 (void *)(fn - 1 + js_walk.function_shared))) {
			bc = js_slot(w, js_walk.fp_bytecode_off);
			f->bytecode_offset = (bc & 1) ? ~0U : (__u32)(bc >> js_walk.smi_shift);
			f->pc = st->pc;
			f->depth = i;
			if (++st->n >= JS_MAX_FRAMES) {
				st->truncated = 1;
				return 1;
			}
		}
	}
	/* the caller's fp and the pc in the caller: [fp] and [fp + 8] */
	next = js_slot(w, 0);
	st->pc = js_slot(w, 8);
	if (next <= fp || next - fp > JS_MAX_FP_STEP)
		return 1;
	st->fp = next;
	if (i + 1 == JS_WALK_MAX)
		st->truncated = 1;
	return 0;
}

/*
 * Walks from fp (a framed C++ function of node's init path) and sends the
 * JS frames found as an EV_JS_STACK record, before the init record itself.
 */
static __always_inline void js_stack_send(struct ev_js_stack *r, __u64 pid_tgid, __u64 now,
					  __u64 id, __u64 fp)
{
	struct js_walk_state st = {.r = r, .fp = fp};
	__u64 size;
	long walked;

	walked = bpf_loop(JS_WALK_MAX, js_walk_step, &st, 0);
	r->h.ts_ns = now;
	r->h.pid = pid_tgid >> 32;
	r->h.tid = (__u32)pid_tgid;
	r->h.kind = EV_JS_STACK;
	r->h.layer = LAYER_NODE;
	r->h.flags = 0;
	r->h.pad = 0;
	r->id = id;
	r->walked = walked < 0 ? 0 : walked;
	r->truncated = st.truncated;
	r->nframes = st.n & (2 * JS_MAX_FRAMES - 1);
	r->pad = 0;
	size = offsetof(struct ev_js_stack, frames) +
	       (__u64)r->nframes * sizeof(struct ev_js_frame);
	if (size > sizeof(*r))
		size = sizeof(*r);
	r->h.len = size;
	if (bpf_ringbuf_output(&events, r, size, 0))
		STAT_INC(ringbuf_drops);
}

#endif /* __ASYNCSCOPE_JSSTACK_BPF_H */
