// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reads .asr captures (format: capture_format.h). Every length is checked
 * against what is left before it is used, and every failure names the file
 * offset it happened at: captures come from other machines and may be cut
 * short, corrupted or not captures at all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/array_grow.h"
#include "event/capture.h"

struct reader {
	FILE *in;
	uint64_t off; /* file offset of the next byte */
	char *err;
	size_t err_cap;
	/* decoding state, carried across chunks */
	uint64_t prev_ts;
	const char **strs;
	size_t nstrs, str_cap;
	uint64_t str_bytes; /* interned for good: bounded so a small file cannot fill memory */
	struct rthread {
		uint32_t pid, tid;
	} * threads;
	size_t nthreads, thread_cap;
};

static int fail(struct reader *r, uint64_t off, const char *fmt, ...)
{
	int n = snprintf(r->err, r->err_cap, "offset %llu: ", (unsigned long long)off);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->err_cap)
		vsnprintf(r->err + n, r->err_cap - n, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static uint16_t get_u16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get_u32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* read_bytes() and read_chunk(): the file ended (1) */
#define READ_END 1

/*
 * Reads exactly n bytes: 0, or READ_END when the file ends first (cut_ok:
 * anywhere in them, e.g. inside the chunk a killed recorder was writing;
 * otherwise only before the first byte, a cut after it being an error
 * naming what), or an error.
 */
static int read_bytes(struct reader *r, void *buf, size_t n, const char *what, bool cut_ok)
{
	size_t got = fread(buf, 1, n, r->in);

	if (got == n) {
		r->off += n;
		return 0;
	}
	if (cut_ok) {
		r->off += got;
		return feof(r->in) ? READ_END : fail(r, r->off, "read error");
	}
	if (got == 0 && feof(r->in))
		return READ_END;
	return fail(r, r->off + got, "%s cut short (%zu of %zu bytes)", what, got, n);
}

static int read_exact(struct reader *r, void *buf, size_t n, const char *what)
{
	return read_bytes(r, buf, n, what, false);
}

bool capture_is_asr(const void *head, size_t len)
{
	return len >= 8 && !memcmp(head, CAPTURE_MAGIC, 8);
}

void capture_meta_free(struct capture_meta *m)
{
	free(m->providers);
	m->providers = NULL;
	m->providers_len = 0;
	m->nproviders = 0;
}

static void copy_str(char *dst, size_t cap, const uint8_t *p, uint32_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	/* a NUL inside the field ends it: no hidden tails in messages */
}

/* A section's fields (header or trailer); body is len bytes, all checked. */
static int parse_fields(struct reader *r, uint64_t base, const uint8_t *body, uint32_t len,
			struct capture_meta *m, struct capture_summary *s)
{
	uint32_t pos = 0;

	while (pos < len) {
		uint16_t tag;
		uint32_t n;
		const uint8_t *v;

		if (len - pos < 6)
			return fail(r, base + pos, "field header cut short");
		tag = get_u16(body + pos);
		n = get_u32(body + pos + 2);
		if (n > len - pos - 6)
			return fail(r, base + pos, "field %u claims %u bytes, %u left", tag, n,
				    len - pos - 6);
		v = body + pos + 6;
		switch (tag) {
		case CAPT_TOOL_VERSION:
			copy_str(m->tool_version, sizeof(m->tool_version), v, n);
			break;
		case CAPT_PID:
			if (n == 8)
				m->pid = get_u64(v);
			break;
		case CAPT_EXE:
			copy_str(m->exe, sizeof(m->exe), v, n);
			break;
		case CAPT_COMMAND:
			copy_str(m->command, sizeof(m->command), v, n);
			break;
		case CAPT_NODE_VERSION:
			copy_str(m->node_version, sizeof(m->node_version), v, n);
			break;
		case CAPT_NODE_BUILD_ID:
			copy_str(m->node_build_id, sizeof(m->node_build_id), v, n);
			break;
		case CAPT_UV_PATH:
			copy_str(m->uv_path, sizeof(m->uv_path), v, n);
			break;
		case CAPT_UV_BUILD_ID:
			copy_str(m->uv_build_id, sizeof(m->uv_build_id), v, n);
			break;
		case CAPT_LAYERS:
			copy_str(m->layers, sizeof(m->layers), v, n);
			break;
		case CAPT_JS_MODE:
			copy_str(m->js_mode, sizeof(m->js_mode), v, n);
			break;
		case CAPT_CLOCK:
			if (n == 16) {
				m->clock_mono_ns = get_u64(v);
				m->clock_real_ns = get_u64(v + 8);
			}
			break;
		case CAPT_PROVIDERS:
			free(m->providers);
			m->providers = malloc(n + 1);
			if (!m->providers)
				return fail(r, base + pos, "out of memory");
			memcpy(m->providers, v, n);
			m->providers[n] = '\0';
			m->providers_len = n;
			m->nproviders = 0;
			for (uint32_t i = 0; i < n; i++)
				m->nproviders += m->providers[i] == '\0' || i + 1 == n;
			break;
		case CAPT_SUMMARY:
			if (!s)
				break; /* only the trailer's summary counts */
			for (uint32_t i = 0; i < n;) {
				uint8_t nl = v[i];
				char name[64];

				if (n - i < 1u + nl + 8)
					return fail(r, base + pos + 6 + i,
						    "summary entry cut short");
				copy_str(name, sizeof(name), v + i + 1, nl);
				uint64_t val = get_u64(v + i + 1 + nl);

				if (!strcmp(name, "events"))
					s->events = val;
				for (int k = EV_NONE + 1; k < EV_KIND_COUNT; k++)
					if (!strcmp(name, ev_kind_name(k)))
						s->counts[k] = val;
				for (int f = 0; f < nsummary_fields; f++)
					if (!strcmp(name, summary_fields[f].name))
						*summary_value(s, &summary_fields[f]) = val;
				i += 1 + nl + 8;
			}
			s->seen = true;
			break;
		default:
			break; /* a newer writer's field: skipped */
		}
		pos += 6 + n;
	}
	return 0;
}

/* magic (already read), u32 len, fields, u32 crc32 */
static int read_section(struct reader *r, uint64_t start, uint64_t fields_at, const char *what,
			struct capture_meta *m, struct capture_summary *s)
{
	uint8_t lenb[4], crcb[4];
	uint8_t *body;
	uint32_t len;
	int err;

	if ((err = read_exact(r, lenb, 4, what)))
		return err > 0 ? fail(r, r->off, "%s cut short", what) : err;
	len = get_u32(lenb);
	if (len > CAPTURE_MAX_CHUNK)
		return fail(r, start, "%s claims %u bytes (corrupt)", what, len);
	body = malloc(len ? len : 1);
	if (!body)
		return fail(r, start, "out of memory");
	err = read_exact(r, body, len, what);
	if (!err)
		err = read_exact(r, crcb, 4, what);
	if (err > 0)
		err = fail(r, r->off, "%s cut short", what);
	if (!err && get_u32(crcb) != crc32(0, body, len))
		err = fail(r, start, "%s checksum mismatch (corrupt)", what);
	if (!err)
		err = parse_fields(r, fields_at, body, len, m, s);
	free(body);
	return err;
}

/* ---- events ---- */

struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t get_varint(struct cursor *c)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		uint8_t b = *c->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true; /* more than 10 bytes */
	return 0;
}

static int string_at(struct reader *r, struct cursor *c, uint64_t ref, const char **out)
{
	if (ref < r->nstrs) {
		*out = r->strs[ref];
		return 0;
	}
	if (ref != r->nstrs || r->nstrs >= CAPTURE_MAX_STRINGS)
		return -1;
	uint64_t len = get_varint(c);
	char buf[1025];

	if (c->bad || len > 1024 || len > (uint64_t)(c->end - c->p) ||
	    r->str_bytes + len > CAPTURE_MAX_STRING_BYTES)
		return -1;
	r->str_bytes += len;
	memcpy(buf, c->p, len);
	buf[len] = '\0';
	c->p += len;
	if (array_grow((void **)&r->strs, &r->str_cap, r->nstrs + 1, sizeof(*r->strs)))
		return -1;
	*out = r->strs[r->nstrs++] = intern(buf);
	return *out ? 0 : -1;
}

static int thread_at(struct reader *r, struct cursor *c, uint64_t ref, struct event *e)
{
	if (ref < r->nthreads) {
		e->pid = r->threads[ref].pid;
		e->tid = r->threads[ref].tid;
		return 0;
	}
	if (ref != r->nthreads || r->nthreads >= CAPTURE_MAX_THREADS)
		return -1;
	uint64_t pid = get_varint(c), tid = get_varint(c);

	if (c->bad || pid > UINT32_MAX || tid > UINT32_MAX)
		return -1;
	if (array_grow((void **)&r->threads, &r->thread_cap, r->nthreads + 1, sizeof(*r->threads)))
		return -1;
	r->threads[r->nthreads++] = (struct rthread){pid, tid};
	e->pid = pid;
	e->tid = tid;
	return 0;
}

/* Decodes one event at c; a reason on failure. */
static const char *decode_event(struct reader *r, struct cursor *c, struct event *e)
{
	uint8_t head;
	uint64_t v, dts;

	memset(e, 0, sizeof(*e));
	if (c->p >= c->end)
		return "event cut short";
	head = *c->p++;
	e->kind = head & CAP_KIND_MASK;
	e->layer = (head & CAP_LAYER_MASK) >> CAP_LAYER_SHIFT;
	if (e->kind <= EV_NONE || e->kind >= EV_KIND_COUNT)
		return "unknown event kind";
	if (e->layer != LAYER_NODE && e->layer != LAYER_JS && e->layer != LAYER_UV)
		return "unknown layer";
	v = get_varint(c);
	if (c->bad || thread_at(r, c, v, e))
		return "bad thread reference";
	dts = get_varint(c);
	e->ts_ns = r->prev_ts + (uint64_t)((int64_t)(dts >> 1) ^ -(int64_t)(dts & 1));
	r->prev_ts = e->ts_ns;
	e->id = get_varint(c);
	if (e->kind == EV_INIT) {
		v = get_varint(c);
		if (c->bad || string_at(r, c, v, &e->type))
			return "bad type string reference";
		e->trigger = get_varint(c);
		e->exec = get_varint(c);
	} else if (e->kind == EV_BEFORE) {
		e->trigger = get_varint(c);
	} else if (e->kind == EV_MICROTASKS) {
		e->count = get_varint(c);
		v = get_varint(c);
		if (v > e->ts_ns)
			return "bad microtask run duration";
		e->begin_ns = e->ts_ns - v;
	} else if (e->kind == EV_REJECTION) {
		v = get_varint(c);
		if (!rejection_kind_name(v))
			return "bad rejection kind";
		e->rejection = v;
		e->exec = get_varint(c);
		e->trigger = get_varint(c);
		v = get_varint(c);
		if (v > e->ts_ns)
			return "bad rejection time";
		e->begin_ns = e->ts_ns - v;
		e->obj = get_varint(c);
	}
	if (head & CAP_HAS_FLAGS) {
		v = get_varint(c);
		if (v > UINT32_MAX)
			return "bad flags";
		e->flags = v;
		if (e->layer == LAYER_UV && e->kind == EV_INIT) {
			e->obj = get_varint(c);
			e->link_id = get_varint(c);
		}
	}
	if (head & CAP_HAS_CALLER) {
		e->caller = get_varint(c);
		v = get_varint(c);
		if (!c->bad && v && string_at(r, c, v - 1, &e->caller_fn))
			return "bad function string reference";
	}
	if (head & CAP_HAS_STACK) {
		e->has_stack = true;
		e->cur_exec = get_varint(c);
		e->cur_trigger = get_varint(c);
		e->id_counter = get_varint(c);
		v = get_varint(c);
		e->init_hooks = v > UINT32_MAX ? UINT32_MAX : v;
		v = get_varint(c);
		e->stack_depth = v > UINT32_MAX ? UINT32_MAX : v;
		v = get_varint(c);
		if (v > NODE_MAX_STACK)
			return "id stack too deep";
		if (v > e->stack_depth)
			return "more id stack pairs than the stack is deep";
		e->npairs = v;
		for (uint32_t i = 0; i < 2 * e->npairs; i++)
			e->pairs[i] = get_varint(c);
	}
	return c->bad ? "event cut short" : NULL;
}

/* read_chunk: the file ends inside the chunk (a recorder killed mid-write) */
#define CHUNK_CUT READ_END

static int read_chunk(struct reader *r, uint64_t start, const struct event_sink *sink, uint8_t *raw,
		      uint8_t *z)
{
	uint8_t h[16];
	uint32_t raw_len, zlen, nevents;
	uLongf out_len;
	struct cursor c;
	int err;

	if ((err = read_bytes(r, h, sizeof(h), "chunk", true)))
		return err;
	raw_len = get_u32(h);
	zlen = get_u32(h + 4);
	nevents = get_u32(h + 8);
	if (raw_len > CAPTURE_MAX_CHUNK || zlen > CAPTURE_MAX_CHUNK)
		return fail(r, start, "chunk claims %u bytes (%u compressed): corrupt", raw_len,
			    zlen);
	if ((err = read_bytes(r, z, zlen, "chunk", true)))
		return err;
	if (get_u32(h + 12) != crc32(0, z, zlen))
		return fail(r, start, "chunk checksum mismatch (corrupt)");
	out_len = raw_len;
	if (uncompress(raw, &out_len, z, zlen) != Z_OK || out_len != raw_len)
		return fail(r, start, "chunk does not decompress (corrupt)");
	c = (struct cursor){raw, raw + raw_len, false};
	for (uint32_t i = 0; i < nevents; i++) {
		uint64_t at = c.p - raw;
		struct event e;
		const char *why = decode_event(r, &c, &e);

		if (why)
			return fail(r, start, "chunk event %u (byte %llu of the chunk): %s", i,
				    (unsigned long long)at, why);
		if (sink->on_event(sink->ctx, &e)) {
			snprintf(r->err, r->err_cap, "stopped by the reader");
			return -ECANCELED;
		}
	}
	if (c.p != c.end)
		return fail(r, start, "chunk has %llu bytes after its %u events",
			    (unsigned long long)(c.end - c.p), nevents);
	return 0;
}

int capture_read(FILE *in, const struct event_sink *sink, struct capture_meta *meta,
		 struct capture_summary *summary, char *err, size_t err_cap)
{
	struct reader r = {.in = in, .err = err, .err_cap = err_cap};
	uint8_t magic[8], ver[4];
	uint8_t *raw = NULL, *z = NULL;
	int ret;

	memset(meta, 0, sizeof(*meta));
	memset(summary, 0, sizeof(*summary));
	err[0] = '\0';
	ret = read_exact(&r, magic, 8, "header");
	if (ret > 0 || (!ret && !capture_is_asr(magic, 8))) {
		ret = fail(&r, 0, "not an asyncscope capture (bad magic)");
		goto out;
	}
	if (ret)
		goto out;
	if ((ret = read_exact(&r, ver, 4, "header"))) {
		ret = ret > 0 ? fail(&r, r.off, "header cut short") : ret;
		goto out;
	}
	meta->version = get_u16(ver);
	if (meta->version < CAPTURE_VERSION_MIN || meta->version > CAPTURE_VERSION) {
		ret = fail(&r, 8,
			   "capture format version %u; this asyncscope reads versions %d to %d",
			   meta->version, CAPTURE_VERSION_MIN, CAPTURE_VERSION);
		goto out;
	}
	/* header fields follow magic (8), version (4) and length (4) */
	if ((ret = read_section(&r, 0, 16, "header", meta, NULL)))
		goto out;
	raw = malloc(CAPTURE_MAX_CHUNK);
	z = malloc(CAPTURE_MAX_CHUNK);
	if (!raw || !z) {
		ret = fail(&r, r.off, "out of memory");
		goto out;
	}
	for (;;) {
		uint64_t start = r.off;

		ret = read_exact(&r, magic, 4, "section");
		if (ret > 0) {
			/* cut between chunks: the events so far are whole */
			snprintf(err, err_cap,
				 "offset %llu: no trailer: the recording did not finish, events "
				 "up to here are complete",
				 (unsigned long long)start);
			ret = 0;
			break;
		}
		if (ret)
			break;
		if (!memcmp(magic, CAPTURE_CHUNK_MAGIC, 4)) {
			ret = read_chunk(&r, start, sink, raw, z);
			if (ret == CHUNK_CUT) {
				/* its events cannot be checked: dropped whole */
				snprintf(
					err, err_cap,
					"offset %llu: cut short inside a chunk (file ends at "
					"%llu): "
					"the recording did not finish, events before the chunk are "
					"complete",
					(unsigned long long)start, (unsigned long long)r.off);
				ret = 0;
				break;
			}
			if (ret)
				break;
		} else if (!memcmp(magic, CAPTURE_TRAILER_MAGIC, 4)) {
			ret = read_section(&r, start, start + 8, "trailer", meta, summary);
			if (!ret && fgetc(in) != EOF)
				ret = fail(&r, r.off, "data after the trailer");
			break;
		} else {
			ret = fail(&r, start, "unknown section (corrupt)");
			break;
		}
	}
out:
	free(raw);
	free(z);
	free(r.strs);
	free(r.threads);
	return ret;
}
