// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "model/ci_budget.h"

bool ci_metric_is_time(const char *name)
{
	static const char *const prefixes[] = {"p50.", "p95.", "p99.", "max.", "total."};

	if (!strcmp(name, "max_callback"))
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* "5", "2.5ms", "300us" -> a count or ns; false if malformed. */
static bool parse_amount(const char *s, uint64_t *out, bool *is_time)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
	char *end;
	double v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v < 0 || v > 1e18)
		return false;
	*is_time = false;
	if (*end) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(end, units[i].unit))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return false;
		v *= units[i].ns;
		*is_time = true;
	} else if (v != (double)(uint64_t)v) {
		return false; /* a count is whole */
	}
	*out = (uint64_t)(v + 0.5);
	return true;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_rule(char *line, struct ci_rule *r, const char **why)
{
	char *colon = strchr(line, ':'), *key, *limit;
	bool is_time;

	if (!colon)
		return *why = "expected 'metric: limit' (e.g. count.FSREQCALLBACK: +5%)", -1;
	*colon = '\0';
	key = trim(line);
	limit = trim(colon + 1);
	if (!*key)
		return *why = "no metric name before ':'", -1;
	if (strlen(key) >= sizeof(r->pattern))
		return *why = "metric name too long", -1;
	if (!*limit)
		return *why = "no limit after ':' (e.g. +5%, +2ms, 0, 50ms)", -1;
	if (strlen(limit) >= sizeof(r->text))
		return *why = "limit too long", -1;
	snprintf(r->pattern, sizeof(r->pattern), "%s", key);
	snprintf(r->text, sizeof(r->text), "%s", limit);
	if (*limit == '+') {
		size_t len = strlen(++limit);

		if (len && limit[len - 1] == '%') {
			char *end;

			limit[len - 1] = '\0';
			errno = 0;
			r->pct = strtod(limit, &end);
			if (!isdigit((unsigned char)*limit) || *end || errno || r->pct < 0 ||
			    r->pct > 1e9)
				return *why = "bad percentage (e.g. +5%)", -1;
			r->kind = RULE_RELATIVE_PCT;
			return 0;
		}
		if (!parse_amount(limit, &r->amount, &is_time))
			return *why = "bad limit: a number with an optional unit ns, us, ms or s",
			       -1;
		r->kind = RULE_RELATIVE_ABS;
		r->has_unit = is_time;
		return 0;
	}
	if (!parse_amount(limit, &r->amount, &is_time))
		return *why = "bad limit: +N%, +N, or N, with an optional unit ns, us, ms or s", -1;
	r->kind = RULE_CAP;
	return 0;
}

/* A control byte (not whitespace) on a line: a binary file, not a budget. */
static int control_byte(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = line[i];

		if ((c < 0x20 && !isspace(c)) || c == 0x7f)
			return c;
	}
	return -1;
}

int ci_budget_parse(FILE *in, const char *name, struct ci_budget *b, char *err, size_t err_cap)
{
	char *line = NULL;
	size_t cap = 0, rcap = 0;
	unsigned int lineno = 0;
	bool commented = false;
	ssize_t len;
	int ret = 0, c;

	memset(b, 0, sizeof(*b));
	while ((len = getline(&line, &cap, in)) != -1) {
		char *hash, *s;
		const char *why = NULL;
		struct ci_rule r = {0};

		lineno++;
		if ((c = control_byte(line, len)) >= 0) {
			snprintf(err, err_cap,
				 "%s:%u: binary data (byte 0x%02x): not a budget file", name,
				 lineno, c);
			ret = -EINVAL;
			break;
		}
		hash = strchr(line, '#');
		if (hash) {
			*hash = '\0';
			commented = true;
		}
		s = trim(line);
		if (!*s)
			continue;
		if (parse_rule(s, &r, &why)) {
			snprintf(err, err_cap, "%s:%u: %s", name, lineno, why);
			ret = -EINVAL;
			break;
		}
		r.line = lineno;
		if (array_grow((void **)&b->rules, &rcap, b->n + 1, sizeof(r))) {
			ret = -ENOMEM;
			snprintf(err, err_cap, "%s: out of memory", name);
			break;
		}
		b->rules[b->n++] = r;
	}
	/* a directory opens but does not read (EISDIR): not an empty budget */
	if (!ret && ferror(in)) {
		snprintf(err, err_cap, "cannot read %s: %s", name, strerror(errno));
		ret = -EIO;
	} else if (!ret && !b->n && !commented) {
		/* a wrong or truncated file must not open the gate */
		snprintf(err, err_cap, "%s: %s: a budget without rules would pass anything", name,
			 lineno ? "no rules, only blank lines" : "empty");
		ret = -EINVAL;
	}
	free(line);
	if (ret)
		ci_budget_free(b);
	return ret;
}

void ci_budget_free(struct ci_budget *b)
{
	free(b->rules);
	memset(b, 0, sizeof(*b));
}

static uint64_t limit_of(const struct ci_rule *r, uint64_t base)
{
	switch (r->kind) {
	case RULE_RELATIVE_PCT: {
		/* long double: exact for every uint64 base; a hair of slack so a
		 * head exactly at the budget passes; clamped, not wrapped */
		long double v = (long double)base * (1.0L + (long double)r->pct / 100.0L);

		v += v * 1e-15L;
		return v >= 18446744073709551615.0L ? UINT64_MAX : (uint64_t)v;
	}
	case RULE_RELATIVE_ABS:
		return base > UINT64_MAX - r->amount ? UINT64_MAX : base + r->amount;
	default:
		return r->amount;
	}
}

static int push(struct ci_result *r, size_t *cap, const struct ci_check *c)
{
	if (array_grow((void **)&r->checks, cap, r->n + 1, sizeof(*c)))
		return -ENOMEM;
	r->checks[r->n++] = *c;
	return 0;
}

/* |head - base| / base, with a new or vanished metric as the largest change */
static double rel_change(const struct ci_check *c)
{
	if (!c->in_base || !c->in_head || !c->base)
		return 1e300;
	return c->head > c->base ? (double)(c->head - c->base) / c->base :
				   (double)(c->base - c->head) / c->base;
}

/*
 * Budget checks first, failed ones first; then changes without a rule:
 * counts (deterministic, so any change means something) before times, each
 * by the size of the change.
 */
static int cmp_check(const void *a, const void *b)
{
	const struct ci_check *x = a, *y = b;
	bool xt = ci_metric_is_time(x->metric), yt = ci_metric_is_time(y->metric);
	double dx, dy;
	int cmp;

	if (!!x->rule != !!y->rule)
		return x->rule ? -1 : 1;
	if (x->ok != y->ok)
		return x->ok ? 1 : -1;
	if (!x->rule && xt != yt)
		return xt ? 1 : -1;
	dx = rel_change(x);
	dy = rel_change(y);
	if (!x->rule && dx != dy)
		return dx > dy ? -1 : 1;
	cmp = strcmp(x->metric, y->metric);
	if (cmp || !x->rule)
		return cmp;
	/* one metric under two rules: in the budget's order, whatever qsort does */
	return x->rule->line < y->rule->line ? -1 : x->rule->line > y->rule->line;
}

/* One metric (bv or hv NULL when only one side has it): a check for each
 * rule that matches it, or one change without a rule. 0 or -ENOMEM. */
static int check_metric(const struct ci_value *bv, const struct ci_value *hv, struct ci_budget *b,
			struct ci_result *r, size_t *cap)
{
	const char *name = bv ? bv->name : hv->name;
	struct ci_check c = {
		.metric = name,
		.base = bv ? bv->value : 0,
		.head = hv ? hv->value : 0,
		.in_base = bv != NULL,
		.in_head = hv != NULL,
		.ok = true,
	};
	bool ruled = false;
	int err = 0;

	for (size_t k = 0; k < b->n && !err; k++) {
		struct ci_rule *rule = &b->rules[k];

		if (fnmatch(rule->pattern, name, 0))
			continue;
		/* "+2ms" is for times only: not read as 2,000,000 of a count */
		if (rule->has_unit && !ci_metric_is_time(name))
			continue;
		rule->matched++;
		ruled = true;
		c.rule = rule;
		c.limit = limit_of(rule, c.base);
		c.ok = c.head <= c.limit;
		r->nbudget++;
		r->nfailed += !c.ok;
		err = push(r, cap, &c);
	}
	if (!ruled && c.base != c.head) {
		c.rule = NULL;
		c.ok = true;
		err = err ?: push(r, cap, &c);
	}
	return err;
}

int ci_compare(const struct ci_summary *base, const struct ci_summary *head, struct ci_budget *b,
	       struct ci_result *r)
{
	const struct ci_values *bm = &base->metrics, *hm = &head->metrics;
	size_t i = 0, j = 0, cap = 0;
	int err = 0;

	memset(r, 0, sizeof(*r));
	/* both sorted by name: one merge walk meets every name once */
	while ((i < bm->n || j < hm->n) && !err) {
		const struct ci_value *bv = i < bm->n ? &bm->v[i] : NULL;
		const struct ci_value *hv = j < hm->n ? &hm->v[j] : NULL;
		int cmp = !bv ? 1 : !hv ? -1 : strcmp(bv->name, hv->name);

		if (cmp > 0)
			bv = NULL; /* only in head */
		else if (cmp < 0)
			hv = NULL; /* only in base */
		i += bv != NULL;
		j += hv != NULL;
		err = check_metric(bv, hv, b, r, &cap);
	}
	if (err) {
		ci_result_free(r);
		return err;
	}
	if (r->n)
		qsort(r->checks, r->n, sizeof(*r->checks), cmp_check);
	return 0;
}

void ci_result_free(struct ci_result *r)
{
	free(r->checks);
	memset(r, 0, sizeof(*r));
}
