// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "model/model_timeline.h"
#include "model/thread_index.h"

struct open_slice {
	size_t slice; /* index in slices */
};

struct tl_thread {
	uint32_t pid, tid;
	size_t *open; /* indices of open slices, innermost last */
	size_t depth, cap;
};

struct type_entry {
	uint32_t pid, tid;
	uint64_t id;
	const char *type;
	size_t flow; /* index + 1 of the flow into this resource, 0 if none */
};

struct timeline {
	struct slice *slices;
	size_t nslices, slices_cap;
	struct flow *flows;
	size_t nflows, flows_cap;
	struct tl_thread *threads;
	size_t nthreads, threads_cap;
	struct thread_index thread_pos;
	/* (pid, tid, id) -> type and flow, open addressing */
	struct type_entry *types;
	size_t ntypes, types_cap;
	uint64_t first_ns, last_ns;
};

struct timeline *timeline_new(void)
{
	return calloc(1, sizeof(struct timeline));
}

void timeline_free(struct timeline *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nthreads; i++)
		free(t->threads[i].open);
	free(t->threads);
	thread_index_free(&t->thread_pos);
	free(t->slices);
	free(t->flows);
	free(t->types);
	free(t);
}

static size_t hash3(uint32_t pid, uint32_t tid, uint64_t id)
{
	uint64_t h = (id * 0x9e3779b97f4a7c15ULL) ^
		     (((uint64_t)pid << 32 | tid) * 0xc2b2ae3d27d4eb4fULL);

	return h ^ (h >> 31);
}

static struct type_entry *type_slot(struct timeline *t, uint32_t pid, uint32_t tid, uint64_t id,
				    bool create)
{
	if (create && (t->ntypes + 1) * 2 > t->types_cap) {
		size_t ncap = t->types_cap ? 2 * t->types_cap : 1024;
		struct type_entry *n = calloc(ncap, sizeof(*n)), *old = t->types;

		if (!n)
			return NULL;
		for (size_t i = 0; i < t->types_cap; i++) {
			if (!old[i].id)
				continue;
			size_t j = hash3(old[i].pid, old[i].tid, old[i].id) & (ncap - 1);

			while (n[j].id)
				j = (j + 1) & (ncap - 1);
			n[j] = old[i];
		}
		free(old);
		t->types = n;
		t->types_cap = ncap;
	}
	if (!t->types_cap)
		return NULL;
	for (size_t i = hash3(pid, tid, id) & (t->types_cap - 1);;
	     i = (i + 1) & (t->types_cap - 1)) {
		struct type_entry *e = &t->types[i];

		if (e->id == id && e->tid == tid && e->pid == pid)
			return e;
		if (!e->id) {
			if (!create)
				return NULL;
			*e = (struct type_entry){.pid = pid, .tid = tid, .id = id};
			t->ntypes++;
			return e;
		}
	}
}

static struct tl_thread *thread_of(struct timeline *t, uint32_t pid, uint32_t tid)
{
	uint32_t pos;

	if (thread_index_find(&t->thread_pos, pid, tid, &pos))
		return &t->threads[pos];
	if (array_grow((void **)&t->threads, &t->threads_cap, t->nthreads + 1, sizeof(*t->threads)))
		return NULL;
	if (thread_index_add(&t->thread_pos, pid, tid, t->nthreads))
		return NULL;
	memset(&t->threads[t->nthreads], 0, sizeof(struct tl_thread));
	t->threads[t->nthreads].pid = pid;
	t->threads[t->nthreads].tid = tid;
	return &t->threads[t->nthreads++];
}

int timeline_add_event(void *ctx, const struct event *e)
{
	struct timeline *t = ctx;
	struct tl_thread *th = thread_of(t, e->pid, e->tid);
	uint64_t key = layer_key_id(e->layer, e->id);
	struct type_entry *te;

	if (!th)
		return 0;
	if (!t->first_ns || e->ts_ns < t->first_ns)
		t->first_ns = e->ts_ns;
	if (e->ts_ns > t->last_ns)
		t->last_ns = e->ts_ns;

	switch (e->kind) {
	case EV_INIT: {
		struct flow *f;

		te = type_slot(t, e->pid, e->tid, key, true);
		if (!te)
			return 0;
		te->type = e->type;
		if (e->trigger < 2)
			break;
		if (array_grow((void **)&t->flows, &t->flows_cap, t->nflows + 1, sizeof(*t->flows)))
			return 0;
		f = &t->flows[t->nflows++];
		*f = (struct flow){e->pid, e->tid, e->trigger, e->id, e->ts_ns, 0};
		te->flow = t->nflows;
		break;
	}
	case EV_BEFORE: {
		struct slice *s;

		if (array_grow((void **)&t->slices, &t->slices_cap, t->nslices + 1,
			       sizeof(*t->slices)) ||
		    array_grow((void **)&th->open, &th->cap, th->depth + 1, sizeof(*th->open)))
			return 0;
		te = type_slot(t, e->pid, e->tid, key, false);
		s = &t->slices[t->nslices];
		*s = (struct slice){
			.pid = e->pid,
			.tid = e->tid,
			.id = e->id,
			.type = te ? te->type : NULL,
			.layer = e->layer,
			.start_ns = e->ts_ns,
			.end_ns = e->ts_ns,
			.depth = th->depth,
			.sampled = e->flags & EVF_INFERRED,
			.unfinished = true,
		};
		if (te && te->flow && !t->flows[te->flow - 1].target_ns)
			t->flows[te->flow - 1].target_ns = e->ts_ns;
		th->open[th->depth++] = t->nslices++;
		break;
	}
	case EV_AFTER: {
		size_t d = th->depth;

		/* close the innermost open slice of this id; any inside it lost
		 * their after and end here too */
		while (d > 0 && layer_key_id(t->slices[th->open[d - 1]].layer,
					     t->slices[th->open[d - 1]].id) != key)
			d--;
		if (d == 0)
			break;
		for (size_t k = d - 1; k < th->depth; k++) {
			struct slice *s = &t->slices[th->open[k]];

			s->end_ns = e->ts_ns > s->start_ns ? e->ts_ns : s->start_ns;
			s->unfinished = k != d - 1;
		}
		th->depth = d - 1;
		break;
	}
	case EV_MICROTASKS: {
		struct slice *s;
		uint64_t begin = e->begin_ns <= e->ts_ns ? e->begin_ns : e->ts_ns;

		if (array_grow((void **)&t->slices, &t->slices_cap, t->nslices + 1,
			       sizeof(*t->slices)))
			return 0;
		/* reported at its end: the JS slices seen inside it are closed
		 * already, at this depth, and move one level in (a thread's
		 * slices are added in start order; other threads' are skipped,
		 * within a bound) */
		for (size_t k = t->nslices, seen = 0; k > 0 && seen < 4096; k--, seen++) {
			struct slice *in = &t->slices[k - 1];

			if (in->pid != e->pid || in->tid != e->tid)
				continue;
			if (in->start_ns < begin)
				break;
			if (in->depth >= th->depth)
				in->depth++;
		}
		if (begin < t->first_ns)
			t->first_ns = begin;
		s = &t->slices[t->nslices++];
		*s = (struct slice){
			.pid = e->pid,
			.tid = e->tid,
			.layer = e->layer,
			.start_ns = begin,
			.end_ns = e->ts_ns,
			.depth = th->depth,
			.microtasks = true,
			.count = e->count,
		};
		break;
	}
	default:
		break;
	}
	return 0;
}

static int by_thread_start(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

void timeline_finish(struct timeline *t)
{
	for (size_t i = 0; i < t->nthreads; i++) {
		struct tl_thread *th = &t->threads[i];

		for (size_t k = 0; k < th->depth; k++)
			t->slices[th->open[k]].end_ns = t->last_ns;
		th->depth = 0;
	}
	if (t->nslices)
		qsort(t->slices, t->nslices, sizeof(*t->slices), by_thread_start);
}

size_t timeline_nslices(const struct timeline *t)
{
	return t->nslices;
}

const struct slice *timeline_slice(const struct timeline *t, size_t i)
{
	return i < t->nslices ? &t->slices[i] : NULL;
}

size_t timeline_nflows(const struct timeline *t)
{
	return t->nflows;
}

const struct flow *timeline_flow(const struct timeline *t, size_t i)
{
	return i < t->nflows ? &t->flows[i] : NULL;
}

uint64_t timeline_first_ns(const struct timeline *t)
{
	return t->first_ns;
}

uint64_t timeline_last_ns(const struct timeline *t)
{
	return t->last_ns;
}
