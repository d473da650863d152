// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Ring-buffer record -> event. Pure, so the unit tests can feed it bytes. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "event/ringbuf_decode.h"
#include "bpf/double_id.h"

int ingest_decode(const void *data, size_t size, const char *const *provider_types, int nproviders,
		  struct event *e)
{
	const struct ev_hdr *h = data;
	const struct ev_node *n = data;

	if (size < sizeof(*h) || h->len > size || h->kind <= EV_NONE ||
	    h->kind >= EV_INTERNAL_MAX || (h->kind >= EV_KIND_COUNT && h->kind < EV_THREAD_ENV))
		return -EBADMSG;
	if (h->layer == LAYER_UV) {
		const struct ev_uv *u = data;

		if (size < sizeof(*u))
			return -EBADMSG;
		memset(e, 0, sizeof(*e));
		e->ts_ns = h->ts_ns;
		e->pid = h->pid;
		e->tid = h->tid;
		e->kind = h->kind;
		e->layer = LAYER_UV;
		e->id = u->id;
		e->trigger = u->trigger;
		e->exec = u->trigger; /* the uv callback running when it was made */
		e->obj = u->obj;
		e->caller = u->cb;
		e->link_id = u->wrap_id;
		e->flags = (u->flags & UVO_LATE_CB ? EVF_LATE : 0) |
			   (u->flags & UVO_INTERNAL ? EVF_INTERNAL : 0) |
			   (u->flags & UVO_ADOPTED ? EVF_ADOPTED : 0) |
			   (u->flags & UVO_HELD ? EVF_HELD : 0);
		if (h->kind == EV_INIT && !(e->type = intern(uv_type_name(u->type))))
			return -EBADMSG;
		return 0;
	}
	if (h->kind >= EV_THREAD_ENV && h->layer != LAYER_NODE) {
		const struct ev_js *j = data;

		if (size < sizeof(*j))
			return -EBADMSG;
		memset(e, 0, sizeof(*e));
		e->ts_ns = h->ts_ns;
		e->pid = h->pid;
		e->tid = h->tid;
		e->kind = h->kind;
		e->layer = LAYER_JS;
		e->id = j->id;
		e->trigger = j->trigger;
		e->exec = j->addr;
		e->stack_depth = j->depth;
		e->flags = j->dir;
		return 0;
	}
	if (h->layer != LAYER_NODE || size < sizeof(*n))
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	e->ts_ns = h->ts_ns;
	e->pid = h->pid;
	e->tid = h->tid;
	e->kind = h->kind;
	e->layer = h->layer;
	e->flags = h->flags;
	e->id = n->id;
	e->trigger = n->trigger;
	e->exec = n->exec;
	e->caller = n->caller;
	if (e->kind == EV_MICROTASKS) {
		/* events.h: the count rides in id, the start in trigger */
		e->count = n->id;
		e->begin_ns = n->trigger;
		e->id = e->trigger = 0;
	}
	if (e->kind == EV_REJECTION) {
		/* events.h: kind in provider, the promise in wrap, when in caller */
		if (!rejection_kind_name(n->provider))
			return -EBADMSG;
		e->rejection = n->provider;
		e->obj = n->wrap;
		e->begin_ns = n->caller;
		e->caller = 0;
	}
	if (h->flags & EVF_STACK) {
		const struct ev_node_stack *ns = data;
		size_t head = sizeof(struct ev_node) + offsetof(struct ev_stack, pairs);

		if (size < head || ns->s.npairs > NODE_MAX_STACK ||
		    size < head + ns->s.npairs * 2 * sizeof(__u64))
			return -EBADMSG;
		e->has_stack = true;
		e->cur_exec = id_from_double_bits(ns->s.exec_bits);
		e->cur_trigger = id_from_double_bits(ns->s.trigger_bits);
		e->id_counter = id_from_double_bits(ns->s.counter_bits);
		e->init_hooks = ns->s.init_hooks;
		e->stack_depth = ns->s.depth;
		e->npairs = ns->s.npairs;
		for (uint32_t i = 0; i < 2 * e->npairs; i++)
			e->pairs[i] = id_from_double_bits(ns->s.pairs[i]);
		e->flags &= ~EVF_STACK;
	}
	if (e->kind == EV_INIT) {
		if (n->provider >= (uint32_t)nproviders || !provider_types[n->provider])
			return -EBADMSG;
		e->type = provider_types[n->provider];
	}
	return 0;
}
