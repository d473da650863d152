// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/array_grow.h"
#include "live/tracer.h"
#include "resolve/cb_scan.h"
#include "resolve/probe_site.h"
#include "resolve/proc.h"
#include "resolve/x86_decode.h"
#include "asyncscope.skel.h"
#include "lib/log.h"
#include "lib/mono_time.h"
#include "live/uprobes.h"
#include "live/watchpoints.h"

struct tracer {
	struct asyncscope *skel;
	pid_t pid;
	struct uprobes *probes;
	/* uv layer: callbacks probed (by file and offset), and files scanned */
	struct probed_cb {
		dev_t dev;
		ino_t ino;
		uint64_t off;
	} * cbs, *scanned;
	size_t ncbs, cbs_cap, nscanned, scanned_cap;
	/* probe sites attached after start that the kernel refused (counted,
	 * reported once at the end, not per site), and the first reason */
	size_t late_failures;
	int late_failure_err;
	/* exact JS mode: two watchpoint links per watched thread */
	struct bpf_link **watch_links;
	size_t nwatch, watch_cap;
};

static size_t round_pow2(size_t v)
{
	size_t p = 4096;

	while (p < v)
		p <<= 1;
	return p;
}

/* Queues prog at file_off in path for pid, with a cookie; see uprobes_commit(). */
static int attach_at(struct tracer *t, struct bpf_program *prog, bool retprobe, pid_t pid,
		     const char *path, uint64_t file_off, uint64_t cookie, const char *what)
{
	return uprobes_add(t->probes, prog, retprobe, pid, path, file_off, cookie, what);
}

/* Microtask runs are probed to count them (where the counter was found) and
 * for the JS layer (where they are marked, counted or not). */
static bool microtask_probes(const struct tracer_opts *o)
{
	const struct node_layout *l = o->layout;

	return l && l->sites[SITE_MICROTASKS].used && (o->with_stacks || l->off.mq_finished);
}

static int attach_node(struct tracer *t, const struct tracer_opts *o)
{
	const struct node_layout *l = o->layout;
	struct asyncscope *skel = t->skel;
	const struct {
		enum node_site_role role;
		struct bpf_program *prog;
		bool retprobe;
	} plan[] = {
		{SITE_TRACE_ASYNC_START, skel->progs.node_trace_async_start, false},
		{SITE_ASYNC_RESET, skel->progs.node_async_reset_enter, false},
		{SITE_EMIT_ASYNC_INIT, skel->progs.node_emit_async_init, false},
		{SITE_SCOPE_ENV, skel->progs.node_scope_enter, false},
		{SITE_SCOPE_WRAP, skel->progs.node_wrap_scope_enter, false},
		{SITE_POP_CONTEXT, skel->progs.node_pop_context, false},
		{SITE_WRAP_DTOR, skel->progs.node_destroy, false},
		{SITE_EMIT_DESTROY, skel->progs.node_destroy, false},
		{SITE_MICROTASKS, skel->progs.node_microtasks_enter, false},
		{SITE_MICROTASKS, skel->progs.node_microtasks_exit, true},
		{SITE_PROMISE_REJECT, skel->progs.node_promise_reject, false},
		{SITE_ENV_CLEANUP, skel->progs.node_env_exit, false},
		{SITE_ENV_EXIT, skel->progs.node_env_exit, false},
		{SITE_ENV_STOP, skel->progs.node_env_stop, false},
		{SITE_IMMEDIATES, skel->progs.node_immediates, false},
	};
	int err;

	for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
		const struct node_site *site = &l->sites[plan[i].role];

		if (!site->used || (plan[i].role == SITE_MICROTASKS && !microtask_probes(o)))
			continue;
		err = attach_at(t, plan[i].prog, plan[i].retprobe, o->pid, o->binary,
				site->file_off, 0, site->symbol);
		if (err)
			return err;
	}
	return 0;
}

/* An init probe that would be single-stepped is left out: the handle is
 * taken in at its first start instead. */
static bool uv_init_left_out(const struct uv_site *s)
{
	return !s->wrapper && !s->emulated && s->api->role == UVR_INIT;
}

static int attach_uv(struct tracer *t, const struct tracer_opts *o)
{
	int err;

	for (int i = 0; i < o->uv->nsites; i++) {
		const struct uv_site *s = &o->uv->sites[i];

		if (s->wrapper)
			continue; /* its callee is probed and sees the same call */
		if (uv_init_left_out(s))
			continue;
		err = attach_at(t, t->skel->progs.uv_api, false, o->pid, o->uv->path, s->file_off,
				uv_api_cookie(s->api), s->api->name);
		if (err)
			return err;
	}
	return 0;
}

/* sampled mode: live resources remembered per probed file (LRU) */
#define SAMPLED_LIVE_MAX 32768

static int shrink_unused_maps(struct asyncscope *skel, const struct tracer_opts *o)
{
	struct bpf_map *unused[16];
	size_t n = 0;
	int err;

	if (!o->layout)
		unused[n++] = skel->maps.live_wraps; /* reset detection, uv <-> AsyncWrap links */
	if (!o->uv) {
		unused[n++] = skel->maps.uv_objs;
		unused[n++] = skel->maps.uv_next_id;
		unused[n++] = skel->maps.uv_cbs;
	}
	if (!o->aggregate) {
		unused[n++] = skel->maps.agg_pids;
		unused[n++] = skel->maps.agg_types;
		unused[n++] = skel->maps.agg_ids;
		unused[n++] = skel->maps.capture_pids;
		unused[n++] = skel->maps.ignored_pids;
	}
	if (o->follow_pids_fd <= 0)
		unused[n++] = skel->maps.follow_pids;
	for (size_t i = 0; i < n; i++)
		if ((err = bpf_map__set_max_entries(unused[i], 1)))
			return err;
	if (o->aggregate) {
		/* a daemon keeps one tracer per probed file for as long as it runs:
		 * its large maps take memory as entries come, not all up front */
		struct bpf_map *grown[] = {skel->maps.agg_ids,	    skel->maps.agg_pids,
					   skel->maps.agg_types,    skel->maps.live_wraps,
					   skel->maps.uv_objs,	    skel->maps.uv_cbs,
					   skel->maps.ignored_pids, skel->maps.uv_next_id};

		for (size_t i = 0; i < sizeof(grown) / sizeof(grown[0]); i++) {
			if (o->sampled && (grown[i] == skel->maps.agg_ids ||
					   (grown[i] == skel->maps.uv_objs && o->uv) ||
					   (grown[i] == skel->maps.live_wraps && o->layout)))
				continue;
			if ((err = bpf_map__set_map_flags(grown[i], bpf_map__map_flags(grown[i]) |
									    BPF_F_NO_PREALLOC)))
				return err;
		}
	}
	if (o->aggregate && o->sampled) {
		/* sampled: resources whose end fell between windows stay in these
		 * maps for good; least recently seen ones give way (LRU maps are
		 * preallocated, hence the smaller size) */
		struct bpf_map *lru[] = {skel->maps.agg_ids, o->uv ? skel->maps.uv_objs : NULL,
					 o->layout ? skel->maps.live_wraps : NULL};

		for (size_t i = 0; i < sizeof(lru) / sizeof(lru[0]); i++)
			if (lru[i] && ((err = bpf_map__set_type(lru[i], BPF_MAP_TYPE_LRU_HASH)) ||
				       (err = bpf_map__set_max_entries(lru[i], SAMPLED_LIVE_MAX))))
				return err;
	}
	return 0;
}

int tracer_open(const struct tracer_opts *o, struct tracer **out, const char **err_msg)
{
	const struct node_layout *l = o->layout;
	struct asyncscope *skel;
	struct tracer *t;
	size_t rb_bytes = round_pow2(o->ringbuf_bytes), failed = 0;
	bool multi;
	int err;

	*out = NULL;
	*err_msg = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pid = o->pid;

	skel = t->skel = asyncscope__open();
	if (!skel) {
		err = -errno;
		*err_msg = "opening the BPF object failed";
		goto cleanup;
	}
	skel->rodata->targ_tgid = o->pid > 0 ? o->pid : 0;
	skel->rodata->aggregate = o->aggregate;
	skel->rodata->follow_tree = o->follow_pids_fd > 0;
	if (o->follow_pids_fd > 0 &&
	    (err = bpf_map__reuse_fd(skel->maps.follow_pids, o->follow_pids_fd))) {
		*err_msg = "sharing the followed processes' map failed";
		goto cleanup;
	}
	skel->rodata->sampled = o->aggregate && o->sampled;
	if (l)
		skel->rodata->node_off = l->off;
	skel->rodata->with_stacks = l && (o->with_stacks || o->js_exact);
	skel->rodata->full_stacks = l && o->full_stacks;
	/* make bench only: the cost of the probe hits alone, no events */
	if (l && getenv("ASYNCSCOPE_BENCH_EMPTY_PROGRAMS")) {
		skel->rodata->empty_programs = true;
		wlog("ASYNCSCOPE_BENCH_EMPTY_PROGRAMS is set: the node-layer probes run empty "
		     "programs and report nothing");
	}
	skel->rodata->js_exact = l && o->js_exact;
	if (l && o->js_walk) {
		skel->rodata->js_stacks = true;
		skel->rodata->js_walk = *o->js_walk;
	}
	skel->rodata->js_stop_to_arm = l && o->js_exact && o->stop_to_arm;
	skel->rodata->uv_link_wraps = l && o->uv;
	skel->rodata->uv_stop_to_probe = o->uv && o->stop_to_arm;
	if (o->uv) {
		struct stat st;

		for (int i = 0; i < o->uv->nsites; i++)
			if (uv_init_left_out(&o->uv->sites[i]) && o->uv->sites[i].api->type < 64)
				skel->rodata->uv_init_unprobed |= 1ULL << o->uv->sites[i].api->type;
		if (!stat(o->uv->path, &st)) {
			skel->rodata->uv_ino = st.st_ino;
			skel->rodata->uv_code_lo = o->uv->code_lo;
			skel->rodata->uv_code_hi = o->uv->code_hi;
		}
	}
	/* wake the consumer once a quarter of the ring is pending */
	skel->rodata->wakeup_bytes = rb_bytes / 4;
	err = bpf_map__set_max_entries(skel->maps.events, rb_bytes);
	if (err) {
		*err_msg = "sizing the ring buffer failed";
		goto cleanup;
	}
	/* maps of a layer or mode that is off keep one entry: preallocated
	 * hash maps otherwise hold ~20 MB of kernel memory each */
	err = shrink_unused_maps(skel, o);
	if (err) {
		*err_msg = "sizing the maps failed";
		goto cleanup;
	}
	/* load only the programs this target's layers and sites need */
	bpf_program__set_autoload(skel->progs.node_trace_async_start,
				  l && l->sites[SITE_TRACE_ASYNC_START].used);
	bpf_program__set_autoload(skel->progs.node_async_reset_enter,
				  l && l->sites[SITE_ASYNC_RESET].used);
	bpf_program__set_autoload(skel->progs.node_emit_async_init,
				  l && l->sites[SITE_EMIT_ASYNC_INIT].used);
	bpf_program__set_autoload(skel->progs.node_wrap_scope_enter,
				  l && l->sites[SITE_SCOPE_WRAP].used);
	bpf_program__set_autoload(skel->progs.node_scope_enter, l != NULL);
	bpf_program__set_autoload(skel->progs.node_pop_context, l != NULL);
	bpf_program__set_autoload(skel->progs.node_destroy, l != NULL);
	/* the four at_exit sites are all used or none */
	bpf_program__set_autoload(skel->progs.node_env_exit, l && l->sites[SITE_ENV_EXIT].used);
	bpf_program__set_autoload(skel->progs.node_env_stop, l && l->sites[SITE_ENV_EXIT].used);
	bpf_program__set_autoload(skel->progs.node_immediates, l && l->sites[SITE_ENV_EXIT].used);
	bpf_program__set_autoload(skel->progs.js_watch, l && o->js_exact);
	bpf_program__set_autoload(skel->progs.node_microtasks_enter, microtask_probes(o));
	bpf_program__set_autoload(skel->progs.node_microtasks_exit, microtask_probes(o));
	bpf_program__set_autoload(skel->progs.node_promise_reject,
				  l && l->sites[SITE_PROMISE_REJECT].used);
	bpf_program__set_autoload(skel->progs.uv_api, o->uv != NULL);
	bpf_program__set_autoload(skel->progs.uv_cb_enter, o->uv != NULL);
	bpf_program__set_autoload(skel->progs.uv_cb_exit, o->uv != NULL);

	multi = uprobes_multi_supported();
	dlog("uprobe_multi links: %s", multi ? "yes" : "no, one perf uprobe per site");
	if ((err = uprobes_new(multi, &t->probes))) {
		*err_msg = "out of memory";
		goto cleanup;
	}
	uprobes_prepare_object(skel->obj, multi);
	err = asyncscope__load(skel);
	if (err) {
		*err_msg = "loading the BPF programs failed (kernel too old, or no BTF?)";
		goto cleanup;
	}
	/* the sites' failures are counted, not printed one by one: a target
	 * that exits meanwhile fails every site, and the caller says that */
	if ((l && (err = attach_node(t, o))) || (o->uv && (err = attach_uv(t, o))) ||
	    (err = uprobes_commit(t->probes, NULL, &failed))) {
		*err_msg = failed ? "attaching uprobes failed (-vv names each site)" :
				    "attaching a uprobe failed";
		goto cleanup;
	}
	*out = t;
	return 0;

cleanup:
	tracer_destroy(t);
	return err;
}

struct mapping_query {
	uint64_t addr, *off;
	char *path;
	size_t cap;
};

static int mapping_holds(void *ctx, const struct proc_map *m)
{
	struct mapping_query *q = ctx;

	if (q->addr < m->start || q->addr >= m->end)
		return 0;
	if (m->perms[2] != 'x' || !m->file)
		return -ENOENT;
	snprintf(q->path, q->cap, "%s", m->path);
	*q->off = q->addr - m->start + m->pgoff;
	return 1;
}

/* The mapping of pid that holds addr: a path that opens it, and addr's file offset. */
static int find_mapping(pid_t pid, uint64_t addr, char *path, size_t cap, uint64_t *off)
{
	struct mapping_query q = {.addr = addr, .off = off, .path = path, .cap = cap};
	int err = proc_maps_foreach(pid, mapping_holds, &q);

	return err < 0 ? err : err ? 0 : -ENOENT;
}

/* Probes one libuv callback at file offset off of path (entry and return). */
static int attach_uv_callback(struct tracer *t, pid_t pid, const char *path, uint64_t off)
{
	struct probe_site_choice c;
	struct stat st;
	uint8_t code[64];
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, code, sizeof(code), off);
	err = fstat(fd, &st) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (n < 16)
		return -EIO;
	for (size_t i = 0; i < t->ncbs; i++)
		if (t->cbs[i].dev == st.st_dev && t->cbs[i].ino == st.st_ino &&
		    t->cbs[i].off == off)
			return 0; /* probed already */
	/* callbacks take their handle or request in rdi */
	probe_site_choose(code, n, off, 1u << X86_RDI, &c);
	/* a tracer of every process probes the file for all of them */
	if (t->pid <= 0)
		pid = -1;
	if ((err = attach_at(t, t->skel->progs.uv_cb_enter, false, pid, path, off + c.offset,
			     c.offset, "libuv callback")) ||
	    (err = attach_at(t, t->skel->progs.uv_cb_exit, true, pid, path, off + c.offset,
			     c.offset, "libuv callback")))
		return err;
	if (array_grow((void **)&t->cbs, &t->cbs_cap, t->ncbs + 1, sizeof(*t->cbs)))
		return -ENOMEM;
	t->cbs[t->ncbs++] = (struct probed_cb){st.st_dev, st.st_ino, off};
	return 0;
}

/* The kernel's encoding of a device number (MKDEV), as BPF reads s_dev. */
static uint32_t kernel_dev(dev_t d)
{
	return (major(d) << 20) | minor(d);
}

/*
 * Commits the callback probes queued since cbs[from] and tells the BPF side
 * they are in place, so registrations of them are not reported again (nor
 * marked late). On failure they are forgotten, to be retried when reported.
 */
static int commit_uv_callbacks(struct tracer *t, size_t from, size_t *attached)
{
	__u8 probed = UV_CB_PROBED;
	int err = uprobes_commit(t->probes, attached, &t->late_failures);

	if (err) {
		t->late_failure_err = t->late_failure_err ? t->late_failure_err : err;
		t->ncbs = from;
		return err;
	}
	for (size_t i = from; i < t->ncbs; i++) {
		struct uv_cb_key key = {.dev = kernel_dev(t->cbs[i].dev),
					.ino = t->cbs[i].ino,
					.off = t->cbs[i].off};

		bpf_map__update_elem(t->skel->maps.uv_cbs, &key, sizeof(key), &probed,
				     sizeof(probed), BPF_ANY);
	}
	return 0;
}

int tracer_prescan_uv_callbacks(struct tracer *t, pid_t pid, const char *path)
{
	struct cb_candidate *cands;
	size_t n, ok = 0, from = t->ncbs;
	uint64_t t0 = now_ns(), t1;
	struct stat st;
	int err;

	if (stat(path, &st))
		return -errno;
	for (size_t i = 0; i < t->nscanned; i++)
		if (t->scanned[i].dev == st.st_dev && t->scanned[i].ino == st.st_ino)
			return 0;
	if (array_grow((void **)&t->scanned, &t->scanned_cap, t->nscanned + 1, sizeof(*t->scanned)))
		return -ENOMEM;
	t->scanned[t->nscanned++] = (struct probed_cb){st.st_dev, st.st_ino, 0};
	err = cb_scan(path, &cands, &n);
	if (err)
		return err;
	t1 = now_ns();
	for (size_t i = 0; i < n; i++)
		attach_uv_callback(t, pid, path, cands[i].file_off);
	err = commit_uv_callbacks(t, from, &ok);
	vlog("%s: %zu libuv callbacks found in the code (%.1f ms), %zu probed (%.1f ms)%s", path, n,
	     (t1 - t0) / 1e6, ok / 2, (now_ns() - t1) / 1e6,
	     err ? " (some failed: probed one by one when registered)" : "");
	free(cands);
	return 0;
}

struct prescan {
	struct tracer *t;
	pid_t pid;
	char last[PATH_MAX];
};

static int prescan_mapping(void *ctx, const struct proc_map *m)
{
	struct prescan *p = ctx;

	if (!m->file || strcmp(m->perms, "r-xp") || !strcmp(m->file, p->last))
		return 0;
	snprintf(p->last, sizeof(p->last), "%s", m->file);
	tracer_prescan_uv_callbacks(p->t, p->pid, m->path);
	return 0;
}

void tracer_prescan_process(struct tracer *t, pid_t pid)
{
	struct prescan p = {.t = t, .pid = pid};

	proc_maps_foreach(pid, prescan_mapping, &p);
}

int tracer_watch_uv_callback(struct tracer *t, pid_t pid, uint64_t addr)
{
	char path[PATH_MAX];
	uint64_t off = 0;
	size_t from;
	int err;

	err = find_mapping(pid, addr, path, sizeof(path), &off);
	if (err)
		return err;
	/* the first callback seen in a file: probe all of its callbacks at once */
	tracer_prescan_uv_callbacks(t, pid, path);
	from = t->ncbs;
	err = attach_uv_callback(t, pid, path, off);
	if (err)
		return err;
	return commit_uv_callbacks(t, from, NULL);
}

int tracer_ringbuf_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

size_t tracer_nlinks(const struct tracer *t)
{
	return uprobes_count(t->probes);
}

size_t tracer_late_failures(const struct tracer *t, int *first_err)
{
	*first_err = t->late_failure_err;
	return t->late_failures;
}

size_t tracer_nkernel_links(const struct tracer *t)
{
	return uprobes_links(t->probes) + t->nwatch;
}

uint64_t tracer_stops_sent(const struct tracer *t)
{
	return __atomic_load_n(&t->skel->bss->stats.stops_sent, __ATOMIC_ACQUIRE);
}

void tracer_read_stats(const struct tracer *t, struct probe_stats *s)
{
	memcpy(s, &t->skel->bss->stats, sizeof(*s));
}

int tracer_agg_foreach(const struct tracer *t,
		       void (*fn)(void *ctx, const struct agg_key *k, const struct agg_counts *c),
		       void *ctx)
{
	int fd = bpf_map__fd(t->skel->maps.agg_types);
	struct agg_key key, next, *prev = NULL;
	struct agg_counts c;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		/* gone between the two calls: a process exiting */
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		fn(ctx, &key, &c);
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Deletes the entries of maps whose keys start with a __u32 pid. Keys are
 * collected first: deleting the key get_next_key stands on restarts the walk.
 */
static size_t map_purge_pid(struct bpf_map *map, pid_t pid, bool delete)
{
	size_t ksz = bpf_map__key_size(map), n = 0, cap = 0, found = 0;
	int fd = bpf_map__fd(map);
	char *keys = NULL, *prev = NULL, *next = malloc(ksz), *cur = malloc(ksz);

	if (!next || !cur)
		goto cleanup;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(cur, next, ksz);
		prev = cur;
		if (*(uint32_t *)cur != (uint32_t)pid)
			continue;
		found++;
		if (!delete)
			continue;
		if (array_grow((void **)&keys, &cap, n + 1, ksz))
			break;
		memcpy(keys + n * ksz, cur, ksz);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * ksz);
cleanup:
	free(keys);
	free(next);
	free(cur);
	return found;
}

struct rows_of {
	__u32 pid;
	void (*fn)(void *ctx, const struct agg_key *k, const struct agg_counts *c);
	void *ctx;
};

static void row_of_pid(void *ctx, const struct agg_key *k, const struct agg_counts *c)
{
	struct rows_of *r = ctx;

	if (k->tgid == r->pid)
		r->fn(r->ctx, k, c);
}

/* Maps keyed by process first: the per-process state the probes keep. */
static size_t per_process_entries(const struct tracer *t, pid_t pid, bool delete)
{
	struct bpf_map *maps[] = {
		t->skel->maps.agg_types,    t->skel->maps.agg_ids,    t->skel->maps.live_wraps,
		t->skel->maps.uv_objs,	    t->skel->maps.uv_next_id, t->skel->maps.capture_pids,
		t->skel->maps.ignored_pids, t->skel->maps.agg_pids,   t->skel->maps.stopping_envs};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		n += map_purge_pid(maps[i], pid, delete);
	return n;
}

static bool map_empty(struct bpf_map *map)
{
	__u32 key;

	return bpf_map_get_next_key(bpf_map__fd(map), NULL, &key) != 0;
}

/* Tells the probes which pid sets hold anything (see pid_sets_used). */
static void pid_sets_refresh(struct tracer *t)
{
	t->skel->bss->pid_sets_used =
		(map_empty(t->skel->maps.ignored_pids) ? 0 : PID_SETS_IGNORED) |
		(map_empty(t->skel->maps.capture_pids) ? 0 : PID_SETS_CAPTURED);
}

void tracer_forget_process(struct tracer *t, pid_t pid)
{
	tracer_forget_process_rows(t, pid, NULL, NULL);
}

void tracer_forget_process_rows(struct tracer *t, pid_t pid,
				void (*fn)(void *ctx, const struct agg_key *k,
					   const struct agg_counts *c),
				void *ctx)
{
	__u32 key = pid;
	__u8 v;

	/* the probes note every process they keep state for: most exits
	 * (processes of other files) cost a few lookups, not a walk of every map */
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.agg_pids), &key, &v) &&
	    bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.capture_pids), &key, &v) &&
	    bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.ignored_pids), &key, &v))
		return;
	if (fn) {
		struct rows_of r = {pid, fn, ctx};

		tracer_agg_foreach(t, row_of_pid, &r);
	}
	per_process_entries(t, pid, true);
	pid_sets_refresh(t);
}

size_t tracer_probes_in(struct tracer *t)
{
	return uprobes_reattach(t->probes);
}

void tracer_window_open(struct tracer *t, uint32_t epoch)
{
	/* the skeleton's .bss is mapped: the probes see this at once */
	t->skel->bss->sample_epoch = epoch;
}

void tracer_window_close(struct tracer *t)
{
	t->skel->bss->sample_epoch = 0;
}

void tracer_probes_out(struct tracer *t)
{
	uprobes_detach(t->probes);
}

static int pid_set(struct tracer *t, struct bpf_map *map, pid_t pid, bool on)
{
	__u32 key = pid;
	__u8 one = 1;
	int fd = bpf_map__fd(map), err;

	if (on)
		err = bpf_map_update_elem(fd, &key, &one, BPF_ANY) ? -errno : 0;
	else
		err = bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
	pid_sets_refresh(t);
	return err;
}

int tracer_capture_process(struct tracer *t, pid_t pid, bool on)
{
	return pid_set(t, t->skel->maps.capture_pids, pid, on);
}

int tracer_ignore_process(struct tracer *t, pid_t pid, bool ignore)
{
	int err = pid_set(t, t->skel->maps.ignored_pids, pid, ignore);

	if (err || !ignore)
		return err;
	/* what it did before it was recognised goes too; the probes skip it
	 * from now on, so nothing is made again behind the walk (which also
	 * takes the ignore mark: set it again) */
	per_process_entries(t, pid, true);
	return pid_set(t, t->skel->maps.ignored_pids, pid, true);
}

int tracer_watch_thread(struct tracer *t, pid_t tid, uint64_t id_fields)
{
	/* the trigger slot (every push and pop) and the id counter */
	const uint64_t slots[2] = {id_fields + ASYNC_ID_TRIGGER_OFF,
				   id_fields + ASYNC_ID_COUNTER_OFF};

	for (int i = 0; i < 2; i++) {
		struct bpf_link *link;
		int fd = watchpoint_open(tid, slots[i]);

		if (fd < 0)
			return fd;
		link = bpf_program__attach_perf_event(t->skel->progs.js_watch, fd);
		if (!link) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (array_grow((void **)&t->watch_links, &t->watch_cap, t->nwatch + 1,
			       sizeof(*t->watch_links))) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		/* the link owns the perf event fd from here on */
		t->watch_links[t->nwatch++] = link;
	}
	return 0;
}

void tracer_destroy(struct tracer *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nwatch; i++)
		bpf_link__destroy(t->watch_links[i]);
	free(t->watch_links);
	free(t->cbs);
	free(t->scanned);
	uprobes_destroy(t->probes);
	asyncscope__destroy(t->skel);
	free(t);
}
