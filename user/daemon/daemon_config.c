// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon_config.h"
#include "lib/parse_size.h"

void daemon_config_defaults(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "%s", DAEMON_DEFAULT_LISTEN);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", DAEMON_DEFAULT_STATE_DIR);
	c->capture_budget = DAEMON_DEFAULT_CAPTURE_BUDGET;
	c->capture_file_size = DAEMON_DEFAULT_CAPTURE_FILE_SIZE;
	c->mode = DAEMON_SAMPLED;
	c->sample_window_ns = DAEMON_DEFAULT_SAMPLE_WINDOW;
	c->sample_period_ns = DAEMON_DEFAULT_SAMPLE_PERIOD;
	c->exit_linger_ns = DAEMON_DEFAULT_EXIT_LINGER;
}

int daemon_config_parse_mode(const char *s, enum daemon_mode *out)
{
	if (!strcmp(s, "sampled"))
		*out = DAEMON_SAMPLED;
	else if (!strcmp(s, "exact"))
		*out = DAEMON_EXACT;
	else
		return -EINVAL;
	return 0;
}

const char *daemon_mode_name(enum daemon_mode m)
{
	return m == DAEMON_EXACT ? "exact" : "sampled";
}

static void list_free(char ***list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

void daemon_config_free(struct daemon_config *c)
{
	if (!c)
		return;
	list_free(&c->include_exe, &c->ninclude_exe);
	list_free(&c->exclude_exe, &c->nexclude_exe);
	list_free(&c->include_cgroup, &c->ninclude_cgroup);
	list_free(&c->exclude_cgroup, &c->nexclude_cgroup);
}

static int list_add(char ***list, size_t *n, const char *v)
{
	char *dup = strdup(v);
	char **p;

	if (!dup)
		return -ENOMEM;
	/* a few globs at most: growing one by one is cheap enough */
	p = realloc(*list, (*n + 1) * sizeof(*p));
	if (!p) {
		free(dup);
		return -ENOMEM;
	}
	p[(*n)++] = dup;
	*list = p;
	return 0;
}

int daemon_config_parse_listen(const char *s, struct sockaddr_in *out)
{
	struct sockaddr_in sin = {0};
	char addr[INET_ADDRSTRLEN];
	const char *colon = s ? strrchr(s, ':') : NULL, *p;
	unsigned long port = 0;
	size_t alen;

	if (!colon)
		return -EINVAL;
	alen = colon - s;
	if (!alen || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	/* AF_INET inet_pton takes exactly a dotted quad: no hostnames, no "1.2" */
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -EINVAL;
	p = colon + 1;
	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		port = port * 10 + (*p - '0');
		if (port > 65535)
			return -EINVAL;
	}
	/* port 0 would pick a random port nobody can be told to scrape */
	if (!port)
		return -EINVAL;
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (out)
		*out = sin;
	return 0;
}

/* "250ms", "20s", "1m" (or "0") -> ns; false if malformed or over an hour. */
static bool parse_duration(const char *s, uint64_t *out)
{
	uint64_t v = 0, unit;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > DAEMON_MAX_DURATION / DAEMON_NS_PER_MS)
			return false;
	}
	if (!strcmp(s, "ms"))
		unit = DAEMON_NS_PER_MS;
	else if (!strcmp(s, "s"))
		unit = 1000 * DAEMON_NS_PER_MS;
	else if (!strcmp(s, "m"))
		unit = 60000 * DAEMON_NS_PER_MS;
	else if (!*s && !v)
		unit = 0; /* a bare 0 needs no unit */
	else
		return false;
	if (unit && v > DAEMON_MAX_DURATION / unit)
		return false;
	*out = v * unit;
	return true;
}

/* The shortest exact form, as parse_duration reads it: 250ms, 20s, 1m. */
static const char *format_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t ms = ns / DAEMON_NS_PER_MS;

	if (!ms)
		snprintf(buf, len, "0");
	else if (!(ms % 60000))
		snprintf(buf, len, "%llum", (unsigned long long)(ms / 60000));
	else if (!(ms % 1000))
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	return buf;
}

/* The shortest exact form, as written in a config file: 16M, 65537. */
static const char *format_size(uint64_t v, char *buf, size_t len)
{
	static const struct {
		char suffix;
		int shift;
	} units[] = {{'G', 30}, {'M', 20}, {'K', 10}};

	for (size_t i = 0; v && i < sizeof(units) / sizeof(units[0]); i++) {
		if (!(v & ((1ULL << units[i].shift) - 1))) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v >> units[i].shift),
				 units[i].suffix);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

static char *trim(char *s)
{
	char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		*--e = '\0';
	return s;
}

/*
 * The value after '=', in place: unquoted up to a '#' that follows
 * whitespace, or double-quoted with \" and \\. NULL with *why on error.
 */
static char *parse_value(char *v, const char **why)
{
	char *start = v, *r, *w;

	while (is_blank(*v))
		v++;
	if (*v != '"') {
		/* only a '#' after whitespace starts a comment: "key=#1" keeps it */
		for (char *p = v; *p; p++) {
			if (*p == '#' && (p == v ? v > start : is_blank(p[-1]))) {
				*p = '\0';
				break;
			}
		}
		return trim(v);
	}
	for (r = w = ++v; *r != '"'; r++) {
		if (!*r)
			return *why = "unterminated quoted value", NULL;
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r;
	}
	for (r++; is_blank(*r); r++)
		;
	if (*r && *r != '#')
		return *why = "text after the closing quote", NULL;
	*w = '\0';
	return v;
}

struct loader {
	struct daemon_config *c;
	unsigned int budget_line, file_size_line; /* 0: default kept */
	unsigned int window_line, period_line;
};

static int apply(struct loader *l, unsigned int lineno, const char *key, const char *value,
		 char *why, size_t whylen)
{
	struct daemon_config *c = l->c;
	uint64_t size;

	if (!strcmp(key, "listen")) {
		if (strlen(value) >= sizeof(c->listen) || daemon_config_parse_listen(value, NULL))
			return snprintf(why, whylen,
					"listen: expected an IPv4 address and a port 1..65535 "
					"(e.g. 127.0.0.1:9464), not '%s'",
					value),
			       -EINVAL;
		snprintf(c->listen, sizeof(c->listen), "%s", value);
	} else if (!strcmp(key, "state_dir")) {
		if (value[0] != '/')
			return snprintf(why, whylen, "state_dir must be an absolute path"), -EINVAL;
		if (strlen(value) >= sizeof(c->state_dir))
			return snprintf(why, whylen, "state_dir is too long"), -EINVAL;
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", value);
	} else if (!strcmp(key, "capture_budget") || !strcmp(key, "capture_file_size")) {
		bool budget = !strcmp(key, "capture_budget");

		if (parse_size(value, &size))
			return snprintf(why, whylen,
					"%s: expected a byte count with an optional K, M or G "
					"suffix (e.g. 16M), not '%s'",
					key, value),
			       -EINVAL;
		if (budget) {
			c->capture_budget = size;
			l->budget_line = lineno;
		} else {
			/* smaller files would rotate on every few chunks */
			if (size < DAEMON_MIN_CAPTURE_FILE_SIZE)
				return snprintf(why, whylen,
						"capture_file_size must be at least 64K"),
				       -EINVAL;
			c->capture_file_size = size;
			l->file_size_line = lineno;
		}
	} else if (!strcmp(key, "mode")) {
		if (daemon_config_parse_mode(value, &c->mode))
			return snprintf(why, whylen, "mode: expected sampled or exact, not '%s'",
					value),
			       -EINVAL;
	} else if (!strcmp(key, "sample_window") || !strcmp(key, "sample_period") ||
		   !strcmp(key, "exit_linger")) {
		uint64_t ns;

		if (!parse_duration(value, &ns))
			return snprintf(why, whylen,
					"%s: expected a duration in ms, s or m up to 1 hour "
					"(e.g. 250ms, 20s), not '%s'",
					key, value),
			       -EINVAL;
		if (!strcmp(key, "exit_linger")) {
			c->exit_linger_ns = ns;
		} else if (!strcmp(key, "sample_window")) {
			if (ns < DAEMON_MIN_SAMPLE_WINDOW)
				return snprintf(why, whylen, "sample_window must be at least 10ms"),
				       -EINVAL;
			c->sample_window_ns = ns;
			l->window_line = lineno;
		} else {
			c->sample_period_ns = ns;
			l->period_line = lineno;
		}
	} else if (!strcmp(key, "metrics_pid_label")) {
		if (strcmp(value, "on") && strcmp(value, "off"))
			return snprintf(why, whylen,
					"metrics_pid_label: expected on or off, not '%s'", value),
			       -EINVAL;
		c->metrics_pid_label = !strcmp(value, "on");
	} else if (!strcmp(key, "include_exe")) {
		return list_add(&c->include_exe, &c->ninclude_exe, value);
	} else if (!strcmp(key, "exclude_exe")) {
		return list_add(&c->exclude_exe, &c->nexclude_exe, value);
	} else if (!strcmp(key, "include_cgroup")) {
		return list_add(&c->include_cgroup, &c->ninclude_cgroup, value);
	} else if (!strcmp(key, "exclude_cgroup")) {
		return list_add(&c->exclude_cgroup, &c->nexclude_cgroup, value);
	} else {
		return snprintf(why, whylen,
				"unknown key '%s' (known: listen, state_dir, capture_budget, "
				"capture_file_size, include_exe, exclude_exe, include_cgroup, "
				"exclude_cgroup, mode, sample_window, sample_period, exit_linger, "
				"metrics_pid_label)",
				key),
		       -EINVAL;
	}
	return 0;
}

/* One line; 0 for a setting, comment or blank line, else -EINVAL/-ENOMEM with why. */
static int parse_line(struct loader *l, unsigned int lineno, char *line, char *why, size_t whylen)
{
	char *s = line, *eq, *key, *value;
	const char *what = NULL;
	int ret;

	while (is_blank(*s))
		s++;
	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return snprintf(why, whylen, "expected 'key = value'"), -EINVAL;
	*eq = '\0';
	key = trim(s);
	if (!*key)
		return snprintf(why, whylen, "no key before '='"), -EINVAL;
	for (const char *p = key; *p; p++)
		if (is_blank(*p) || *p == '#' || *p == '"')
			return snprintf(why, whylen, "expected 'key = value'"), -EINVAL;
	value = parse_value(eq + 1, &what);
	if (!value)
		return snprintf(why, whylen, "%s", what), -EINVAL;
	if (!*value)
		return snprintf(why, whylen, "no value for '%s'", key), -EINVAL;
	ret = apply(l, lineno, key, value, why, whylen);
	if (ret == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	return ret;
}

int daemon_config_load(const char *path, struct daemon_config *c, char *err, size_t errlen)
{
	struct daemon_config tmp;
	struct loader l = {.c = &tmp};
	char *line = NULL, why[512];
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int ret = 0;

	daemon_config_defaults(&tmp);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if ((size_t)n != strlen(line)) {
			snprintf(err, errlen, "%s:%u: NUL byte in the line", path, lineno);
			ret = -EINVAL;
			goto cleanup;
		}
		ret = parse_line(&l, lineno, line, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto cleanup;
		}
	}
	if (ferror(f)) {
		/* getline sets errno on a read error (EISDIR for a directory) */
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (tmp.capture_file_size > tmp.capture_budget) {
		char fs[32], b[32];

		/* blame the later of the two lines, or the only one given */
		lineno = l.budget_line > l.file_size_line ? l.budget_line : l.file_size_line;
		snprintf(err, errlen,
			 "%s:%u: capture_file_size (%s) is larger than capture_budget (%s)", path,
			 lineno, format_size(tmp.capture_file_size, fs, sizeof(fs)),
			 format_size(tmp.capture_budget, b, sizeof(b)));
		ret = -EINVAL;
		goto cleanup;
	}
	if (tmp.sample_window_ns >= tmp.sample_period_ns) {
		char w[32], p[32];

		lineno = l.window_line > l.period_line ? l.window_line : l.period_line;
		snprintf(err, errlen,
			 "%s:%u: sample_window (%s) must be shorter than sample_period (%s)", path,
			 lineno, format_duration(tmp.sample_window_ns, w, sizeof(w)),
			 format_duration(tmp.sample_period_ns, p, sizeof(p)));
		ret = -EINVAL;
		goto cleanup;
	}
	daemon_config_free(c);
	*c = tmp;
	tmp = (struct daemon_config){0};
cleanup:
	daemon_config_free(&tmp);
	free(line);
	fclose(f);
	return ret;
}

static bool any_match(char *const *globs, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(globs[i], s, 0))
			return true;
	return false;
}

static bool wanted(char *const *inc, size_t ninc, char *const *exc, size_t nexc, const char *s)
{
	bool known = s && *s;

	if (known && any_match(exc, nexc, s))
		return false;
	return !ninc || (known && any_match(inc, ninc, s));
}

bool daemon_config_wants(const struct daemon_config *c, const char *exe, const char *cgroup)
{
	return wanted(c->include_exe, c->ninclude_exe, c->exclude_exe, c->nexclude_exe, exe) &&
	       wanted(c->include_cgroup, c->ninclude_cgroup, c->exclude_cgroup, c->nexclude_cgroup,
		      cgroup);
}

/* Quoted only when read back unquoted it would differ. */
static void print_value(FILE *out, const char *key, const char *v)
{
	size_t len = strlen(v);
	bool quote =
		!len || v[0] == '"' || is_blank(v[0]) || is_blank(v[len - 1]) || strchr(v, '#');

	fprintf(out, "%s = ", key);
	if (!quote) {
		fprintf(out, "%s\n", v);
		return;
	}
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', out);
		fputc(*v, out);
	}
	fputs("\"\n", out);
}

static void print_list(FILE *out, const char *key, char *const *list, size_t n, const char *none)
{
	if (!n)
		fprintf(out, "# %s: none, %s\n", key, none);
	for (size_t i = 0; i < n; i++)
		print_value(out, key, list[i]);
}

void daemon_config_print(const struct daemon_config *c, FILE *out)
{
	char buf[32];

	fputs("# asyncscope daemon configuration in effect\n", out);
	print_value(out, "listen", c->listen);
	print_value(out, "state_dir", c->state_dir);
	fprintf(out, "capture_budget = %s\n", format_size(c->capture_budget, buf, sizeof(buf)));
	fprintf(out, "capture_file_size = %s\n",
		format_size(c->capture_file_size, buf, sizeof(buf)));
	fprintf(out, "mode = %s\n", daemon_mode_name(c->mode));
	if (c->mode == DAEMON_EXACT)
		fputs("# sample_window, sample_period: not used in exact mode\n", out);
	fprintf(out, "sample_window = %s\n",
		format_duration(c->sample_window_ns, buf, sizeof(buf)));
	fprintf(out, "sample_period = %s\n",
		format_duration(c->sample_period_ns, buf, sizeof(buf)));
	fprintf(out, "exit_linger = %s\n", format_duration(c->exit_linger_ns, buf, sizeof(buf)));
	fprintf(out, "metrics_pid_label = %s\n", c->metrics_pid_label ? "on" : "off");
	print_list(out, "include_exe", c->include_exe, c->ninclude_exe, "every executable");
	print_list(out, "exclude_exe", c->exclude_exe, c->nexclude_exe, "no executable left out");
	print_list(out, "include_cgroup", c->include_cgroup, c->ninclude_cgroup, "every cgroup");
	print_list(out, "exclude_cgroup", c->exclude_cgroup, c->nexclude_cgroup,
		   "no cgroup left out");
}
