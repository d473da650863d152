// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "model/model_tree.h"
#include "model/thread_index.h"

struct open_cb {
	uint32_t res;
	uint64_t ts;
};

struct thread {
	struct thread_roots roots;
	struct open_cb *stack;
	size_t depth, cap;
};

struct model {
	struct resource *res;
	size_t nres, cap;
	/* (pid, tid, id) -> index + 1; 0 marks an empty slot */
	uint32_t *slots;
	size_t nslots;
	struct thread *threads;
	size_t nthreads, threads_cap;
	size_t last_thread;
	struct thread_index thread_pos;
	uint64_t nevents, last_ts, orphan_afters;
	struct model_microtasks micro;
	struct model_rejection *rej;
	size_t nrej, rej_cap;
	/* every finished callback, in order: for distributions of callback time */
	struct model_callback *cbs;
	size_t ncbs, cbs_cap;
	bool finished;
};

struct model *model_new(void)
{
	return calloc(1, sizeof(struct model));
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nthreads; i++)
		free(m->threads[i].stack);
	free(m->threads);
	thread_index_free(&m->thread_pos);
	free(m->slots);
	free(m->res);
	free(m->cbs);
	free(m->rej);
	free(m);
}

static uint64_t key_hash(uint32_t pid, uint32_t tid, uint64_t id)
{
	uint64_t h = id * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)pid << 32 | tid) + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
	return h ^ (h >> 29);
}

static uint32_t *slot_for(struct model *m, uint32_t pid, uint32_t tid, uint64_t id)
{
	size_t mask = m->nslots - 1;

	for (size_t i = key_hash(pid, tid, id) & mask;; i = (i + 1) & mask) {
		uint32_t s = m->slots[i];

		if (!s)
			return &m->slots[i];
		if (m->res[s - 1].key == id && m->res[s - 1].tid == tid && m->res[s - 1].pid == pid)
			return &m->slots[i];
	}
}

static uint32_t lookup(struct model *m, uint32_t pid, uint32_t tid, uint64_t id)
{
	uint32_t s;

	if (!m->nslots)
		return RES_NONE;
	s = *slot_for(m, pid, tid, id);
	return s ? s - 1 : RES_NONE;
}

static int grow_slots(struct model *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 1024;
	uint32_t *old = m->slots;
	size_t old_n = m->nslots;

	m->slots = calloc(n, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->nslots = n;
	for (size_t i = 0; i < old_n; i++) {
		if (old[i]) {
			const struct resource *r = &m->res[old[i] - 1];

			*slot_for(m, r->pid, r->tid, r->key) = old[i];
		}
	}
	free(old);
	return 0;
}

static struct thread *thread_of(struct model *m, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct thread *t;
	uint32_t pos;

	if (m->last_thread < m->nthreads) {
		t = &m->threads[m->last_thread];
		if (t->roots.tid == tid && t->roots.pid == pid)
			return t;
	}
	if (thread_index_find(&m->thread_pos, pid, tid, &pos)) {
		m->last_thread = pos;
		return &m->threads[pos];
	}
	if (array_grow((void **)&m->threads, &m->threads_cap, m->nthreads + 1, sizeof(*m->threads)))
		return NULL;
	if (thread_index_add(&m->thread_pos, pid, tid, m->nthreads))
		return NULL;
	t = &m->threads[m->nthreads];
	memset(t, 0, sizeof(*t));
	t->roots.pid = pid;
	t->roots.tid = tid;
	t->roots.first_ts = ts;
	t->roots.first_root = t->roots.last_root = RES_NONE;
	m->last_thread = m->nthreads++;
	return t;
}

/* Adds a resource for (pid, tid, id); an existing one is replaced by a new
 * init (its key now names the newer resource). */
static uint32_t add_resource(struct model *m, uint32_t pid, uint32_t tid, uint64_t key,
			     enum res_kind kind)
{
	struct resource *r;
	uint32_t *slot;

	if ((m->nres + 1) * 2 > m->nslots && grow_slots(m))
		return RES_NONE;
	if (array_grow((void **)&m->res, &m->cap, m->nres + 1, sizeof(*m->res)))
		return RES_NONE;
	r = &m->res[m->nres];
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->tid = tid;
	r->key = key;
	r->id = key & ~(1ULL << 62);
	r->layer = key >> 62 ? LAYER_UV : LAYER_NODE;
	r->kind = kind;
	r->parent = r->first_child = r->last_child = r->next_sibling = RES_NONE;
	slot = slot_for(m, pid, tid, key);
	*slot = m->nres + 1;
	return m->nres++;
}

static uint32_t get_or_placeholder(struct model *m, uint32_t pid, uint32_t tid, uint64_t key)
{
	uint32_t idx = lookup(m, pid, tid, key);

	if (idx != RES_NONE)
		return idx;
	return add_resource(m, pid, tid, key, key == 1 ? RES_CONTEXT : RES_PLACEHOLDER);
}

int model_add_event(void *ctx, const struct event *e)
{
	struct model *m = ctx;
	struct thread *t = thread_of(m, e->pid, e->tid, e->ts_ns);
	uint64_t key = layer_key_id(e->layer, e->id);
	struct resource *r;
	uint32_t idx;

	if (!t)
		return 0;
	m->nevents++;
	if (e->ts_ns > m->last_ts)
		m->last_ts = e->ts_ns;
	switch (e->kind) {
	case EV_INIT:
		idx = add_resource(m, e->pid, e->tid, key, RES_SEEN);
		if (idx == RES_NONE)
			return 0;
		r = &m->res[idx];
		r->type = e->type;
		r->layer = e->layer;
		r->link_id = e->link_id;
		r->trigger = e->trigger;
		r->exec = e->exec;
		r->init_ts = e->ts_ns;
		break;
	case EV_BEFORE:
		idx = get_or_placeholder(m, e->pid, e->tid, key);
		if (idx == RES_NONE)
			return 0;
		r = &m->res[idx];
		if (!r->first_before_ts)
			r->first_before_ts = e->ts_ns;
		r->last_before_ts = e->ts_ns;
		if (array_grow((void **)&t->stack, &t->cap, t->depth + 1, sizeof(*t->stack)))
			return 0;
		t->stack[t->depth++] = (struct open_cb){idx, e->ts_ns};
		break;
	case EV_AFTER: {
		size_t d = t->depth;

		/* close the innermost open callback of this id; those above it
		 * lost their after (scopes that never closed) */
		while (d > 0 && m->res[t->stack[d - 1].res].key != key)
			d--;
		if (d == 0) {
			m->orphan_afters++;
			idx = get_or_placeholder(m, e->pid, e->tid, key);
			if (idx != RES_NONE)
				m->res[idx].ncallbacks++;
			break;
		}
		idx = t->stack[d - 1].res;
		r = &m->res[idx];
		{
			uint64_t dur = e->ts_ns - t->stack[d - 1].ts;

			r->ncallbacks++;
			r->cb_total_ns += dur;
			if (dur > r->cb_max_ns)
				r->cb_max_ns = dur;
			if (!array_grow((void **)&m->cbs, &m->cbs_cap, m->ncbs + 1,
					sizeof(*m->cbs)))
				m->cbs[m->ncbs++] = (struct model_callback){idx, dur};
		}
		t->depth = d - 1;
		break;
	}
	case EV_DESTROY:
		idx = get_or_placeholder(m, e->pid, e->tid, key);
		if (idx == RES_NONE)
			return 0;
		r = &m->res[idx];
		r->destroyed = true;
		r->destroy_ts = e->ts_ns;
		break;
	case EV_REJECTION:
		if (array_grow((void **)&m->rej, &m->rej_cap, m->nrej + 1, sizeof(*m->rej)))
			return 0;
		m->rej[m->nrej++] = (struct model_rejection){e->pid, e->tid, e->rejection, e->exec,
							     e->begin_ns ? e->begin_ns : e->ts_ns};
		break;
	case EV_MICROTASKS:
		m->micro.runs++;
		m->micro.microtasks += e->count;
		if (e->count > m->micro.max)
			m->micro.max = e->count;
		break;
	default:
		break;
	}
	return 0;
}

static void append_child(struct model *m, uint32_t parent, uint32_t child)
{
	struct resource *p = &m->res[parent];

	m->res[child].parent = parent;
	if (p->last_child == RES_NONE)
		p->first_child = child;
	else
		m->res[p->last_child].next_sibling = child;
	p->last_child = child;
}

/*
 * Real triggers point at older resources, but a hand-edited or corrupt
 * capture (or an AsyncResource given a later triggerAsyncId) can close a
 * loop, and every walk up the tree would then spin forever. Cut each loop at
 * the resource where the walk first comes back to itself; it becomes a root.
 */
static void break_trigger_cycles(struct model *m)
{
	enum { UNSEEN, ON_PATH, DONE };
	uint8_t *state = calloc(m->nres ? m->nres : 1, 1);

	if (!state) {
		/* cannot check: flatten rather than risk a loop */
		for (size_t i = 0; i < m->nres; i++)
			m->res[i].parent = RES_NONE;
		return;
	}
	for (size_t i = 0; i < m->nres; i++) {
		uint32_t at = i, last = RES_NONE;

		while (at != RES_NONE && state[at] == UNSEEN) {
			state[at] = ON_PATH;
			last = at;
			at = m->res[at].parent;
		}
		if (at != RES_NONE && state[at] == ON_PATH)
			m->res[last].parent = RES_NONE;
		for (at = i; at != RES_NONE && state[at] == ON_PATH; at = m->res[at].parent)
			state[at] = DONE;
	}
	free(state);
}

void model_finish(struct model *m)
{
	size_t n;

	if (m->finished)
		return;
	m->finished = true;
	/* placeholders for unseen triggers are appended while we walk */
	for (size_t i = 0; i < m->nres; i++) {
		struct resource *r = &m->res[i];

		if (r->kind == RES_SEEN && r->trigger != 0) {
			uint32_t p = get_or_placeholder(m, r->pid, r->tid,
							layer_key_id(r->layer, r->trigger));

			/* a resource cannot trigger itself; ids only grow */
			if (p != RES_NONE && p != i)
				m->res[i].parent = p;
		}
	}
	n = m->nres;
	break_trigger_cycles(m);
	for (size_t i = 0; i < n; i++) {
		struct resource *r = &m->res[i];
		struct thread *t = thread_of(m, r->pid, r->tid, r->init_ts);
		uint32_t p = r->parent;

		if (t)
			t->roots.nresources++;
		if (p != RES_NONE) {
			r->parent = RES_NONE;
			append_child(m, p, i);
		} else if (t) {
			if (t->roots.last_root == RES_NONE)
				t->roots.first_root = i;
			else
				m->res[t->roots.last_root].next_sibling = i;
			t->roots.last_root = i;
		}
	}
}

size_t model_ncallbacks(const struct model *m)
{
	return m->ncbs;
}

const struct model_callback *model_callback(const struct model *m, size_t i)
{
	return &m->cbs[i];
}

size_t model_nresources(const struct model *m)
{
	return m->nres;
}

const struct resource *model_resource(const struct model *m, uint32_t idx)
{
	return idx < m->nres ? &m->res[idx] : NULL;
}

size_t model_nthreads(const struct model *m)
{
	return m->nthreads;
}

const struct thread_roots *model_thread(const struct model *m, size_t i)
{
	return i < m->nthreads ? &m->threads[i].roots : NULL;
}

uint64_t model_nevents(const struct model *m)
{
	return m->nevents;
}

size_t model_nrejections(const struct model *m)
{
	return m->nrej;
}

const struct model_rejection *model_rejection(const struct model *m, size_t i)
{
	return i < m->nrej ? &m->rej[i] : NULL;
}

const struct model_microtasks *model_microtasks(const struct model *m)
{
	return &m->micro;
}

uint64_t model_last_ts(const struct model *m)
{
	return m->last_ts;
}

uint64_t model_open_callbacks(const struct model *m)
{
	uint64_t n = 0;

	for (size_t i = 0; i < m->nthreads; i++)
		n += m->threads[i].depth;
	return n;
}

uint64_t model_orphan_afters(const struct model *m)
{
	return m->orphan_afters;
}

uint32_t model_find(const struct model *m, uint32_t pid, uint32_t tid, uint64_t key)
{
	return lookup((struct model *)m, pid, tid, key);
}
