// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/exec_context.h"

#define PATH_LEVELS 8 /* nearest ancestors in a path; "..." before them */

struct ctx_entry {
	uint32_t pid, tid;
	uint64_t id; /* 0: empty slot */
	uint64_t trigger;
	const char *type;
};

struct exec_context {
	struct ctx_entry *slots;
	size_t cap, n; /* cap a power of two, kept under 3/4 full */
};

struct exec_context *exec_context_new(void)
{
	return calloc(1, sizeof(struct exec_context));
}

void exec_context_free(struct exec_context *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c);
}

static size_t slot_of(const struct exec_context *c, uint32_t pid, uint32_t tid, uint64_t id)
{
	uint64_t h = (id * 0x9e3779b97f4a7c15ULL) ^
		     (((uint64_t)pid << 32 | tid) * 0xff51afd7ed558ccdULL);
	size_t i = (h >> 17) & (c->cap - 1);

	while (c->slots[i].id &&
	       (c->slots[i].id != id || c->slots[i].pid != pid || c->slots[i].tid != tid))
		i = (i + 1) & (c->cap - 1);
	return i;
}

static const struct ctx_entry *find(const struct exec_context *c, uint32_t pid, uint32_t tid,
				    uint64_t id)
{
	const struct ctx_entry *s;

	if (!c->cap || !id)
		return NULL;
	s = &c->slots[slot_of(c, pid, tid, id)];
	return s->id ? s : NULL;
}

/* 0 or -1 (out of memory: the context of later rejections may be missing). */
static int grow(struct exec_context *c)
{
	struct exec_context bigger = {.cap = c->cap ? 2 * c->cap : 1024};

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -1;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].id)
			bigger.slots[slot_of(&bigger, c->slots[i].pid, c->slots[i].tid,
					     c->slots[i].id)] = c->slots[i];
	free(c->slots);
	c->slots = bigger.slots;
	c->cap = bigger.cap;
	return 0;
}

static void note_init(struct exec_context *c, const struct event *e)
{
	struct ctx_entry *s;

	if ((c->n + 1) * 4 > c->cap * 3 && grow(c))
		return;
	s = &c->slots[slot_of(c, e->pid, e->tid, e->id)];
	if (!s->id)
		c->n++;
	*s = (struct ctx_entry){e->pid, e->tid, e->id, e->trigger, e->type};
}

static void append(char *buf, size_t cap, size_t *len, const char *s)
{
	int n = snprintf(buf + *len, cap - *len, "%s%s", *len ? " > " : "", s);

	if (n > 0)
		*len = *len + n < cap ? *len + n : cap - 1;
}

/* "main > TCPSERVERWRAP > TCPWRAP": the types r was created under, root
 * first; "?" for an ancestor not seen created, "..." past PATH_LEVELS. */
static const char *path_of(const struct exec_context *c, const struct ctx_entry *r)
{
	const char *chain[PATH_LEVELS];
	const struct ctx_entry *p;
	uint64_t t = r->trigger;
	bool more = false;
	char buf[512] = "";
	size_t len = 0;
	int n = 0;

	while (t > 1 && (p = find(c, r->pid, r->tid, t))) {
		if (n == PATH_LEVELS) {
			more = true;
			break;
		}
		chain[n++] = p->type ? p->type : "?";
		t = p->trigger;
	}
	if (more || t > 1)
		append(buf, sizeof(buf), &len, more ? "..." : "?");
	else if (t == 1)
		append(buf, sizeof(buf), &len, "main");
	while (n-- > 0)
		append(buf, sizeof(buf), &len, chain[n]);
	return intern(len ? buf : "(no trigger)");
}

const struct event *exec_context_add(struct exec_context *c, const struct event *e,
				     struct event *tmp)
{
	const struct ctx_entry *r;

	if (!c)
		return e; /* none could be made: rejections go without their context */
	if (e->kind == EV_INIT && e->layer != LAYER_UV && e->id)
		note_init(c, e);
	if (e->kind != EV_REJECTION)
		return e;
	*tmp = *e;
	if (e->exec == 1) {
		tmp->type = intern("main");
		tmp->path = NULL;
	} else if ((r = find(c, e->pid, e->tid, e->exec))) {
		tmp->type = r->type;
		tmp->path = path_of(c, r);
	}
	return tmp;
}
