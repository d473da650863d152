// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array_grow.h"
#include "daemon/daemon_metrics.h"
#include "event/event.h"
#include "daemon/metrics_http.h"
#include "lib/version.h"

#define NS_PER_S 1e9

long metrics_add_proc(struct metrics_snapshot *s, const struct metrics_proc *p)
{
	if (array_grow((void **)&s->procs, &s->procs_cap, s->nprocs + 1, sizeof(*p)))
		return -ENOMEM;
	s->procs[s->nprocs] = *p;
	return s->nprocs++;
}

int metrics_add_row(struct metrics_snapshot *s, size_t proc, uint8_t layer, const char *type,
		    const struct agg_counts *c)
{
	struct metrics_row *r;

	if (array_grow((void **)&s->rows, &s->rows_cap, s->nrows + 1, sizeof(*r)))
		return -ENOMEM;
	r = &s->rows[s->nrows++];
	r->proc = proc;
	r->layer = layer;
	snprintf(r->type, sizeof(r->type), "%s", type);
	r->c = *c;
	return 0;
}

int metrics_add_exe(struct metrics_snapshot *s, const struct metrics_exe *e)
{
	for (size_t i = 0; i < s->nexes; i++) {
		struct metrics_exe *x = &s->exes[i];

		if (!strcmp(x->exe, e->exe) && !strcmp(x->runtime, e->runtime) &&
		    !strcmp(x->version, e->version)) {
			x->exited += e->exited;
			return 0;
		}
	}
	if (array_grow((void **)&s->exes, &s->exes_cap, s->nexes + 1, sizeof(*e)))
		return -ENOMEM;
	s->exes[s->nexes++] = *e;
	return 0;
}

int metrics_merge(struct metrics_snapshot *s, const struct metrics_snapshot *from)
{
	size_t base = s->nprocs;

	for (size_t i = 0; i < from->nprocs; i++)
		if (metrics_add_proc(s, &from->procs[i]) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < from->nrows; i++) {
		const struct metrics_row *r = &from->rows[i];

		if (metrics_add_row(s, base + r->proc, r->layer, r->type, &r->c))
			return -ENOMEM;
	}
	return 0;
}

void metrics_snapshot_free(struct metrics_snapshot *s)
{
	free(s->procs);
	free(s->rows);
	free(s->exes);
	memset(s, 0, sizeof(*s));
}

void metrics_remove_proc(struct metrics_snapshot *s, size_t proc)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nrows; i++) {
		if (s->rows[i].proc == proc)
			continue;
		s->rows[n] = s->rows[i];
		if (s->rows[n].proc > proc)
			s->rows[n].proc--;
		n++;
	}
	s->nrows = n;
	memmove(&s->procs[proc], &s->procs[proc + 1], (s->nprocs - proc - 1) * sizeof(*s->procs));
	s->nprocs--;
}

static int cmp_str(const char *a, const char *b)
{
	int c = strcmp(a, b);

	return c < 0 ? -1 : c > 0;
}

/* The labels a series carries besides pid, layer and type. */
static int cmp_proc_labels(const struct metrics_proc *a, const struct metrics_proc *b)
{
	int c;

	if ((c = cmp_str(a->service, b->service)) || (c = cmp_str(a->exe, b->exe)) ||
	    (c = cmp_str(a->runtime, b->runtime)))
		return c;
	return cmp_str(a->version, b->version);
}

/* Sorting needs the process table: qsort has no context argument. */
static const struct metrics_snapshot *sort_snap;

static int cmp_row(const void *a, const void *b)
{
	const struct metrics_row *x = a, *y = b;
	const struct metrics_proc *px = &sort_snap->procs[x->proc],
				  *py = &sort_snap->procs[y->proc];
	int c;

	if (px->pid != py->pid)
		return px->pid < py->pid ? -1 : 1;
	if ((c = cmp_proc_labels(px, py)))
		return c;
	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	return strcmp(x->type, y->type);
}

static void counts_add(struct agg_counts *to, const struct agg_counts *c, bool exited)
{
	for (int k = 0; k < 4; k++)
		to->events[k] += c->events[k];
	/* what an exited process left alive is gone with it */
	if (!exited)
		to->alive += c->alive;
	to->cb_ns += c->cb_ns;
	if (c->cb_max_ns > to->cb_max_ns)
		to->cb_max_ns = c->cb_max_ns;
	to->loop_ns += c->loop_ns;
	to->queue_ns += c->queue_ns;
	to->queue_n += c->queue_n;
	for (int b = 0; b < AGG_BUCKETS; b++) {
		to->cb_hist[b] += c->cb_hist[b];
		to->queue_hist[b] += c->queue_hist[b];
	}
	to->microtasks += c->microtasks;
	to->rejections[0] += c->rejections[0];
	to->rejections[1] += c->rejections[1];
}

int metrics_fold_processes(struct metrics_snapshot *s)
{
	struct metrics_snapshot f = {0};
	size_t *to = calloc(s->nprocs ? s->nprocs : 1, sizeof(*to));
	int err = -ENOMEM;

	if (!to)
		return -ENOMEM;
	/* a host has few distinct label sets: a linear search per process */
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct metrics_proc *p = &s->procs[i];
		size_t j = 0;

		while (j < f.nprocs && cmp_proc_labels(&f.procs[j], p))
			j++;
		if (j == f.nprocs) {
			struct metrics_proc q = *p;

			q.pid = 0;
			q.observed_s = 0;
			q.exited = 1;
			if (metrics_add_proc(&f, &q) < 0)
				goto out;
		}
		f.procs[j].observed_s += p->observed_s;
		f.procs[j].exited &= p->exited;
		to[i] = j;
	}
	/* rows of one folded process, layer and type are adjacent once sorted */
	for (size_t i = 0; i < s->nrows; i++) {
		const struct metrics_row *r = &s->rows[i];

		if (metrics_add_row(&f, to[r->proc], r->layer, r->type, &(struct agg_counts){0}))
			goto out;
		counts_add(&f.rows[f.nrows - 1].c, &r->c, s->procs[r->proc].exited);
	}
	sort_snap = &f;
	qsort(f.rows, f.nrows, sizeof(*f.rows), cmp_row);
	sort_snap = NULL;
	{
		size_t n = 0;

		for (size_t i = 0; i < f.nrows; i++) {
			struct metrics_row *r = &f.rows[i];

			if (n && f.rows[n - 1].proc == r->proc && f.rows[n - 1].layer == r->layer &&
			    !strcmp(f.rows[n - 1].type, r->type)) {
				counts_add(&f.rows[n - 1].c, &r->c, false);
				continue;
			}
			f.rows[n++] = *r;
		}
		f.nrows = n;
	}
	/* the snapshot keeps its own figures and exit counts, takes the folded rows */
	free(s->procs);
	free(s->rows);
	s->procs = f.procs;
	s->nprocs = f.nprocs;
	s->procs_cap = f.procs_cap;
	s->rows = f.rows;
	s->nrows = f.nrows;
	s->rows_cap = f.rows_cap;
	memset(&f, 0, sizeof(f));
	err = 0;
out:
	free(to);
	metrics_snapshot_free(&f);
	return err;
}

static void proc_labels(FILE *out, const struct metrics_proc *p)
{
	if (p->pid)
		fprintf(out, "pid=\"%d\",", p->pid);
	fputs("service=\"", out);
	prom_label_value(out, p->service);
	fputs("\",exe=\"", out);
	prom_label_value(out, p->exe);
	fputs("\",runtime=\"", out);
	prom_label_value(out, p->runtime);
	fputs("\",version=\"", out);
	prom_label_value(out, p->version);
	fputc('"', out);
}

static void row_labels(FILE *out, const struct metrics_snapshot *s, const struct metrics_row *r)
{
	proc_labels(out, &s->procs[r->proc]);
	fprintf(out, ",layer=\"%s\",type=\"", ev_layer_name(r->layer));
	prom_label_value(out, r->type);
	fputc('"', out);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A row of a resource type, not of the process's own figures. */
static bool typed(const struct metrics_row *r)
{
	return r->type[0] != '\0';
}

static void histogram(FILE *out, const struct metrics_snapshot *s, const char *name,
		      const char *help, size_t hist_off, size_t sum_off)
{
	family(out, name, "histogram", help);
	for (size_t i = 0; i < s->nrows; i++) {
		const struct metrics_row *r = &s->rows[i];
		const uint64_t *hist = (const uint64_t *)((const char *)&r->c + hist_off);
		uint64_t sum_ns = *(const uint64_t *)((const char *)&r->c + sum_off), cum = 0;

		if (!typed(r))
			continue;

		for (int b = 0; b < AGG_BUCKETS; b++) {
			cum += hist[b];
			fprintf(out, "%s_bucket{", name);
			row_labels(out, s, r);
			if (b == AGG_BUCKETS - 1)
				fprintf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
			else
				fprintf(out, ",le=\"%.9g\"} %llu\n",
					(double)(AGG_BUCKET0_NS << (2 * b)) / NS_PER_S,
					(unsigned long long)cum);
		}
		fprintf(out, "%s_sum{", name);
		row_labels(out, s, r);
		fprintf(out, "} %.9f\n", sum_ns / NS_PER_S);
		fprintf(out, "%s_count{", name);
		row_labels(out, s, r);
		fprintf(out, "} %llu\n", (unsigned long long)cum);
	}
}

enum proc_value { LOOP, OBSERVED, EXITED, MICROTASKS, REJECTIONS };

/* One sample per process (rows are sorted: a process's rows are adjacent). */
static void for_each_proc(FILE *out, const struct metrics_snapshot *s, const char *name,
			  enum proc_value what)
{
	for (size_t i = 0; i < s->nrows;) {
		const struct metrics_proc *p = &s->procs[s->rows[i].proc];
		uint64_t loop_ns = 0, microtasks = 0, rej[2] = {0, 0};

		for (size_t proc = s->rows[i].proc; i < s->nrows && s->rows[i].proc == proc; i++) {
			loop_ns += s->rows[i].c.loop_ns;
			microtasks += s->rows[i].c.microtasks;
			rej[0] += s->rows[i].c.rejections[0];
			rej[1] += s->rows[i].c.rejections[1];
		}
		if ((what == MICROTASKS || what == REJECTIONS) && strcmp(p->runtime, "node"))
			continue;
		if (what == REJECTIONS) {
			for (int k = 0; k < 2; k++) {
				fprintf(out, "%s{", name);
				proc_labels(out, p);
				fprintf(out, ",kind=\"%s\"} %llu\n",
					rejection_kind_name(REJECTION_UNHANDLED + k),
					(unsigned long long)rej[k]);
			}
			continue;
		}
		fprintf(out, "%s{", name);
		proc_labels(out, p);
		if (what == LOOP)
			fprintf(out, "} %.9f\n", loop_ns / NS_PER_S);
		else if (what == MICROTASKS)
			fprintf(out, "} %llu\n", (unsigned long long)microtasks);
		else if (what == OBSERVED)
			fprintf(out, "} %.9f\n", p->observed_s);
		else
			fprintf(out, "} %d\n", p->exited);
	}
}

static void self_metric(FILE *out, const char *name, const char *type, const char *help, double v)
{
	family(out, name, type, help);
	fprintf(out, "%s %.17g\n", name, v);
}

void metrics_render(FILE *out, struct metrics_snapshot *s)
{
	static const char *const kinds[4] = {"init", "before", "after", "destroy"};
	const struct metrics_self *m = &s->self;

	/* without a pid label, processes of one service and build are one
	 * series set (a folding that fails leaves them apart: still correct
	 * sums for every consumer that adds them up) */
	if (!m->pid_label)
		metrics_fold_processes(s);
	sort_snap = s;
	qsort(s->rows, s->nrows, sizeof(*s->rows), cmp_row);
	sort_snap = NULL;

	family(out, "asyncscope_build_info", "gauge",
	       "The running asyncscope: its version, and whether series carry a pid label.");
	fprintf(out, "asyncscope_build_info{version=\"%s\",pid_label=\"%s\"} 1\n",
		ASYNCSCOPE_VERSION, m->pid_label ? "on" : "off");

	family(out, "asyncscope_events_total", "counter",
	       "Async hook events (init, before, after, destroy) by process and resource type.");
	for (size_t i = 0; i < s->nrows; i++)
		for (int k = 0; k < 4 && typed(&s->rows[i]); k++) {
			fputs("asyncscope_events_total{", out);
			row_labels(out, s, &s->rows[i]);
			fprintf(out, ",event=\"%s\"} %llu\n", kinds[k],
				(unsigned long long)s->rows[i].c.events[k]);
		}
	/* sampled: inits and destroys between windows are not seen, so no
	 * count of what is alive can be kept: none is shown */
	if (!m->sampled) {
		family(out, "asyncscope_resources_alive", "gauge",
		       "Resources initialised since the daemon attached and not destroyed yet.");
		for (size_t i = 0; i < s->nrows; i++) {
			if (!typed(&s->rows[i]))
				continue;
			fputs("asyncscope_resources_alive{", out);
			row_labels(out, s, &s->rows[i]);
			fprintf(out, "} %lld\n", (long long)s->rows[i].c.alive);
		}
	}
	histogram(out, s, "asyncscope_callback_duration_seconds",
		  m->sampled ? "Time from before to after of each callback that began and ended "
			       "in one window." :
			       "Time from before to after of each callback.",
		  offsetof(struct agg_counts, cb_hist), offsetof(struct agg_counts, cb_ns));
	histogram(out, s, "asyncscope_queue_delay_seconds",
		  m->sampled ? "Time from a resource's init to its first callback, both in one "
			       "window." :
			       "Time from a resource's init to its first callback.",
		  offsetof(struct agg_counts, queue_hist), offsetof(struct agg_counts, queue_ns));
	family(out, "asyncscope_callback_duration_max_seconds", "gauge",
	       "Longest callback seen since the daemon attached.");
	for (size_t i = 0; i < s->nrows; i++) {
		if (!typed(&s->rows[i]))
			continue;
		fputs("asyncscope_callback_duration_max_seconds{", out);
		row_labels(out, s, &s->rows[i]);
		fprintf(out, "} %.9f\n", s->rows[i].c.cb_max_ns / NS_PER_S);
	}
	family(out, "asyncscope_event_loop_callback_seconds_total", "counter",
	       "Time the process spent in outermost callbacks (the event loop's busy time).");
	for_each_proc(out, s, "asyncscope_event_loop_callback_seconds_total", LOOP);
	family(out, "asyncscope_microtasks_total", "counter",
	       m->sampled ? "Microtasks V8 ran (promise reactions, awaits, queueMicrotask) in "
			    "runs that began and ended in one window." :
			    "Microtasks V8 ran (promise reactions, awaits, queueMicrotask).");
	for_each_proc(out, s, "asyncscope_microtasks_total", MICROTASKS);
	family(out, "asyncscope_promise_rejections_total", "counter",
	       "Promise rejections Node reports: kind=unhandled ('unhandledRejection'), "
	       "kind=handled_late ('rejectionHandled').");
	for_each_proc(out, s, "asyncscope_promise_rejections_total", REJECTIONS);
	family(out, "asyncscope_observed_seconds_total", "counter",
	       m->sampled ? "Time the process's events were counted: the windows it ran in. "
			    "rate(events) / rate(this) estimates its event rate." :
			    "Time the process's events were counted: since it was found.");
	for_each_proc(out, s, "asyncscope_observed_seconds_total", OBSERVED);
	family(out, "asyncscope_process_exited", "gauge",
	       "1: the process exited and these are its final series, kept for exit_linger.");
	for_each_proc(out, s, "asyncscope_process_exited", EXITED);
	family(out, "asyncscope_processes_exited_total", "counter",
	       "Watched processes of this executable that exited, whether any event was "
	       "seen or not (sampled: one that ran only between windows shows nothing else).");
	for (size_t i = 0; i < s->nexes; i++) {
		const struct metrics_exe *e = &s->exes[i];

		fputs("asyncscope_processes_exited_total{exe=\"", out);
		prom_label_value(out, e->exe);
		fputs("\",runtime=\"", out);
		prom_label_value(out, e->runtime);
		fputs("\",version=\"", out);
		prom_label_value(out, e->version);
		fprintf(out, "\"} %llu\n", (unsigned long long)e->exited);
	}

	family(out, "asyncscope_daemon_mode", "gauge",
	       "The counting mode: exact (every event) or sampled (windows).");
	fprintf(out, "asyncscope_daemon_mode{mode=\"%s\"} 1\n", m->sampled ? "sampled" : "exact");
	if (m->sampled) {
		self_metric(out, "asyncscope_daemon_sample_window_seconds", "gauge",
			    "How long the probes are in, once every sample period.",
			    m->sample_window_s);
		self_metric(out, "asyncscope_daemon_sample_period_seconds", "gauge",
			    "Time from one window's start to the next.", m->sample_period_s);
		self_metric(out, "asyncscope_daemon_sample_windows_total", "counter",
			    "Windows opened.", m->windows);
		self_metric(out, "asyncscope_daemon_probe_attach_seconds_total", "counter",
			    "Daemon time spent putting the probes in at windows' starts.",
			    m->attach_seconds);
		self_metric(out, "asyncscope_daemon_probe_detach_seconds_total", "counter",
			    "Daemon time spent taking the probes out at windows' ends.",
			    m->detach_seconds);
		self_metric(out, "asyncscope_daemon_probe_reattach_failures_total", "counter",
			    "Probe links the kernel refused at a window's start.",
			    m->reattach_failures);
	}
	self_metric(out, "asyncscope_daemon_exited_processes_kept", "gauge",
		    "Exited processes whose final series are still shown.", m->exited_kept);
	self_metric(out, "asyncscope_daemon_exited_processes_dropped_total", "counter",
		    "Exited processes whose series went before exit_linger (too many kept, or "
		    "their pid reused).",
		    m->exited_dropped);
	self_metric(out, "asyncscope_daemon_processes_watched", "gauge",
		    "Node and libuv processes followed now.", m->procs_watched);
	self_metric(out, "asyncscope_daemon_files_probed", "gauge",
		    "Binaries and libraries with probes in them.", m->files_probed);
	self_metric(out, "asyncscope_daemon_probes_attached", "gauge", "Uprobe sites attached.",
		    m->probes_attached);
	self_metric(out, "asyncscope_daemon_links", "gauge",
		    "BPF links and perf events the daemon holds (what bpftool link list shows).",
		    m->links);
	self_metric(out, "asyncscope_daemon_events_lost_total", "counter",
		    "Events not counted: ring buffer full or aggregation maps full.",
		    m->events_lost);
	self_metric(out, "asyncscope_daemon_read_errors_total", "counter",
		    "Events skipped because target memory could not be read.", m->read_errors);
	self_metric(out, "asyncscope_daemon_execs_seen_total", "counter",
		    "Process execs the daemon examined.", m->execs_seen);
	self_metric(out, "asyncscope_daemon_attach_failures_total", "counter",
		    "Files whose probes could not be attached.", m->attach_failures);
	self_metric(out, "asyncscope_daemon_config_reloads_total", "counter",
		    "Configuration reloads applied.", m->config_reloads);
	self_metric(out, "asyncscope_daemon_config_errors_total", "counter",
		    "Configuration reloads refused (the previous configuration stayed).",
		    m->config_errors);
	self_metric(out, "asyncscope_daemon_scrapes_total", "counter", "Scrapes of /metrics.",
		    m->scrapes);
	self_metric(out, "asyncscope_daemon_http_connections_refused_total", "counter",
		    "HTTP connections closed on accept: the most the daemon keeps were open.",
		    m->http_refused);
	self_metric(out, "asyncscope_daemon_http_connections_timed_out_total", "counter",
		    "HTTP connections closed unanswered: silent too long while sending the "
		    "request, or past their deadline.",
		    m->http_timed_out);
	self_metric(out, "asyncscope_daemon_cpu_seconds_total", "counter",
		    "CPU time of the daemon (user and system).", m->cpu_seconds);
	self_metric(out, "asyncscope_daemon_resident_memory_bytes", "gauge",
		    "Resident memory of the daemon.", m->rss_bytes);
}
