// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_writer.h"
#include "lib/json_string.h"
#include "event/jsonl.h"

void jsonl_write_event(FILE *out, const struct event *e)
{
	fprintf(out,
		"{\"ts\":%" PRIu64 ",\"pid\":%u,\"tid\":%u,\"event\":\"%s\",\"id\":%" PRIu64
		",\"layer\":\"%s\"",
		e->ts_ns, e->pid, e->tid, ev_kind_name(e->kind), e->id, ev_layer_name(e->layer));
	if (e->kind == EV_INIT) {
		fputs(",\"type\":", out);
		json_write_escaped(out, e->type ? e->type : "");
		fprintf(out, ",\"trigger\":%" PRIu64 ",\"exec\":%" PRIu64, e->trigger, e->exec);
	}
	if (e->kind == EV_REJECTION) {
		/* unhandled: when it was rejected; handled late: when the handler came */
		fprintf(out,
			",\"kind\":\"%s\",\"exec\":%" PRIu64 ",\"trigger\":%" PRIu64
			",\"%s\":%" PRIu64 ",\"promise\":\"0x%" PRIx64 "\"",
			rejection_kind_name(e->rejection) ?: "?", e->exec, e->trigger,
			e->rejection == REJECTION_HANDLED_LATE ? "handled" : "rejected",
			e->begin_ns, e->obj);
		if (e->type) {
			fputs(",\"type\":", out);
			json_write_escaped(out, e->type);
		}
		if (e->path) {
			fputs(",\"path\":", out);
			json_write_escaped(out, e->path);
		}
	}
	if (e->kind == EV_MICROTASKS)
		fprintf(out, ",\"count\":%" PRIu64 ",\"begin\":%" PRIu64, e->count, e->begin_ns);
	if (e->caller)
		fprintf(out, ",\"caller\":\"0x%" PRIx64 "\"", e->caller);
	if (e->caller_fn) {
		fputs(",\"caller_fn\":", out);
		json_write_escaped(out, e->caller_fn);
	}
	if (e->js_stack)
		fprintf(out, ",\"js_stack\":%s", e->js_stack);
	if (e->has_stack) {
		fprintf(out,
			",\"stack\":{\"exec\":%" PRIu64 ",\"trigger\":%" PRIu64
			",\"depth\":%u,\"pairs\":[",
			e->cur_exec, e->cur_trigger, e->stack_depth);
		for (uint32_t i = 0; i < e->npairs; i++)
			fprintf(out, "%s[%" PRIu64 ",%" PRIu64 "]", i ? "," : "", e->pairs[2 * i],
				e->pairs[2 * i + 1]);
		fputs("]}", out);
	}
	if (e->layer == LAYER_UV && e->kind == EV_INIT) {
		fprintf(out, ",\"obj\":\"0x%" PRIx64 "\"", e->obj);
		if (e->link_id)
			fprintf(out, ",\"wrap\":%" PRIu64, e->link_id);
		if (e->flags & EVF_LATE)
			fputs(",\"late_probe\":true", out);
		if (e->flags & EVF_INTERNAL)
			fputs(",\"internal\":true", out);
		if (e->flags & EVF_ADOPTED)
			fputs(",\"before_attach\":true", out);
	}
	if (e->flags & EVF_RESET)
		fputs(",\"reset\":true", out);
	if (e->flags & EVF_UNMATCHED)
		fputs(",\"unmatched\":true", out);
	if (e->flags & EVF_AT_EXIT)
		fputs(",\"at_exit\":true", out);
	if ((e->flags & EVF_INFERRED) && e->kind == EV_INIT)
		fputs(",\"type_inferred\":true", out);
	if ((e->flags & EVF_INFERRED) && e->kind != EV_INIT)
		fputs(",\"sampled\":true", out);
	fputs("}\n", out);
}

void jsonl_write_summary(FILE *out, const struct capture_summary *s)
{
	fprintf(out, "{\"event\":\"summary\",\"events\":%" PRIu64, s->events);
	for (int k = EV_NONE + 1; k < EV_KIND_COUNT; k++)
		fprintf(out, ",\"%s\":%" PRIu64, ev_kind_name(k), s->counts[k]);
	for (int i = 0; i < nsummary_fields; i++)
		fprintf(out, ",\"%s\":%" PRIu64, summary_fields[i].name,
			*summary_value((struct capture_summary *)s, &summary_fields[i]));
	fputs("}\n", out);
}

/* ---- reading ------------------------------------------------------------ */

#define MAX_FIELDS 32

struct field {
	char key[32];
	char str[1024]; /* string value, unescaped (C++ symbols run long) */
	uint64_t num;
	const char *nested; /* an object or array: where it starts in the line */
	bool is_str, is_num, is_bool, bval;
};

struct line_parser {
	const char *p;
	const char *why;
};

static void skip_ws(struct line_parser *lp)
{
	while (*lp->p == ' ' || *lp->p == '\t' || *lp->p == '\r')
		lp->p++;
}

static int parse_string(struct line_parser *lp, char *out, size_t cap)
{
	const char *next = json_read_string(lp->p, NULL, out, cap, &lp->why);

	if (!next)
		return -1;
	lp->p = next;
	return 0;
}

/* Skips a nested object or array we do not interpret. */
static int skip_nested(struct line_parser *lp)
{
	int depth = 0;

	do {
		char c = *lp->p;

		if (!c)
			return lp->why = "unterminated object or array", -1;
		if (c == '"') {
			char tmp[2];

			if (parse_string(lp, tmp, sizeof(tmp)))
				return -1;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		lp->p++;
	} while (depth > 0);
	return 0;
}

static int parse_value(struct line_parser *lp, struct field *f)
{
	skip_ws(lp);
	if (*lp->p == '"') {
		f->is_str = true;
		return parse_string(lp, f->str, sizeof(f->str));
	}
	if (*lp->p == '{' || *lp->p == '[') {
		f->nested = lp->p;
		return skip_nested(lp);
	}
	if (!strncmp(lp->p, "true", 4) || !strncmp(lp->p, "false", 5)) {
		f->is_bool = true;
		f->bval = *lp->p == 't';
		lp->p += f->bval ? 4 : 5;
		return 0;
	}
	if (!strncmp(lp->p, "null", 4)) {
		lp->p += 4;
		return 0;
	}
	if (*lp->p == '-' || (*lp->p >= '0' && *lp->p <= '9')) {
		char *end;

		errno = 0;
		if (*lp->p == '-') {
			strtod(lp->p, &end); /* negative numbers are accepted, not used */
		} else {
			f->num = strtoull(lp->p, &end, 10);
			if (*end == '.' || *end == 'e' || *end == 'E')
				strtod(lp->p, &end);
			else
				f->is_num = errno == 0;
		}
		lp->p = end;
		return 0;
	}
	return lp->why = "expected a value", -1;
}

static int parse_line(struct line_parser *lp, struct field *fields, int *nfields)
{
	*nfields = 0;
	skip_ws(lp);
	if (*lp->p != '{')
		return lp->why = "expected '{' at start of line", -1;
	lp->p++;
	skip_ws(lp);
	if (*lp->p == '}')
		goto end;
	for (;;) {
		struct field scratch, *f = *nfields < MAX_FIELDS ? &fields[*nfields] : &scratch;

		memset(f, 0, sizeof(*f));
		skip_ws(lp);
		if (parse_string(lp, f->key, sizeof(f->key)))
			return -1;
		skip_ws(lp);
		if (*lp->p != ':')
			return lp->why = "expected ':' after a key", -1;
		lp->p++;
		if (parse_value(lp, f))
			return -1;
		if (f != &scratch)
			(*nfields)++;
		skip_ws(lp);
		if (*lp->p == ',') {
			lp->p++;
			continue;
		}
		if (*lp->p == '}')
			break;
		if (!*lp->p || *lp->p == '\n')
			return lp->why = "unterminated object (truncated line?)", -1;
		return lp->why = "expected ',' or '}'", -1;
	}
end:
	lp->p++;
	skip_ws(lp);
	if (*lp->p && *lp->p != '\n')
		return lp->why = "trailing characters after the object", -1;
	return 0;
}

static const struct field *get(const struct field *f, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(f[i].key, key))
			return &f[i];
	return NULL;
}

static bool flag_set(const struct field *f, int n, const char *key)
{
	const struct field *v = get(f, n, key);

	return v && v->is_bool && v->bval;
}

/* "0x1f": the addresses are written as hex strings */
static bool get_hex(const struct field *f, int n, const char *key, uint64_t *out)
{
	const struct field *v = get(f, n, key);
	char *end;

	if (!v || !v->is_str || strncmp(v->str, "0x", 2))
		return false;
	errno = 0;
	*out = strtoull(v->str + 2, &end, 16);
	return !errno && end != v->str + 2 && !*end;
}

static bool take_char(const char **p, char c)
{
	while (**p == ' ')
		(*p)++;
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static bool take_u64(const char **p, uint64_t *out)
{
	char *end;

	while (**p == ' ')
		(*p)++;
	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*out = strtoull(*p, &end, 10);
	*p = end;
	return !errno;
}

/*
 * The id stack, exactly as jsonl_write_event writes it:
 * {"exec":E,"trigger":T,"depth":D,"pairs":[[e,t],...]}
 */
static int parse_stack(const char *p, struct event *e)
{
	static const char *const keys[] = {"\"exec\":", "\"trigger\":", "\"depth\":"};
	uint64_t v[3];

	if (!take_char(&p, '{'))
		return -1;
	for (int i = 0; i < 3; i++) {
		size_t len = strlen(keys[i]);

		if ((i && !take_char(&p, ',')) || strncmp(p, keys[i], len))
			return -1;
		p += len;
		if (!take_u64(&p, &v[i]))
			return -1;
	}
	if (v[2] > UINT32_MAX || !take_char(&p, ',') || strncmp(p, "\"pairs\":", 8))
		return -1;
	p += 8;
	e->cur_exec = v[0];
	e->cur_trigger = v[1];
	e->stack_depth = v[2];
	e->npairs = 0;
	if (!take_char(&p, '['))
		return -1;
	if (take_char(&p, ']')) {
		e->has_stack = true;
		return take_char(&p, '}') ? 0 : -1;
	}
	do {
		if (e->npairs >= NODE_MAX_STACK || !take_char(&p, '[') ||
		    !take_u64(&p, &e->pairs[2 * e->npairs]) || !take_char(&p, ',') ||
		    !take_u64(&p, &e->pairs[2 * e->npairs + 1]) || !take_char(&p, ']'))
			return -1;
		e->npairs++;
	} while (take_char(&p, ','));
	if (!take_char(&p, ']') || !take_char(&p, '}') || e->npairs > e->stack_depth)
		return -1;
	e->has_stack = true;
	return 0;
}

static void fill_summary(const struct field *f, int n, struct capture_summary *s)
{
	const struct field *v;

	s->seen = true;
	for (int k = EV_NONE + 1; k < EV_KIND_COUNT; k++)
		if ((v = get(f, n, ev_kind_name(k))) && v->is_num)
			s->counts[k] = v->num;
	if ((v = get(f, n, "events")) && v->is_num)
		s->events = v->num;
	for (int i = 0; i < nsummary_fields; i++)
		if ((v = get(f, n, summary_fields[i].name)) && v->is_num)
			*summary_value(s, &summary_fields[i]) = v->num;
}

/*
 * A line that opens an object and ends before closing it: any proper prefix
 * of a '{...}' line is one, so this is what a writer killed mid-line leaves.
 */
static bool unclosed_object(const char *p)
{
	bool in_str = false;
	int depth = 0;

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p != '{')
		return false;
	for (; *p && *p != '\n'; p++) {
		if (in_str) {
			if (*p == '\\' && p[1] && p[1] != '\n')
				p++;
			else if (*p == '"')
				in_str = false;
		} else if (*p == '"') {
			in_str = true;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if ((*p == '}' || *p == ']') && --depth == 0) {
			return false;
		}
	}
	return true;
}

/* The line just read is the file's last: no newline, or nothing after it. */
static bool last_line(FILE *in, const char *line, size_t len)
{
	int c;

	if (line[len - 1] != '\n')
		return true; /* getline() returns that only at the end */
	c = getc(in);
	if (c == EOF)
		return true;
	ungetc(c, in);
	return false;
}

int jsonl_read(FILE *in, const char *name, const struct event_sink *sink,
	       struct capture_summary *summary, char *err, size_t err_cap)
{
	static const char *const required[] = {"ts", "pid", "tid", "id"};
	struct field fields[MAX_FIELDS];
	size_t cap = 0;
	char *line = NULL;
	unsigned long lineno = 0;
	ssize_t len;
	int ret = 0;

	memset(summary, 0, sizeof(*summary));
	err[0] = '\0';
	while ((len = getline(&line, &cap, in)) >= 0) {
		struct line_parser lp = {.p = line};
		const struct field *v;
		struct event e = {0};
		int n;

		lineno++;
		if (len == 0 || line[0] == '\n')
			continue;
		if (memchr(line, '\0', len)) {
			snprintf(err, err_cap,
				 "%s:%lu: binary data (NUL byte): not a JSON Lines capture", name,
				 lineno);
			ret = -EBADMSG;
			break;
		}
		if (parse_line(&lp, fields, &n)) {
			if (unclosed_object(line) && last_line(in, line, len)) {
				/* like a .asr cut inside its last chunk: read up to the cut */
				snprintf(err, err_cap,
					 "line %lu cut short (the file ends inside it): the "
					 "recording did not finish, events before it are complete",
					 lineno);
				break;
			}
			snprintf(err, err_cap, "%s:%lu: %s (column %ld)", name, lineno, lp.why,
				 (long)(lp.p - line) + 1);
			ret = -EBADMSG;
			break;
		}
		v = get(fields, n, "event");
		if (!v || !v->is_str) {
			snprintf(err, err_cap, "%s:%lu: no \"event\" field", name, lineno);
			ret = -EBADMSG;
			break;
		}
		if (!strcmp(v->str, "summary")) {
			fill_summary(fields, n, summary);
			continue;
		}
		e.kind = ev_kind_from_name(v->str);
		if (e.kind == EV_NONE) {
			summary->unknown_records++;
			continue;
		}
		for (size_t r = 0; r < sizeof(required) / sizeof(required[0]); r++) {
			v = get(fields, n, required[r]);
			if (!v || !v->is_num) {
				snprintf(err, err_cap, "%s:%lu: missing or non-integer \"%s\"",
					 name, lineno, required[r]);
				ret = -EBADMSG;
				goto out;
			}
		}
		if (get(fields, n, "pid")->num > UINT32_MAX ||
		    get(fields, n, "tid")->num > UINT32_MAX) {
			snprintf(err, err_cap, "%s:%lu: \"pid\" or \"tid\" out of range", name,
				 lineno);
			ret = -EBADMSG;
			goto out;
		}
		e.ts_ns = get(fields, n, "ts")->num;
		e.pid = get(fields, n, "pid")->num;
		e.tid = get(fields, n, "tid")->num;
		e.id = get(fields, n, "id")->num;
		v = get(fields, n, "layer");
		e.layer = v && v->is_str ? ev_layer_from_name(v->str) : LAYER_NODE;
		if (!e.layer)
			e.layer = LAYER_NODE;
		if ((v = get(fields, n, "trigger")) && v->is_num)
			e.trigger = v->num;
		if ((v = get(fields, n, "exec")) && v->is_num)
			e.exec = v->num;
		if ((v = get(fields, n, "type")) && v->is_str)
			e.type = intern(v->str);
		if ((v = get(fields, n, "wrap")) && v->is_num)
			e.link_id = v->num;
		if ((v = get(fields, n, "count")) && v->is_num)
			e.count = v->num;
		if ((v = get(fields, n, "begin")) && v->is_num)
			e.begin_ns = v->num;
		if (e.kind == EV_REJECTION) {
			v = get(fields, n, "kind");
			e.rejection = v && v->is_str ? rejection_kind_from_name(v->str) : 0;
			if (!e.rejection) {
				snprintf(err, err_cap, "%s:%lu: rejection without a known \"kind\"",
					 name, lineno);
				ret = -EBADMSG;
				break;
			}
			if (((v = get(fields, n, "rejected")) || (v = get(fields, n, "handled"))) &&
			    v->is_num)
				e.begin_ns = v->num;
			get_hex(fields, n, "promise", &e.obj);
			if ((v = get(fields, n, "path")) && v->is_str)
				e.path = intern(v->str);
		}
		if (flag_set(fields, n, "internal"))
			e.flags |= EVF_INTERNAL;
		if (flag_set(fields, n, "late_probe"))
			e.flags |= EVF_LATE;
		if (flag_set(fields, n, "before_attach"))
			e.flags |= EVF_ADOPTED;
		get_hex(fields, n, "obj", &e.obj);
		get_hex(fields, n, "caller", &e.caller);
		if ((v = get(fields, n, "caller_fn")) && v->is_str)
			e.caller_fn = intern(v->str);
		if ((v = get(fields, n, "stack")) && v->nested && parse_stack(v->nested, &e)) {
			snprintf(err, err_cap, "%s:%lu: malformed \"stack\"", name, lineno);
			ret = -EBADMSG;
			break;
		}
		if (e.kind == EV_INIT && !e.type) {
			snprintf(err, err_cap, "%s:%lu: init without \"type\"", name, lineno);
			ret = -EBADMSG;
			break;
		}
		if (flag_set(fields, n, "reset"))
			e.flags |= EVF_RESET;
		if (flag_set(fields, n, "unmatched"))
			e.flags |= EVF_UNMATCHED;
		if (flag_set(fields, n, "at_exit"))
			e.flags |= EVF_AT_EXIT;
		if (((v = get(fields, n, "type_inferred")) || (v = get(fields, n, "sampled"))) &&
		    v->is_bool && v->bval)
			e.flags |= EVF_INFERRED;
		if ((ret = sink->on_event(sink->ctx, &e)))
			break;
	}
	if (!ret && ferror(in)) {
		snprintf(err, err_cap, "%s: read error: %s", name, strerror(errno));
		ret = -EIO;
	}
out:
	free(line);
	return ret;
}
