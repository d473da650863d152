// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/array_grow.h"
#include "model/exit_mark.h"
#include "model/thread_index.h"

struct held {
	struct event *ev;
	size_t n, cap;
	/* a delivery has begun on this thread and nothing else has run since:
	 * async_hooks drains its destroy queue until it is empty, so a destroy
	 * now (a weak wrap collected while the destroy hooks run) is delivered
	 * in the same batch */
	bool draining;
};

struct exit_mark {
	struct event_sink next;
	struct thread_index pos;
	struct held *threads;
	size_t nthreads, cap;
};

static struct held *held_of(struct exit_mark *x, uint32_t pid, uint32_t tid)
{
	uint32_t pos;

	if (thread_index_find(&x->pos, pid, tid, &pos))
		return &x->threads[pos];
	if (array_grow((void **)&x->threads, &x->cap, x->nthreads + 1, sizeof(*x->threads)) ||
	    thread_index_add(&x->pos, pid, tid, x->nthreads))
		return NULL;
	x->threads[x->nthreads] = (struct held){0};
	return &x->threads[x->nthreads++];
}

/* Forwards a thread's held destroys, with flags added. */
static int release(struct exit_mark *x, struct held *h, uint32_t flags)
{
	int err = 0;

	for (size_t i = 0; i < h->n && !err; i++) {
		h->ev[i].flags |= flags;
		err = x->next.on_event(x->next.ctx, &h->ev[i]);
	}
	h->n = 0;
	return err;
}

static int on_event(void *ctx, const struct event *e)
{
	struct exit_mark *x = ctx;
	struct held *h;

	if (e->kind == EV_DESTROYS_DUE) {
		h = held_of(x, e->pid, e->tid);
		if (!h)
			return 0;
		h->draining = !(e->flags & EVF_AT_EXIT);
		return release(x, h, e->flags & EVF_AT_EXIT);
	}
	if (e->kind != EV_DESTROY || e->layer != LAYER_NODE || (e->flags & EVF_AT_EXIT)) {
		h = held_of(x, e->pid, e->tid);
		if (h)
			h->draining = false;
		return x->next.on_event(x->next.ctx, e);
	}
	h = held_of(x, e->pid, e->tid);
	if (h && h->draining)
		return x->next.on_event(x->next.ctx, e);
	/* out of memory: forwarded unmarked, as if delivered */
	if (!h || array_grow((void **)&h->ev, &h->cap, h->n + 1, sizeof(*h->ev)))
		return x->next.on_event(x->next.ctx, e);
	h->ev[h->n++] = *e;
	return 0;
}

static void flush_next(void *ctx)
{
	struct exit_mark *x = ctx;

	if (x->next.flush)
		x->next.flush(x->next.ctx);
}

struct exit_mark *exit_mark_new(const struct event_sink *next)
{
	struct exit_mark *x = calloc(1, sizeof(*x));

	if (!x) {
		errno = ENOMEM;
		return NULL;
	}
	x->next = *next;
	return x;
}

struct event_sink exit_mark_sink(struct exit_mark *x)
{
	return (struct event_sink){.on_event = on_event, .flush = flush_next, .ctx = x};
}

int exit_mark_finish(struct exit_mark *x)
{
	int err = 0;

	for (size_t i = 0; i < x->nthreads && !err; i++)
		err = release(x, &x->threads[i], 0);
	return err;
}

void exit_mark_free(struct exit_mark *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nthreads; i++)
		free(x->threads[i].ev);
	free(x->threads);
	thread_index_free(&x->pos);
	free(x);
}
