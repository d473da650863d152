// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "lib/id_set.h"
#include "model/js_infer.h"
#include "model/thread_index.h"

#define MAX_LEVELS 64

enum phase {
	PHASE_NONE,
	PHASE_TIMERS,	  /* Environment::RunTimers: JS timers run on top */
	PHASE_IMMEDIATES, /* InternalMakeCallback with id 0: processImmediate */
	PHASE_OTHER,	  /* other scopes with no resource (bootstrap, platform tasks) */
	PHASE_RESOURCE,	  /* a native resource's callback */
};

struct native_frame {
	uint64_t id;
	enum phase phase;
	uint32_t instance;   /* which run of the phase */
	uint64_t id_counter; /* last id issued when it opened */
	bool valid;
};

#define MAX_MICROTASK_NEST 8

struct js_res {
	uint64_t id, trigger;
	uint64_t alloc_ts; /* exact mode: when the id was issued, 0 if not seen */
	bool announced;	   /* its init was emitted */
	const char *type;
	uint32_t instance; /* phase instance it last ran in */
	uint64_t last_seen;
	bool open;
	int level;
};

struct thread {
	uint32_t pid, tid;
	struct native_frame native[MAX_LEVELS];
	uint64_t js_at[MAX_LEVELS]; /* JS id open at each level, 0 if none */
	uint32_t next_instance;
	uint64_t last_ts;
	uint32_t init_hooks; /* last seen fields_[kInit]: promises get ids when > 0 */
	/* levels at which V8 is running microtasks (RunMicrotasks nesting) */
	int micro_level[MAX_MICROTASK_NEST];
	int nmicro;
	/* exact mode: the id pushed at each level, and ids issued but not yet
	 * known to be JS or native, oldest first */
	uint64_t pushed[MAX_LEVELS];
	uint64_t *pending;
	size_t npending, pending_head, pending_cap;
	/* JS resources of this thread: open addressing on id */
	struct js_res *res;
	size_t nres, cap;
	/* native resource ids seen (init or callback) */
	struct id_set native_ids;
	/* the frames already on the stack when the thread was first seen, by
	 * level (UNREAD: below what that record carried), 0 once gone */
	uint64_t pre_attach[MAX_LEVELS];
	bool seen;
};

struct js_infer {
	struct event_sink next;
	bool exact;
	struct thread *threads;
	size_t nthreads, cap;
	struct thread_index thread_pos;
	const char *t_timeout, *t_immediate, *t_tick, *t_resource, *t_promise, *t_microtask;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	return x ^ (x >> 33);
}

/* ---- per-thread sets -------------------------------------------------- */

static struct js_res *res_find(struct thread *t, uint64_t id, bool create)
{
	if (create && (t->nres + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 256;
		struct js_res *nr = calloc(ncap, sizeof(*nr)), *old = t->res;

		if (!nr)
			return NULL;
		for (size_t i = 0; i < t->cap; i++) {
			if (!old[i].id)
				continue;
			size_t j = mix(old[i].id) & (ncap - 1);

			while (nr[j].id)
				j = (j + 1) & (ncap - 1);
			nr[j] = old[i];
		}
		free(old);
		t->res = nr;
		t->cap = ncap;
	}
	if (!t->cap)
		return NULL;
	for (size_t i = mix(id) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (t->res[i].id == id)
			return &t->res[i];
		if (!t->res[i].id) {
			if (!create)
				return NULL;
			memset(&t->res[i], 0, sizeof(t->res[i]));
			t->res[i].id = id;
			t->nres++;
			return &t->res[i];
		}
	}
}

static struct thread *thread_of(struct js_infer *j, uint32_t pid, uint32_t tid)
{
	uint32_t pos;

	if (thread_index_find(&j->thread_pos, pid, tid, &pos))
		return &j->threads[pos];
	if (array_grow((void **)&j->threads, &j->cap, j->nthreads + 1, sizeof(*j->threads)))
		return NULL;
	if (thread_index_add(&j->thread_pos, pid, tid, j->nthreads))
		return NULL;
	memset(&j->threads[j->nthreads], 0, sizeof(struct thread));
	j->threads[j->nthreads].pid = pid;
	j->threads[j->nthreads].tid = tid;
	return &j->threads[j->nthreads++];
}

/* ---- inference -------------------------------------------------------- */

#define UNREAD UINT64_MAX /* a level of the stack the record did not carry */

/*
 * Frames on the stack when a thread is first seen were pushed before attach,
 * by a native scope or by JS, and nothing tells which until they end (a
 * native one with an "unmatched" after). Inventing a JS resource for them
 * labelled native callbacks TickObject, so neither is claimed: they stay
 * resources not seen created. A level's frame is the same one for as long
 * as every record shows it there and nothing below it changed.
 */
static void track_pre_attach(struct thread *t, const uint64_t *ctxid, int depth)
{
	bool changed = false;

	if (!t->seen) {
		t->seen = true;
		for (int l = 1; l <= depth; l++)
			t->pre_attach[l] = ctxid[l];
		return;
	}
	for (int l = 1; l < MAX_LEVELS; l++) {
		uint64_t *pre = &t->pre_attach[l];

		if (!*pre || ctxid[l] == UNREAD)
			changed |= l > depth;
		else if (*pre == UNREAD)
			*pre = ctxid[l];
		else
			changed |= *pre != ctxid[l];
		if (changed)
			*pre = 0;
	}
}

static enum phase phase_of(const struct event *e)
{
	const char *fn = e->caller_fn;

	if (e->id >= 2)
		return PHASE_RESOURCE;
	if (fn && strstr(fn, "RunTimers"))
		return PHASE_TIMERS;
	if (fn && strstr(fn, "InternalMakeCallback") && e->id == 0)
		return PHASE_IMMEDIATES;
	return PHASE_OTHER;
}

static int emit(struct js_infer *j, const struct event *proto, enum ev_kind kind, uint64_t ts,
		const struct js_res *r)
{
	struct event e = {
		.ts_ns = ts,
		.pid = proto->pid,
		.tid = proto->tid,
		.kind = kind,
		.layer = LAYER_JS,
		/* exact mode observes callbacks; the type is inferred either way */
		.flags = (j->exact && kind != EV_INIT) ? 0 : EVF_INFERRED,
		.id = r->id,
	};

	if (kind == EV_INIT) {
		e.trigger = r->trigger;
		/* a JS resource created with the default trigger: the creator's
		 * context is its trigger */
		e.exec = r->trigger;
		e.type = r->type;
	}
	return j->next.on_event(j->next.ctx, &e);
}

/*
 * The type of a JS frame first seen at `level`, from what hosts it:
 *  - inside V8's microtask run: a promise reaction (PROMISE, when init hooks
 *    give promises ids) or a queueMicrotask callback;
 *  - right on the timers phase: a Timeout, or, if its id was issued after
 *    the phase began, a tick the phase's callbacks queued (runNextTicks);
 *  - right on processImmediate's scope: likewise Immediate or tick;
 *  - on the bare base context, after a callback's scope closed: a tick;
 *  - nested in another callback: an AsyncResource scope.
 */
static const char *infer_type(struct js_infer *j, struct thread *t, const struct event *e,
			      int level, uint64_t id, uint32_t *instance)
{
	const struct native_frame *below = level > 0 ? &t->native[level - 1] : NULL;

	*instance = 0;
	if (t->nmicro && level == t->micro_level[t->nmicro - 1] + 1)
		return t->init_hooks ? j->t_promise : j->t_microtask;
	if (below && below->valid && below->phase != PHASE_RESOURCE) {
		*instance = below->instance;
		if (id > below->id_counter)
			return j->t_tick;
		if (below->phase == PHASE_TIMERS)
			return j->t_timeout;
		if (below->phase == PHASE_IMMEDIATES)
			return j->t_immediate;
		return j->t_tick;
	}
	if (below && below->valid)
		return j->t_resource; /* inside a native callback */
	if (level > 0 &&
	    (t->js_at[level - 1] || (j->exact && t->pushed[level - 1] >= 2 &&
				     !id_set_has(&t->native_ids, t->pushed[level - 1]))))
		return j->t_resource; /* inside a JS callback */
	return j->t_tick;
}

/* ---- exact mode ------------------------------------------------------ */

static int announce(struct js_infer *j, struct thread *t, const struct event *e, struct js_res *r)
{
	if (r->announced)
		return 0;
	r->announced = true;
	if (!r->type)
		r->type = intern("Unknown");
	return emit(j, e, EV_INIT, r->alloc_ts ? r->alloc_ts : e->ts_ns, r);
}

/* Ids issued more than this long ago and never run get their init anyway. */
#define PENDING_MAX_NS 2000000000ULL

static int flush_pending(struct js_infer *j, struct thread *t, const struct event *e, bool all)
{
	while (t->pending_head < t->npending) {
		struct js_res *r = res_find(t, t->pending[t->pending_head], false);
		int err;

		if (r && !all && r->alloc_ts + PENDING_MAX_NS > e->ts_ns)
			break;
		t->pending_head++;
		if (r && !id_set_has(&t->native_ids, r->id) && (err = announce(j, t, e, r)))
			return err;
	}
	if (t->pending_head == t->npending)
		t->pending_head = t->npending = 0;
	return 0;
}

static int on_alloc(struct js_infer *j, struct thread *t, const struct event *e)
{
	struct js_res *r;

	if (e->id < 2 || id_set_has(&t->native_ids, e->id))
		return 0;
	r = res_find(t, e->id, true);
	if (!r || r->alloc_ts)
		return 0;
	r->alloc_ts = e->ts_ns;
	r->trigger = e->trigger;
	if (array_grow((void **)&t->pending, &t->pending_cap, t->npending + 1, sizeof(*t->pending)))
		return 0;
	t->pending[t->npending++] = e->id;
	return 0;
}

static int on_switch(struct js_infer *j, struct thread *t, const struct event *e)
{
	int level = e->stack_depth < MAX_LEVELS ? (int)e->stack_depth : MAX_LEVELS - 1;
	struct js_res *r;
	int err;

	if (e->flags == JS_POP) {
		uint64_t id = t->pushed[level];

		t->pushed[level] = 0;
		r = id ? res_find(t, id, false) : NULL;
		if (r && r->open) {
			r->open = false;
			return emit(j, e, EV_AFTER, e->ts_ns, r);
		}
		return 0;
	}
	t->pushed[level] = e->id;
	if (e->id < 2 || id_set_has(&t->native_ids, e->id))
		return 0;
	r = res_find(t, e->id, true);
	if (!r)
		return 0;
	if (!r->announced) {
		/* the push carries the resource's own trigger (a promise's parent,
		 * which the default trigger at allocation does not know) */
		r->trigger = e->trigger;
		r->type = infer_type(j, t, e, level, e->id, &r->instance);
		r->level = level;
		if ((err = announce(j, t, e, r)))
			return err;
	}
	r->open = true;
	r->last_seen = e->ts_ns;
	return emit(j, e, EV_BEFORE, e->ts_ns, r);
}

static int on_event(void *ctx, const struct event *e)
{
	struct js_infer *j = ctx;
	struct thread *t;
	uint64_t ctxid[MAX_LEVELS];
	int depth, base, err;

	if (e->kind == EV_JS_SWITCH || e->kind == EV_JS_ALLOC) {
		t = thread_of(j, e->pid, e->tid);
		if (!t || !j->exact)
			return 0;
		if ((err = flush_pending(j, t, e, false)))
			return err;
		return e->kind == EV_JS_ALLOC ? on_alloc(j, t, e) : on_switch(j, t, e);
	}
	if (e->kind == EV_DESTROYS_DUE)
		return j->next.on_event(j->next.ctx, e); /* for exit_mark, next */
	if (e->kind >= EV_KIND_COUNT)
		return 0;
	if (e->layer != LAYER_NODE || !e->has_stack)
		return (e->flags & EVF_PHASE) ? 0 : j->next.on_event(j->next.ctx, e);
	t = thread_of(j, e->pid, e->tid);
	if (!t)
		return 0;
	if (e->kind == EV_INIT || (e->kind == EV_BEFORE && !(e->flags & EVF_PHASE)))
		id_set_add(&t->native_ids, e->id); /* out of memory: the id may be taken for JS */
	t->init_hooks = e->init_hooks;

	/* the contexts at each level: saved pairs, then the current one */
	depth = e->stack_depth < MAX_LEVELS - 1 ? (int)e->stack_depth : MAX_LEVELS - 2;
	base = depth - (int)e->npairs;
	if (base < 0)
		base = 0;
	for (int l = 0; l < MAX_LEVELS; l++)
		ctxid[l] = UNREAD;
	for (uint32_t i = 0; i < e->npairs && base + (int)i < depth; i++)
		ctxid[base + i] = e->pairs[2 * i];
	ctxid[depth] = e->cur_exec;

	/* native scopes that closed since */
	for (int l = 0; l < MAX_LEVELS; l++) {
		struct native_frame *n = &t->native[l];

		if (n->valid && (l > depth || (ctxid[l] != UNREAD && ctxid[l] != n->id)))
			n->valid = false;
	}
	if (j->exact)
		goto frames_done; /* pushes and pops are observed, not sampled */
	track_pre_attach(t, ctxid, depth);
	/* JS frames that ended: gone from their level */
	for (int l = 0; l < MAX_LEVELS; l++) {
		uint64_t id = t->js_at[l];
		struct js_res *r;

		if (!id || (l <= depth && (ctxid[l] == id || ctxid[l] == UNREAD)))
			continue;
		r = res_find(t, id, false);
		t->js_at[l] = 0;
		if (r && r->open) {
			r->open = false;
			if ((err = emit(j, e, EV_AFTER, r->last_seen, r)))
				return err;
		}
	}
	/* JS frames on the stack now */
	for (int l = base; l <= depth; l++) {
		uint64_t id = ctxid[l];
		struct js_res *r;

		if (id == UNREAD || id < 2 || id_set_has(&t->native_ids, id))
			continue;
		if ((t->native[l].valid && t->native[l].id == id) || t->pre_attach[l] == id)
			continue;
		r = res_find(t, id, true);
		if (!r)
			continue;
		if (!r->type) {
			r->trigger = l == depth ? e->cur_trigger : e->pairs[2 * (l - base) + 1];
			r->type = infer_type(j, t, e, l, id, &r->instance);
			r->level = l;
			if ((err = emit(j, e, EV_INIT, e->ts_ns, r)))
				return err;
		}
		if (!r->open) {
			r->open = true;
			t->js_at[l] = id;
			if (l > 0 && t->native[l - 1].valid)
				r->instance = t->native[l - 1].instance;
			if ((err = emit(j, e, EV_BEFORE, e->ts_ns, r)))
				return err;
		}
		r->last_seen = e->ts_ns;
	}
frames_done:
	if (e->flags & EVF_MICROTASKS) {
		/* V8 starts or finishes running microtasks at this level */
		if (e->kind == EV_BEFORE && t->nmicro < MAX_MICROTASK_NEST)
			t->micro_level[t->nmicro++] = depth;
		else if (e->kind == EV_AFTER && t->nmicro > 0)
			t->nmicro--;
	} else if (e->kind == EV_MICROTASKS) {
		/* the run's end, with its count (the record goes on to the output) */
		if (t->nmicro > 0)
			t->nmicro--;
	} else if (e->kind == EV_BEFORE && depth + 1 < MAX_LEVELS) {
		/* a scope being opened: remember what it is, one level up */
		struct native_frame *n = &t->native[depth + 1];

		n->id = e->id;
		n->phase = phase_of(e);
		n->instance = ++t->next_instance;
		n->id_counter = e->id_counter;
		n->valid = true;
	}
	t->last_ts = e->ts_ns;
	if (e->flags & EVF_PHASE)
		return 0;
	return j->next.on_event(j->next.ctx, e);
}

struct js_infer *js_infer_new(const struct event_sink *next, bool exact)
{
	struct js_infer *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->next = *next;
	j->exact = exact;
	j->t_timeout = intern("Timeout");
	j->t_immediate = intern("Immediate");
	j->t_tick = intern("TickObject");
	j->t_resource = intern("AsyncResource");
	j->t_promise = intern("PROMISE");
	j->t_microtask = intern("Microtask");
	return j;
}

void js_infer_finish(struct js_infer *j)
{
	for (size_t i = 0; i < j->nthreads; i++) {
		struct thread *t = &j->threads[i];
		struct event proto = {.pid = t->pid, .tid = t->tid, .ts_ns = t->last_ts};

		flush_pending(j, t, &proto, true);
		for (size_t k = 0; k < t->cap; k++)
			if (t->res[k].id && t->res[k].open) {
				t->res[k].open = false;
				emit(j, &proto, EV_AFTER, t->res[k].last_seen, &t->res[k]);
			}
	}
}

void js_infer_free(struct js_infer *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nthreads; i++) {
		free(j->threads[i].res);
		id_set_free(&j->threads[i].native_ids);
		free(j->threads[i].pending);
	}
	free(j->threads);
	thread_index_free(&j->thread_pos);
	free(j);
}

static void flush_next(void *ctx)
{
	struct js_infer *j = ctx;

	if (j->next.flush)
		j->next.flush(j->next.ctx);
}

struct event_sink js_infer_sink(struct js_infer *j)
{
	return (struct event_sink){.on_event = on_event, .flush = flush_next, .ctx = j};
}
