// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "event/ringbuf_decode.h"
#include "live/ingest.h"
#include "live/js_symbolize.h"
#include "lib/log.h"
#include "resolve/symbolize.h"

#define JS_PENDING 64 /* threads with a JS stack waiting for its init */

struct ingest {
	struct ring_buffer *rb;
	struct event_sink sink;
	struct capture_summary *summary;
	const char *types[NODE_MAX_PROVIDERS]; /* provider -> interned type name */
	int ntypes;
	int stop;
	struct symbolizer *syms; /* callers of scope constructors, when stacks are on */
	struct js_symbolizer *js;
	/* JS stacks waiting for their init (the probe sends the stack first;
	 * another CPU's records may come between the two), by thread */
	struct js_pending {
		uint32_t pid, tid;
		uint64_t id;
		const char *json;
	} pending[JS_PENDING];
};

void ingest_set_js(struct ingest *in, struct js_symbolizer *js)
{
	in->js = js;
}

static void js_stack_record(struct ingest *in, const void *data, size_t size)
{
	const struct ev_js_stack *r = data;
	struct js_pending *p;

	if (size < offsetof(struct ev_js_stack, frames))
		return;
	p = &in->pending[r->h.tid % JS_PENDING];
	p->pid = r->h.pid;
	p->tid = r->h.tid;
	p->id = r->id;
	p->json = in->js ? js_symbolize(in->js, r, size) : NULL;
}

static const char *js_stack_of(struct ingest *in, const struct event *e)
{
	struct js_pending *p = &in->pending[e->tid % JS_PENDING];
	const char *json = p->json;

	if (!json || p->pid != e->pid || p->tid != e->tid || p->id != e->id)
		return NULL;
	p->json = NULL;
	return json;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct ingest *in = ctx;
	struct event e;
	int ret;

	if (size >= sizeof(struct ev_hdr) && ((const struct ev_hdr *)data)->kind == EV_JS_STACK) {
		js_stack_record(in, data, size);
		return 0;
	}
	if (ingest_decode(data, size, in->types, in->ntypes, &e)) {
		in->summary->unknown_records++;
		return 0;
	}
	if (e.caller && in->syms)
		e.caller_fn = symbolizer_lookup(in->syms, e.caller);
	if (e.kind == EV_INIT && e.layer == LAYER_NODE)
		e.js_stack = js_stack_of(in, &e);

	ret = in->sink.on_event(in->sink.ctx, &e);
	if (ret) {
		in->stop = ret;
		return -ECANCELED; /* stops ring_buffer__consume */
	}
	return 0;
}

int ingest_new(int ringbuf_fd, const struct node_layout *layout, const struct event_sink *sink,
	       struct capture_summary *summary, struct ingest **out)
{
	struct ingest *in = calloc(1, sizeof(*in));
	int err;

	if (!in)
		return -ENOMEM;
	in->sink = *sink;
	in->summary = summary;
	in->ntypes = layout->nproviders;
	for (int i = 0; i < layout->nproviders; i++)
		in->types[i] = intern(layout->providers[i]);
	in->syms = symbolizer_new(layout->path);
	in->rb = ring_buffer__new(ringbuf_fd, on_record, in, NULL);
	if (!in->rb) {
		err = -errno;
		free(in);
		return err;
	}
	*out = in;
	return 0;
}

int ingest_poll(struct ingest *in, int timeout_ms)
{
	int n, m;

	js_symbolizer_drain(in->js);
	n = ring_buffer__poll(in->rb, timeout_ms);
	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return in->stop ? -ECANCELED : n;
	/* records submitted without a wakeup are not announced through epoll */
	m = ring_buffer__consume(in->rb);
	if (m < 0)
		return in->stop ? -ECANCELED : m;
	if (n + m > 0 && in->sink.flush)
		in->sink.flush(in->sink.ctx);
	return n + m;
}

void ingest_free(struct ingest *in)
{
	if (!in)
		return;
	ring_buffer__free(in->rb);
	symbolizer_free(in->syms);
	free(in);
}
