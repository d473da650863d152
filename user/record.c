// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Ring-buffer record -> event. Pure, so the unit tests can feed it bytes. */
#include <errno.h>
#include <string.h>

#include "ingest.h"

int ingest_decode(const void *data, size_t size, const char *const *provider_types, int nproviders,
		  struct event *e)
{
	const struct ev_hdr *h = data;
	const struct ev_node *n = data;

	if (size < sizeof(*h) || h->len > size || h->kind <= EV_NONE || h->kind >= EV_KIND_COUNT)
		return -EBADMSG;
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
	if (e->kind == EV_INIT) {
		if (n->provider >= (uint32_t)nproviders || !provider_types[n->provider])
			return -EBADMSG;
		e->type = provider_types[n->provider];
	}
	return 0;
}
