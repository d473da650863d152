// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <string.h>

#include "out/out_ci.h"
#include "out/out_tree.h"

static void format_value(char *buf, size_t cap, const char *metric, uint64_t v, bool present)
{
	if (!present)
		snprintf(buf, cap, "-");
	else if (ci_metric_is_time(metric))
		format_duration(buf, cap, v);
	else
		snprintf(buf, cap, "%" PRIu64, v);
}

static void format_change(char *buf, size_t cap, const struct ci_check *c)
{
	if (!c->in_base)
		snprintf(buf, cap, "new");
	else if (!c->in_head)
		snprintf(buf, cap, "gone");
	else if (c->base == c->head)
		snprintf(buf, cap, "=");
	else if (!c->base)
		snprintf(buf, cap, "+%" PRIu64, c->head);
	else
		snprintf(buf, cap, "%+.1f%%",
			 ((double)c->head - (double)c->base) * 100.0 / c->base);
}

static void format_rule(char *buf, size_t cap, const struct ci_check *c)
{
	char limit[32];

	if (!c->rule) {
		snprintf(buf, cap, "-");
		return;
	}
	format_value(limit, sizeof(limit), c->metric, c->limit, true);
	snprintf(buf, cap, "%s (<= %s)", c->rule->text, limit);
}

/* one check's cells, formatted */
struct row {
	char base[32], head[32], change[32], rule[128];
};

static void format_row(struct row *w, const struct ci_check *c)
{
	format_value(w->base, sizeof(w->base), c->metric, c->base, c->in_base);
	format_value(w->head, sizeof(w->head), c->metric, c->head, c->in_head);
	format_change(w->change, sizeof(w->change), c);
	format_rule(w->rule, sizeof(w->rule), c);
}

static const char *headline(const struct ci_report *r, char *buf, size_t cap)
{
	const struct ci_result *res = r->result;

	if (res->nfailed)
		snprintf(buf, cap, "%zu of %zu budget checks FAILED", res->nfailed, res->nbudget);
	else if (res->nbudget)
		snprintf(buf, cap, "all %zu budget checks passed", res->nbudget);
	else if (r->budget_name)
		snprintf(buf, cap, "no budget checks: no rule of the budget matched: changes only");
	else
		snprintf(buf, cap, "no budget given: changes only");
	return buf;
}

static size_t others_shown(const struct ci_report *r, size_t *nothers)
{
	const struct ci_result *res = r->result;

	*nothers = res->n - res->nbudget;
	return *nothers < r->max_other ? *nothers : r->max_other;
}

void ci_print_text(FILE *out, const struct ci_report *r)
{
	const struct ci_result *res = r->result;
	size_t nothers, show = others_shown(r, &nothers);
	char h[128];

	fprintf(out, "asyncscope ci compare: %s -> %s (%s, %" PRIu64 " vs %" PRIu64 " runs)\n",
		r->base_name, r->head_name,
		r->head->node_version[0] ? r->head->node_version : "libuv", r->base->runs,
		r->head->runs);
	fprintf(out, "%s\n", headline(r, h, sizeof(h)));
	if (res->nbudget) {
		fprintf(out, "\n  %-6s %-36s %10s %10s %9s  %s\n", "status", "metric", "base",
			"head", "change", "budget");
		for (size_t i = 0; i < res->nbudget; i++) {
			const struct ci_check *c = &res->checks[i];
			struct row w;

			format_row(&w, c);
			fprintf(out, "  %-6s %-36s %10s %10s %9s  %s, line %u\n",
				c->ok ? "ok" : "FAIL", c->metric, w.base, w.head, w.change, w.rule,
				c->rule->line);
		}
	}
	if (show) {
		fprintf(out, "\nOther changes (no budget rule), %zu of %zu:\n", show, nothers);
		for (size_t i = res->nbudget; i < res->nbudget + show; i++) {
			struct row w;

			format_row(&w, &res->checks[i]);
			fprintf(out, "  %-6s %-36s %10s %10s %9s\n", "", res->checks[i].metric,
				w.base, w.head, w.change);
		}
	}
	if (r->head->longest_ns) {
		char d[32];

		format_duration(d, sizeof(d), r->head->longest_ns);
		fprintf(out, "\nLongest callback in head: %s in %s <- %s\n", d,
			r->head->longest_type, r->head->longest_chain);
	}
}

/*
 * Text for a Markdown code span in a table cell: names come from the
 * summaries (a pull request's output), so nothing in them may end the span
 * or the cell or start HTML: '|' is escaped, '`', '<' and control
 * characters are replaced.
 */
static void md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '`' || *s == '<' || (unsigned char)*s < 0x20)
			fputc('?', out);
		else
			fputc(*s, out);
	}
}

void ci_print_markdown(FILE *out, const struct ci_report *r)
{
	const struct ci_result *res = r->result;
	size_t nothers, show = others_shown(r, &nothers);
	char h[128];

	fprintf(out, "### asyncscope: %s %s\n\n",
		res->nfailed ? ":x:" : ":white_check_mark:", headline(r, h, sizeof(h)));
	fprintf(out, "`%s` → `%s`, %s, %" PRIu64 " vs %" PRIu64 " runs\n\n", r->base_name,
		r->head_name, r->head->node_version[0] ? r->head->node_version : "libuv",
		r->base->runs, r->head->runs);
	if (res->nbudget) {
		fprintf(out, "| | metric | base | head | change | budget |\n");
		fprintf(out, "|---|---|---:|---:|---:|---|\n");
		for (size_t i = 0; i < res->nbudget; i++) {
			const struct ci_check *c = &res->checks[i];
			struct row w;

			format_row(&w, c);
			fprintf(out, "| %s | `", c->ok ? ":white_check_mark:" : ":x:");
			md_cell(out, c->metric);
			fprintf(out, "` | %s | %s | %s | %s |\n", w.base, w.head, w.change, w.rule);
		}
		fputc('\n', out);
	}
	if (show) {
		fprintf(out,
			"<details><summary>Other changes (no budget rule): %zu of "
			"%zu</summary>\n\n",
			show, nothers);
		fprintf(out, "| metric | base | head | change |\n|---|---:|---:|---:|\n");
		for (size_t i = res->nbudget; i < res->nbudget + show; i++) {
			struct row w;

			format_row(&w, &res->checks[i]);
			fputs("| `", out);
			md_cell(out, res->checks[i].metric);
			fprintf(out, "` | %s | %s | %s |\n", w.base, w.head, w.change);
		}
		fputs("\n</details>\n", out);
	}
	if (r->head->longest_ns) {
		char d[32];

		format_duration(d, sizeof(d), r->head->longest_ns);
		fprintf(out, "\nLongest callback in head: **%s** in `", d);
		md_cell(out, r->head->longest_type);
		fputs("` ← `", out);
		md_cell(out, r->head->longest_chain);
		fputs("`\n", out);
	}
}

static void xml_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			/* control characters are not allowed in XML 1.0 */
			fputc((unsigned char)*s < 0x20 && *s != '\t' ? '?' : *s, out);
		}
	}
}

void ci_print_junit(FILE *out, const struct ci_report *r)
{
	const struct ci_result *res = r->result;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(out, "<testsuite name=\"asyncscope budget\" tests=\"%zu\" failures=\"%zu\">\n",
		res->nbudget, res->nfailed);
	for (size_t i = 0; i < res->nbudget; i++) {
		const struct ci_check *c = &res->checks[i];
		char lim[32];
		struct row w;

		format_row(&w, c);
		format_value(lim, sizeof(lim), c->metric, c->limit, true);
		fputs("  <testcase classname=\"asyncscope.budget\" name=\"", out);
		xml_escaped(out, c->metric);
		fputs(": ", out);
		xml_escaped(out, c->rule->text);
		fputs("\"", out);
		if (c->ok) {
			fputs("/>\n", out);
			continue;
		}
		fprintf(out, ">\n    <failure message=\"");
		xml_escaped(out, c->metric);
		fprintf(out,
			" is %s, over its budget %s (base %s; rule on line %u)\"/>\n  "
			"</testcase>\n",
			w.head, lim, w.base, c->rule->line);
	}
	fputs("</testsuite>\n", out);
}
