// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writes .asr captures (format: capture_format.h). Events are encoded into a
 * chunk buffer and deflated a chunk at a time; the string and thread tables
 * are defined inline the first time each entry is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/array_grow.h"
#include "event/capture.h"

struct str_slot {
	const char *s; /* interned: compared by pointer */
	uint32_t idx;
};

struct thread_slot {
	uint64_t key; /* pid << 32 | tid, + 1 so 0 means empty */
	uint32_t idx;
};

struct capture_writer {
	FILE *out;
	uint8_t *raw; /* the chunk being filled */
	size_t raw_len;
	uint32_t raw_events;
	uint8_t *zbuf;
	size_t zcap;
	uint64_t prev_ts;
	struct str_slot *strs;
	size_t str_cap, nstrs;
	struct thread_slot *threads;
	size_t thread_cap, nthreads;
	int err; /* first write error, reported at close */
};

/* ---- little-endian and varint encoding ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)v | 0x80;
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* A growable byte buffer for header and trailer fields. */
struct fieldbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void fb_put(struct fieldbuf *b, const void *data, size_t n)
{
	if (b->err)
		return;
	if (array_grow((void **)&b->p, &b->cap, b->len + n, 1)) {
		b->err = -ENOMEM;
		return;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void fb_field(struct fieldbuf *b, uint16_t tag, const void *data, size_t n)
{
	uint8_t h[6];

	put_u16(h, tag);
	put_u32(h + 2, n);
	fb_put(b, h, sizeof(h));
	fb_put(b, data, n);
}

static void fb_string(struct fieldbuf *b, uint16_t tag, const char *s)
{
	if (s && *s)
		fb_field(b, tag, s, strlen(s));
}

static void fb_u64(struct fieldbuf *b, uint16_t tag, uint64_t v)
{
	uint8_t p[8];

	put_u64(p, v);
	fb_field(b, tag, p, sizeof(p));
}

/* A section: magic, u32 length, the fields, u32 crc32 of the fields. */
static int write_section(FILE *out, const char *magic, size_t magic_len, const uint8_t *pre,
			 size_t pre_len, const struct fieldbuf *b)
{
	uint8_t len[4], crc[4];

	put_u32(len, b->len);
	put_u32(crc, crc32(0, b->p, b->len));
	if (fwrite(magic, 1, magic_len, out) != magic_len ||
	    (pre_len && fwrite(pre, 1, pre_len, out) != pre_len) || fwrite(len, 1, 4, out) != 4 ||
	    (b->len && fwrite(b->p, 1, b->len, out) != b->len) || fwrite(crc, 1, 4, out) != 4)
		return -errno ? -errno : -EIO;
	return 0;
}

int capture_writer_open(FILE *out, const struct capture_meta *m, struct capture_writer **wp)
{
	struct capture_writer *w = calloc(1, sizeof(*w));
	struct fieldbuf b = {0};
	uint8_t version[4], clock[16];
	int err;

	*wp = NULL;
	if (!w)
		return -ENOMEM;
	w->out = out;
	w->raw = malloc(CAPTURE_CHUNK_RAW + 4096);
	w->zcap = compressBound(CAPTURE_CHUNK_RAW + 4096);
	w->zbuf = malloc(w->zcap);
	if (!w->raw || !w->zbuf) {
		capture_writer_free(w);
		return -ENOMEM;
	}
	fb_string(&b, CAPT_TOOL_VERSION, m->tool_version);
	if (m->pid)
		fb_u64(&b, CAPT_PID, m->pid);
	fb_string(&b, CAPT_EXE, m->exe);
	fb_string(&b, CAPT_COMMAND, m->command);
	fb_string(&b, CAPT_NODE_VERSION, m->node_version);
	fb_string(&b, CAPT_NODE_BUILD_ID, m->node_build_id);
	fb_string(&b, CAPT_UV_PATH, m->uv_path);
	fb_string(&b, CAPT_UV_BUILD_ID, m->uv_build_id);
	if (m->providers_len)
		fb_field(&b, CAPT_PROVIDERS, m->providers, m->providers_len);
	if (m->clock_mono_ns) {
		put_u64(clock, m->clock_mono_ns);
		put_u64(clock + 8, m->clock_real_ns);
		fb_field(&b, CAPT_CLOCK, clock, sizeof(clock));
	}
	fb_string(&b, CAPT_LAYERS, m->layers);
	fb_string(&b, CAPT_JS_MODE, m->js_mode);
	put_u16(version, CAPTURE_VERSION);
	put_u16(version + 2, 0);
	err = b.err ? b.err : write_section(out, CAPTURE_MAGIC, 8, version, 4, &b);
	free(b.p);
	if (err) {
		capture_writer_free(w);
		return err;
	}
	*wp = w;
	return 0;
}

static int flush_chunk(struct capture_writer *w)
{
	uLongf zlen = w->zcap;
	uint8_t h[20];

	if (!w->raw_len)
		return 0;
	/* level 1: the writer must keep up with millions of events a second,
	 * and the event stream is repetitive enough to shrink well anyway */
	if (compress2(w->zbuf, &zlen, w->raw, w->raw_len, 1) != Z_OK)
		return -EIO;
	memcpy(h, CAPTURE_CHUNK_MAGIC, 4);
	put_u32(h + 4, w->raw_len);
	put_u32(h + 8, zlen);
	put_u32(h + 12, w->raw_events);
	put_u32(h + 16, crc32(0, w->zbuf, zlen));
	if (fwrite(h, 1, sizeof(h), w->out) != sizeof(h) ||
	    fwrite(w->zbuf, 1, zlen, w->out) != zlen)
		return errno ? -errno : -EIO;
	w->raw_len = 0;
	w->raw_events = 0;
	return 0;
}

/*
 * Writes the index of an interned string, plus bias (1 where 0 means "no
 * string"), defining the string in the stream the first time.
 */
static int string_ref(struct capture_writer *w, const char *s, unsigned int bias, uint8_t *p,
		      size_t *n)
{
	size_t i, len;

	if (2 * (w->nstrs + 1) > w->str_cap) {
		size_t cap = w->str_cap ? 2 * w->str_cap : 64;
		struct str_slot *t = calloc(cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (size_t j = 0; j < w->str_cap; j++)
			if (w->strs[j].s) {
				for (i = ((uintptr_t)w->strs[j].s >> 4) & (cap - 1); t[i].s;
				     i = (i + 1) & (cap - 1))
					;
				t[i] = w->strs[j];
			}
		free(w->strs);
		w->strs = t;
		w->str_cap = cap;
	}
	for (i = ((uintptr_t)s >> 4) & (w->str_cap - 1); w->strs[i].s;
	     i = (i + 1) & (w->str_cap - 1))
		if (w->strs[i].s == s) {
			*n += put_varint(p + *n, w->strs[i].idx + bias);
			return 0;
		}
	len = strlen(s);
	if (len > 1024)
		len = 1024; /* names, not payloads: the chunk slack bounds it */
	w->strs[i] = (struct str_slot){s, w->nstrs};
	*n += put_varint(p + *n, w->nstrs++ + bias);
	*n += put_varint(p + *n, len);
	memcpy(p + *n, s, len);
	*n += len;
	return 0;
}

static int thread_ref(struct capture_writer *w, uint32_t pid, uint32_t tid, uint8_t *p, size_t *n)
{
	uint64_t key = (((uint64_t)pid << 32) | tid) + 1;
	size_t i;

	if (2 * (w->nthreads + 1) > w->thread_cap) {
		size_t cap = w->thread_cap ? 2 * w->thread_cap : 64;
		struct thread_slot *t = calloc(cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (size_t j = 0; j < w->thread_cap; j++)
			if (w->threads[j].key) {
				for (i = (w->threads[j].key * 0x9e3779b97f4a7c15ULL >> 20) &
					 (cap - 1);
				     t[i].key; i = (i + 1) & (cap - 1))
					;
				t[i] = w->threads[j];
			}
		free(w->threads);
		w->threads = t;
		w->thread_cap = cap;
	}
	for (i = (key * 0x9e3779b97f4a7c15ULL >> 20) & (w->thread_cap - 1); w->threads[i].key;
	     i = (i + 1) & (w->thread_cap - 1))
		if (w->threads[i].key == key) {
			*n += put_varint(p + *n, w->threads[i].idx);
			return 0;
		}
	w->threads[i] = (struct thread_slot){key, w->nthreads};
	*n += put_varint(p + *n, w->nthreads++);
	*n += put_varint(p + *n, pid);
	*n += put_varint(p + *n, tid);
	return 0;
}

int capture_writer_event(void *ctx, const struct event *e)
{
	struct capture_writer *w = ctx;
	uint8_t *p;
	size_t n = 1;
	int64_t dts;
	uint8_t head;
	int err;

	if (w->err || e->kind <= EV_NONE || e->kind >= EV_KIND_COUNT)
		return 0; /* internal kinds are not part of a capture */
	/* one event is at most ~1.3 KiB (a full stack, a long name): the
	 * buffer's slack past CAPTURE_CHUNK_RAW holds it */
	if (w->raw_len >= CAPTURE_CHUNK_RAW && (err = flush_chunk(w))) {
		w->err = err;
		return 0;
	}
	p = w->raw + w->raw_len;
	head = e->kind | (e->layer << CAP_LAYER_SHIFT);
	if (e->flags || (e->layer == LAYER_UV && e->kind == EV_INIT))
		head |= CAP_HAS_FLAGS;
	if (e->caller)
		head |= CAP_HAS_CALLER;
	if (e->has_stack)
		head |= CAP_HAS_STACK;
	p[0] = head;
	if ((err = thread_ref(w, e->pid, e->tid, p, &n))) {
		w->err = err;
		return 0;
	}
	dts = (int64_t)(e->ts_ns - w->prev_ts);
	n += put_varint(p + n, ((uint64_t)dts << 1) ^ (uint64_t)(dts >> 63));
	w->prev_ts = e->ts_ns;
	n += put_varint(p + n, e->id);
	if (e->kind == EV_INIT) {
		if ((err = string_ref(w, intern(e->type ? e->type : ""), 0, p, &n))) {
			w->err = err;
			return 0;
		}
		n += put_varint(p + n, e->trigger);
		n += put_varint(p + n, e->exec);
	} else if (e->kind == EV_BEFORE) {
		n += put_varint(p + n, e->trigger);
	} else if (e->kind == EV_MICROTASKS) {
		n += put_varint(p + n, e->count);
		n += put_varint(p + n, e->ts_ns >= e->begin_ns ? e->ts_ns - e->begin_ns : 0);
	} else if (e->kind == EV_REJECTION) {
		n += put_varint(p + n, e->rejection);
		n += put_varint(p + n, e->exec);
		n += put_varint(p + n, e->trigger);
		n += put_varint(p + n, e->ts_ns >= e->begin_ns ? e->ts_ns - e->begin_ns : 0);
		n += put_varint(p + n, e->obj);
	}
	if (head & CAP_HAS_FLAGS) {
		n += put_varint(p + n, e->flags);
		if (e->layer == LAYER_UV && e->kind == EV_INIT) {
			n += put_varint(p + n, e->obj);
			n += put_varint(p + n, e->link_id);
		}
	}
	if (head & CAP_HAS_CALLER) {
		n += put_varint(p + n, e->caller);
		if (!e->caller_fn) {
			p[n++] = 0;
		} else if ((err = string_ref(w, intern(e->caller_fn), 1, p, &n))) {
			w->err = err;
			return 0;
		}
	}
	if (head & CAP_HAS_STACK) {
		uint32_t np = e->npairs < NODE_MAX_STACK ? e->npairs : NODE_MAX_STACK;

		n += put_varint(p + n, e->cur_exec);
		n += put_varint(p + n, e->cur_trigger);
		n += put_varint(p + n, e->id_counter);
		n += put_varint(p + n, e->init_hooks);
		n += put_varint(p + n, e->stack_depth);
		n += put_varint(p + n, np);
		for (uint32_t i = 0; i < 2 * np; i++)
			n += put_varint(p + n, e->pairs[i]);
	}
	w->raw_len += n;
	w->raw_events++;
	return 0;
}

int capture_writer_close(struct capture_writer *w, const struct capture_summary *s)
{
	struct fieldbuf b = {0};
	uint8_t *sum;
	size_t n = 0;
	int err;

	if (!w)
		return 0;
	err = w->err;
	if (!err)
		err = flush_chunk(w);
	/* the summary: (u8 name length, name, u64 value) per number */
	sum = malloc(64 * (EV_KIND_COUNT + nsummary_fields + 1));
	if (!err && !sum)
		err = -ENOMEM;
	if (!err) {
		struct capture_summary copy = *s;
		const char *names[EV_KIND_COUNT + 64];
		uint64_t values[EV_KIND_COUNT + 64];
		int nv = 0;

		names[nv] = "events";
		values[nv++] = copy.events;
		for (int k = EV_NONE + 1; k < EV_KIND_COUNT; k++) {
			names[nv] = ev_kind_name(k);
			values[nv++] = copy.counts[k];
		}
		for (int i = 0; i < nsummary_fields; i++) {
			names[nv] = summary_fields[i].name;
			values[nv++] = *summary_value(&copy, &summary_fields[i]);
		}
		for (int i = 0; i < nv; i++) {
			size_t len = strlen(names[i]);

			sum[n++] = len;
			memcpy(sum + n, names[i], len);
			n += len;
			put_u64(sum + n, values[i]);
			n += 8;
		}
		fb_field(&b, CAPT_SUMMARY, sum, n);
		err = b.err ? b.err : write_section(w->out, CAPTURE_TRAILER_MAGIC, 4, NULL, 0, &b);
	}
	free(sum);
	free(b.p);
	if (!err && fflush(w->out))
		err = -errno;
	capture_writer_free(w);
	return err;
}

void capture_writer_free(struct capture_writer *w)
{
	if (!w)
		return;
	free(w->raw);
	free(w->zbuf);
	free(w->strs);
	free(w->threads);
	free(w);
}
