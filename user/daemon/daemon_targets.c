// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "lib/array_grow.h"
#include "live/tracer.h"
#include "live/capture_meta.h"
#include "daemon/daemon_exited.h"
#include "daemon/daemon_sampling.h"
#include "daemon/daemon_targets.h"
#include "daemon/service_name.h"
#include "event/event.h"
#include "resolve/layout_cache.h"
#include "lib/log.h"
#include "lib/mono_time.h"
#include "resolve/proc.h"
#include "resolve/resolve_node.h"
#include "resolve/resolve_uv.h"

#define NS_PER_MS 1000000ULL
/* a file no process runs keeps its probes this long: a service restarting,
 * or short processes in a row, do not attach and detach every time */
#define LINGER_NS (10000 * NS_PER_MS)
/* the whole of /proc is looked at again this often, for libuv loaded late */
#define RESCAN_NS (30000 * NS_PER_MS)
/* a file whose probes could not be attached is tried again after this */
#define ATTACH_RETRY_NS (60000 * NS_PER_MS)
/* files found to be neither node nor libuv are remembered, up to this many */
#define MAX_PLAIN_FILES 1024
/* each probed file's ring buffer: only control records and captures cross */
#define FILE_RINGBUF_BYTES (1 << 20)

/* after an exec, when to look again for a libuv loaded at run time */
static const uint64_t recheck_ms[] = {100, 500, 2000, 10000};
#define NCHECKS (sizeof(recheck_ms) / sizeof(recheck_ms[0]))

enum file_kind {
	FILE_NONE, /* neither node nor libuv */
	FILE_NODE, /* a node binary: the node layer */
	FILE_UV,   /* libuv's code (a libuv.so, or a program with its own copy) */
};

struct probed_file {
	struct targets *owner;
	/* identity: an inode number is reused once a file is deleted, so the
	 * size and modification time go with it */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	enum file_kind kind;
	char shown[PATH_MAX]; /* as a process named it, for messages */
	/* held open while probed: probes, re-probes and reads go through
	 * /proc/self/fd/N, which outlives the process it was found in */
	int fd;
	char fd_path[32];
	char version[32]; /* node's, or libuv's from uv_version() */
	struct node_layout *node;
	struct uv_layout *uv;
	struct tracer *tracer; /* NULL while not probed */
	struct ring_buffer *rb;
	struct loop_source src;
	bool pinned;	       /* probed from start-up on, whether run or not */
	bool open;	       /* counting now: its probes in, its window open */
	unsigned int captures; /* processes captured: kept open between windows */
	struct coverage cover; /* how long it has been open, in all */
	size_t nprocs;	       /* processes running it now */
	uint64_t idle_since;   /* when nprocs dropped to 0 */
	uint64_t failed_at;    /* attaching failed then: not retried for a minute */
};

struct watched_proc {
	pid_t pid;
	uint64_t start; /* with pid, names the process across pid reuse */
	struct probed_file *file;
	char *exe;
	char service[128];	/* the service label, from its cgroup once counted */
	bool ignored;		/* excluded by the config: not counted */
	bool counted;		/* its file is probed for it (it is in file->nprocs) */
	uint64_t cover0;	/* its file's coverage when it began to be counted */
	unsigned int checks;	/* re-checks done for a libuv loaded late */
	uint64_t next_check_ns; /* 0: no re-check pending */
};

struct targets {
	int epfd;
	const struct daemon_config *cfg;
	struct probed_file **files;
	size_t nfiles, files_cap;
	struct watched_proc *procs;
	size_t nprocs, procs_cap;
	uint64_t next_rescan_ns;
	/* figures of tracers already closed, so counters never go back */
	struct probe_stats closed_stats;
	uint64_t attach_failures;
	void (*capture_sink)(void *ctx, const void *rec, size_t len);
	void *capture_ctx;
	/* sampled mode: the schedule, whether its window is open, the epoch
	 * of the last one opened, and what opening and closing cost */
	struct sampling sched;
	bool window_open;
	uint32_t epoch;
	uint64_t windows, attach_ns, detach_ns, reattach_failures;
	struct detach_job {
		pthread_t thread;
		bool running;
		struct tracer **tracers; /* of the files closed */
		size_t n;
		uint64_t took_ns;
	} detach;
	struct exited exited;
};

static void stats_add(struct probe_stats *sum, const struct probe_stats *s)
{
	const uint64_t *src = (const uint64_t *)s;
	uint64_t *dst = (uint64_t *)sum;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

/* ---- probed files ---------------------------------------------------- */

/* The runtime label of a probed file's processes. */
static const char *file_runtime(const struct probed_file *f)
{
	return f->kind == FILE_NODE ? "node" : "libuv";
}

static void *probes_out_one(void *tracer)
{
	tracer_probes_out(tracer);
	return NULL;
}

/* The detach job's body: every tracer's probes out, each from a thread of
 * its own, since waiters at the same time share their grace periods. */
static void *detach_run(void *arg)
{
	struct detach_job *j = arg;
	pthread_t *th = calloc(j->n + 1, sizeof(*th));
	bool *started = calloc(j->n + 1, sizeof(*started));
	uint64_t t0 = now_ns();

	for (size_t i = 0; i < j->n; i++) {
		if (th && started)
			started[i] = !pthread_create(&th[i], NULL, probes_out_one, j->tracers[i]);
		if (!started || !started[i]) /* out still, just not alongside the others */
			tracer_probes_out(j->tracers[i]);
	}
	for (size_t i = 0; started && i < j->n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	free(th);
	free(started);
	j->took_ns = now_ns() - t0;
	return NULL;
}

/* Waits for the detach job, if one runs: before anything else touches a
 * tracer's probes (or frees it). */
static void detach_wait(struct targets *t)
{
	struct detach_job *j = &t->detach;

	if (!j->running)
		return;
	pthread_join(j->thread, NULL);
	j->running = false;
	t->detach_ns += j->took_ns;
	free(j->tracers);
	j->tracers = NULL;
}

/*
 * Takes the probes of every probed file that is closed out, in the
 * background: counting has stopped already (the window's edge is exact),
 * and removing links waits for grace periods (~0.1 s here) the loop need
 * not wait for. Returns how many files.
 */
static size_t detach_start(struct targets *t)
{
	struct detach_job *j = &t->detach;

	detach_wait(t);
	j->n = 0;
	j->tracers = calloc(t->nfiles + 1, sizeof(*j->tracers));
	for (size_t i = 0; i < t->nfiles; i++) {
		struct probed_file *f = t->files[i];

		if (!f->tracer || f->open)
			continue;
		if (j->tracers)
			j->tracers[j->n++] = f->tracer;
		else
			tracer_probes_out(f->tracer); /* no memory: here and now */
	}
	if (j->n && !pthread_create(&j->thread, NULL, detach_run, j)) {
		j->running = true;
		return j->n;
	}
	detach_run(j); /* no thread: here and now */
	t->detach_ns += j->took_ns;
	free(j->tracers);
	j->tracers = NULL;
	return j->n;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct probed_file *f = ctx;
	const struct ev_hdr *h = data;
	int err;

	if (size < sizeof(*h))
		return 0;
	if (h->kind == EV_UV_NEWCB && size >= sizeof(struct ev_uv)) {
		const struct ev_uv *u = data;

		detach_wait(f->owner);
		err = tracer_watch_uv_callback(f->tracer, h->pid, u->cb);
		if (err)
			vlog("cannot probe libuv callback 0x%llx of process %u: %s",
			     (unsigned long long)u->cb, h->pid, strerror(-err));
		return 0;
	}
	if (f->owner->capture_sink)
		f->owner->capture_sink(f->owner->capture_ctx, data, size);
	return 0;
}

static void file_ready(void *ctx)
{
	struct probed_file *f = ctx;

	if (f->rb)
		ring_buffer__consume(f->rb);
}

/* Whether f's events should be counted now: always in exact mode; in sampled
 * mode during a window, and between windows while one of its processes is
 * captured (a capture is every event). */
static bool file_wants_open(const struct targets *t, const struct probed_file *f)
{
	return t->cfg->mode == DAEMON_EXACT || t->window_open || f->captures;
}

/* Starts counting f's events; its probes are in. */
static void file_open(struct targets *t, struct probed_file *f, uint64_t now)
{
	if (f->open || !f->tracer)
		return;
	tracer_window_open(f->tracer, t->epoch);
	coverage_open(&f->cover, now);
	f->open = true;
}

/* Stops counting f's events; the caller takes its probes out. */
static void file_close(struct targets *t, struct probed_file *f, uint64_t now)
{
	if (!f->open)
		return;
	tracer_window_close(f->tracer);
	coverage_close(&f->cover, now);
	f->open = false;
}

/* A new epoch: state the probes left in any earlier window is stale. */
static uint32_t next_epoch(struct targets *t)
{
	if (!++t->epoch)
		t->epoch = 1;
	return t->epoch;
}

static void file_unprobe(struct targets *t, struct probed_file *f)
{
	struct probe_stats s;

	if (!f->tracer)
		return;
	detach_wait(t);
	file_close(t, f, now_ns());
	tracer_read_stats(f->tracer, &s);
	stats_add(&t->closed_stats, &s);
	if (f->rb) {
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, ring_buffer__epoll_fd(f->rb), NULL);
		ring_buffer__free(f->rb);
		f->rb = NULL;
	}
	tracer_destroy(f->tracer);
	f->tracer = NULL;
	vlog("probes removed from %s (no process runs it)", f->shown);
}

/* Puts the probes in, for every process that runs the file. */
static int file_probe(struct targets *t, struct probed_file *f)
{
	struct tracer_opts o = {
		.pid = -1,
		.binary = f->fd_path,
		.layout = f->kind == FILE_NODE ? f->node : NULL,
		.uv = f->kind == FILE_UV ? f->uv : NULL,
		.ringbuf_bytes = FILE_RINGBUF_BYTES,
		.aggregate = true,
		.sampled = t->cfg->mode == DAEMON_SAMPLED,
	};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &f->src};
	const char *why = NULL;
	int err;

	if (f->tracer)
		return 0;
	if (f->failed_at && now_ns() - f->failed_at < ATTACH_RETRY_NS)
		return -EAGAIN;
	err = tracer_open(&o, &f->tracer, &why);
	if (err) {
		f->failed_at = now_ns();
		t->attach_failures++;
		elog("%s: %s: %s", f->shown, why ? why : "attach failed", strerror(-err));
		return err;
	}
	f->rb = ring_buffer__new(tracer_ringbuf_fd(f->tracer), on_record, f, NULL);
	f->src = (struct loop_source){file_ready, f};
	if (!f->rb || epoll_ctl(t->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(f->rb), &ev)) {
		err = -errno;
		elog("%s: cannot watch its ring buffer: %s", f->shown, strerror(-err));
		file_unprobe(t, f);
		return err;
	}
	/* a re-probed file: its excluded processes are left out again */
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].file == f && t->procs[i].ignored)
			tracer_ignore_process(f->tracer, t->procs[i].pid, true);
	/* sampled, between windows: attached only to check every site; the
	 * next window puts them back */
	if (file_wants_open(t, f))
		file_open(t, f, now_ns());
	else
		tracer_probes_out(f->tracer);
	ilog("probes in %s (%s%s%s): %zu sites, every process", f->shown, file_runtime(f),
	     f->version[0] ? " " : "", f->version, tracer_nlinks(f->tracer));
	return 0;
}

static struct probed_file *file_find(struct targets *t, const struct stat *st)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		struct probed_file *f = t->files[i];

		if (f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
		    f->mtime.tv_sec == st->st_mtim.tv_sec &&
		    f->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return f;
	}
	return NULL;
}

static void file_free(struct targets *t, size_t i)
{
	struct probed_file *f = t->files[i];

	file_unprobe(t, f);
	if (f->fd >= 0)
		close(f->fd);
	free(f->node);
	free(f->uv);
	free(f);
	t->files[i] = t->files[--t->nfiles];
}

static bool file_in_use(const struct targets *t, const struct probed_file *f)
{
	if (f->pinned || f->tracer || f->nprocs)
		return true;
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].file == f)
			return true;
	return false;
}

/* Forgets files no process uses any more (an unprobed node binary stops
 * being held open) and, past a bound, the plain executables remembered. */
static void files_trim(struct targets *t)
{
	size_t plain = 0;

	for (size_t i = 0; i < t->nfiles; i++)
		plain += t->files[i]->kind == FILE_NONE;
	for (size_t i = 0; i < t->nfiles;) {
		struct probed_file *f = t->files[i];

		if ((f->kind != FILE_NONE || plain > MAX_PLAIN_FILES) && !file_in_use(t, f))
			file_free(t, i);
		else
			i++;
	}
}

/*
 * The file at path, classified once per inode. as_lib: it is a shared
 * library a process maps (only libuv is looked for); otherwise an
 * executable (node, or a program with libuv built in).
 */
static struct probed_file *file_get(struct targets *t, const char *path, const char *shown,
				    bool as_lib)
{
	struct probed_file *f;
	enum cache_state cache;
	struct stat st;

	int fd;

	/* known already (every exec of a known file): no need to open it */
	if (stat(path, &st))
		return NULL;
	f = file_find(t, &st);
	if (f)
		return f;
	/* new: its identity from the open file, in case the path moved on */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	f = file_find(t, &st);
	if (f) {
		close(fd);
		return f;
	}
	if (array_grow((void **)&t->files, &t->files_cap, t->nfiles + 1, sizeof(*t->files))) {
		close(fd);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		close(fd);
		return NULL;
	}
	f->owner = t;
	f->fd = fd;
	snprintf(f->fd_path, sizeof(f->fd_path), "/proc/self/fd/%d", fd);
	path = f->fd_path;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	snprintf(f->shown, sizeof(f->shown), "%s", shown);
	f->node = malloc(sizeof(*f->node));
	f->uv = malloc(sizeof(*f->uv));
	if (!f->node || !f->uv)
		goto fail;
	if (!as_lib && !node_layout__resolve_cached(path, f->node, &cache)) {
		f->kind = FILE_NODE;
		node_binary_version(path, f->version, sizeof(f->version));
		free(f->uv);
		f->uv = NULL;
	} else {
		free(f->node);
		f->node = NULL;
		/* a node binary that did not resolve is left alone: its libuv is
		 * node's, and the node layer is the one that describes it */
		/* by its own name (a shared libuv is told by it), probed through the fd */
		f->kind = !uv_layout__resolve(as_lib ? shown : path, f->uv) && f->uv->nsites > 0 ?
				  FILE_UV :
				  FILE_NONE;
		if (f->kind == FILE_NONE) {
			free(f->uv);
			f->uv = NULL;
		} else {
			snprintf(f->uv->path, sizeof(f->uv->path), "%s", path);
			snprintf(f->version, sizeof(f->version), "%s", f->uv->version);
		}
	}
	if (f->kind == FILE_NONE) {
		/* remembered by inode only: no need to keep it open */
		close(f->fd);
		f->fd = -1;
	}
	t->files[t->nfiles++] = f;
	return f;
fail:
	close(fd);
	free(f->node);
	free(f->uv);
	free(f);
	return NULL;
}

/* ---- processes ----------------------------------------------------------- */

static struct watched_proc *proc_find(struct targets *t, pid_t pid)
{
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	return NULL;
}

/* The type label of a row counted by f's probes. */
static const char *row_type(const struct probed_file *f, const struct agg_key *k, char *buf,
			    size_t len)
{
	const char *type;

	if (k->type == AGG_TYPE_UNKNOWN)
		return "unknown";
	if (k->type == AGG_TYPE_PROCESS)
		return ""; /* the process's own figures (microtasks) */
	type = k->layer == LAYER_NODE ? node_layout__provider_name(f->node, k->type) :
					uv_type_name(k->type);
	if (type)
		return type;
	/* a type number the binary has no name for: distinct from "unknown" */
	snprintf(buf, len, "type-%u", k->type);
	return buf;
}

/* p's labels, and how long its events have been counted up to at. */
static void proc_metrics(const struct watched_proc *p, uint64_t at, struct metrics_proc *mp)
{
	uint64_t seen = coverage_at(&p->file->cover, at);

	*mp = (struct metrics_proc){.pid = p->pid};
	snprintf(mp->service, sizeof(mp->service), "%s", p->service);
	snprintf(mp->exe, sizeof(mp->exe), "%s", p->exe);
	snprintf(mp->runtime, sizeof(mp->runtime), "%s", file_runtime(p->file));
	snprintf(mp->version, sizeof(mp->version), "%s", p->file->version);
	mp->observed_s = (seen > p->cover0 ? seen - p->cover0 : 0) / 1e9;
}

struct exit_ctx {
	const struct probed_file *f;
	struct metrics_snapshot *one;
};

static void exit_row(void *ctx, const struct agg_key *k, const struct agg_counts *c)
{
	struct exit_ctx *x = ctx;
	char buf[24];

	metrics_add_row(x->one, 0, k->layer, row_type(x->f, k, buf, sizeof(buf)), c);
}

/*
 * p exited at ts: its exit is counted for its executable, and its final
 * series are kept for exit_linger (read from the maps as they are freed).
 */
static void proc_exited(struct targets *t, struct watched_proc *p, uint64_t ts)
{
	struct probed_file *f = p->file;
	struct metrics_snapshot one = {0};
	struct exit_ctx x = {f, &one};
	struct metrics_proc mp;

	if (!f || p->ignored)
		return; /* neither node nor libuv, or not watched */
	exited_count(&t->exited, p->exe, file_runtime(f), f->version);
	if (!f->tracer || !p->counted || !t->cfg->exit_linger_ns)
		return;
	proc_metrics(p, ts, &mp);
	mp.exited = 1;
	if (metrics_add_proc(&one, &mp) < 0)
		return;
	tracer_forget_process_rows(f->tracer, p->pid, exit_row, &x);
	if (one.nrows)
		exited_keep(&t->exited, &one, now_ns() + t->cfg->exit_linger_ns);
	else
		metrics_snapshot_free(&one); /* nothing was counted: nothing to show */
}

static void proc_remove(struct targets *t, struct watched_proc *p)
{
	struct probed_file *f = p->file;

	/* every tracer: a node linked to the shared libuv is counted by both */
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i]->tracer)
			tracer_forget_process(t->files[i]->tracer, p->pid);
	if (f && p->counted && --f->nprocs == 0)
		f->idle_since = now_ns();
	free(p->exe);
	*p = t->procs[--t->nprocs];
}

static bool proc_wanted(const struct targets *t, pid_t pid, const char *exe)
{
	char cg[1024] = "";

	/* read only when a rule needs it: this runs for every exec */
	if (t->cfg->ninclude_cgroup || t->cfg->nexclude_cgroup)
		proc_cgroup(pid, cg, sizeof(cg));
	return daemon_config_wants(t->cfg, exe, cg);
}

/* Starts counting p: its file probed (once for all its processes). */
static void proc_count(struct targets *t, struct watched_proc *p)
{
	struct probed_file *f = p->file;

	if (p->counted || file_probe(t, f))
		return;
	p->counted = true;
	p->cover0 = coverage_at(&f->cover, now_ns());
	{
		char cg[1024];

		/* read once: a process that moves to another cgroup keeps its series */
		proc_cgroup(p->pid, cg, sizeof(cg));
		service_from_cgroup(cg, p->service, sizeof(p->service));
	}
	/* a process of that pid kept after its exit: labels would clash */
	exited_forget_pid(&t->exited, p->pid);
	f->nprocs++;
	f->idle_since = 0;
	if (f->kind == FILE_UV) {
		/* libuv callbacks live in the program's files: probe them now */
		detach_wait(t);
		tracer_prescan_process(f->tracer, p->pid);
	}
	ilog("watching process %d (%s, %s%s%s)", p->pid, p->exe, file_runtime(f),
	     f->version[0] ? " " : "", f->version);
}

/* Stops counting p (excluded now); its file stays probed for the others. */
static void proc_uncount(struct targets *t, struct watched_proc *p)
{
	struct probed_file *f = p->file;

	if (!p->counted)
		return;
	p->counted = false;
	if (--f->nprocs == 0)
		f->idle_since = now_ns();
}

/* Binds p to the file its events come from. An excluded process does not
 * get a file probed for it; where others have it probed, the probes skip it. */
static void proc_bind(struct targets *t, struct watched_proc *p, struct probed_file *f)
{
	p->file = f;
	p->next_check_ns = 0;
	if (p->ignored) {
		if (f->tracer)
			tracer_ignore_process(f->tracer, p->pid, true);
		vlog("process %d (%s) excluded by the config", p->pid, p->exe);
		return;
	}
	proc_count(t, p);
}

/* Looks at a process: node, a libuv program, or (not yet) neither. */
/* libs: look for a shared libuv too (pointless right at exec: the dynamic
 * loader has not mapped any library yet; the re-checks do it) */
static void proc_examine(struct targets *t, struct watched_proc *p, bool libs)
{
	char exe_path[64], lib[PATH_MAX];
	struct probed_file *f;

	snprintf(exe_path, sizeof(exe_path), "/proc/%d/exe", p->pid);
	f = file_get(t, exe_path, p->exe, false);
	if (f && f->kind != FILE_NONE) {
		proc_bind(t, p, f);
		return;
	}
	if (!f || !libs)
		return; /* gone, or no executable (a kernel thread) */
	/* the shared libuv it has mapped (through its root: containers); the
	 * executable itself was looked at for libuv by file_get */
	if (!uv_find_shared_in_process(p->pid, lib, sizeof(lib))) {
		f = file_get(t, lib, lib, true);
		if (f && f->kind == FILE_UV)
			proc_bind(t, p, f);
	}
}

static void proc_schedule_check(struct watched_proc *p, uint64_t now)
{
	p->next_check_ns = p->checks < NCHECKS ? now + recheck_ms[p->checks] * NS_PER_MS : 0;
}

/* A process, new or found by a scan; from_exec: it just started its image. */
static void consider(struct targets *t, pid_t pid, bool from_exec)
{
	struct watched_proc *p = proc_find(t, pid);
	uint64_t start = proc_start_time(pid);
	char exe[PATH_MAX];

	if (p && (p->start != start || from_exec)) {
		/* pid reused (its exit was missed), or a new image: what ran
		 * there has ended, as an exit would have ended it */
		proc_exited(t, p, now_ns());
		proc_remove(t, p);
	} else if (p) {
		return;
	}
	if (!start || proc_exe_target(pid, exe, sizeof(exe)))
		return; /* gone, or a kernel thread */
	if (array_grow((void **)&t->procs, &t->procs_cap, t->nprocs + 1, sizeof(*t->procs)))
		return;
	p = &t->procs[t->nprocs++];
	*p = (struct watched_proc){.pid = pid, .start = start, .exe = strdup(exe)};
	if (!p->exe) {
		t->nprocs--;
		return;
	}
	p->ignored = !proc_wanted(t, pid, exe);
	proc_examine(t, p, !from_exec);
	if (!p->file && from_exec)
		proc_schedule_check(p, now_ns());
	else if (!p->file)
		proc_remove(t, p); /* a scan: looked at again by the next one */
}

/* ---- public ------------------------------------------------------------- */

int targets_new(int epfd, const struct daemon_config *cfg, struct targets **out)
{
	struct targets *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->epfd = epfd;
	t->cfg = cfg;
	t->sched = (struct sampling){.origin_ns = now_ns()};
	targets_set_config(t, cfg);
	/* the first window opens now, so what runs at start-up is seen at once */
	if (cfg->mode == DAEMON_SAMPLED) {
		t->window_open = true;
		next_epoch(t);
		t->windows = 1;
	}
	*out = t;
	return 0;
}

void targets_free(struct targets *t)
{
	if (!t)
		return;
	detach_wait(t);
	for (size_t i = 0; i < t->nprocs; i++)
		free(t->procs[i].exe);
	free(t->procs);
	for (size_t i = 0; i < t->nfiles; i++) {
		file_unprobe(t, t->files[i]);
		if (t->files[i]->fd >= 0)
			close(t->files[i]->fd);
		free(t->files[i]->node);
		free(t->files[i]->uv);
		free(t->files[i]);
	}
	free(t->files);
	exited_free(&t->exited);
	free(t);
}

void targets_probe_system_libuv(struct targets *t)
{
	char path[PATH_MAX];
	struct probed_file *f;

	if (uv_system_library(path, sizeof(path)))
		return;
	f = file_get(t, path, path, true);
	if (!f || f->kind != FILE_UV || file_probe(t, f))
		return;
	f->pinned = true;
}

void targets_set_config(struct targets *t, const struct daemon_config *cfg)
{
	t->cfg = cfg;
	/* the mode is fixed at start (the probes were built for it); window
	 * and period apply from the next edge on */
	t->sched.window_ns = cfg->sample_window_ns;
	t->sched.period_ns = cfg->mode == DAEMON_SAMPLED ? cfg->sample_period_ns : 0;
	for (size_t i = 0; i < t->nprocs; i++) {
		struct watched_proc *p = &t->procs[i];
		bool ignored = !proc_wanted(t, p->pid, p->exe);

		if (ignored == p->ignored)
			continue;
		p->ignored = ignored;
		ilog("process %d (%s) %s by the new config", p->pid, p->exe,
		     ignored ? "excluded" : "included");
		if (!p->file)
			continue;
		if (p->file->tracer)
			tracer_ignore_process(p->file->tracer, p->pid, ignored);
		if (ignored)
			proc_uncount(t, p);
		else
			proc_count(t, p);
	}
}

void targets_scan_all(struct targets *t)
{
	struct dirent *d;
	DIR *dir;

	/* entries whose exit was not seen (exit records lost) */
	for (size_t i = 0; i < t->nprocs;) {
		struct watched_proc *p = &t->procs[i];

		if (proc_start_time(p->pid) != p->start) {
			proc_exited(t, p, now_ns());
			proc_remove(t, p);
			continue;
		}
		i++;
	}
	files_trim(t);
	dir = opendir("/proc");
	if (!dir) {
		elog("cannot read /proc: %s", strerror(errno));
		return;
	}
	while ((d = readdir(dir))) {
		pid_t pid;

		if (!proc_parse_pid(d->d_name, &pid) && pid != getpid())
			consider(t, pid, false);
	}
	closedir(dir);
	t->next_rescan_ns = now_ns() + RESCAN_NS;
}

void targets_on_exec(struct targets *t, pid_t pid)
{
	if (pid != getpid())
		consider(t, pid, true);
}

void targets_on_exit(struct targets *t, pid_t pid, uint64_t ts_ns)
{
	struct watched_proc *p = proc_find(t, pid);

	if (!p)
		return;
	if (p->file)
		vlog("process %d (%s) exited", pid, p->exe);
	proc_exited(t, p, ts_ns);
	proc_remove(t, p);
}

/*
 * Sampled mode: at a window's edge, every probed file opens or closes. The
 * probes of all go in first and counting starts after (all at one instant,
 * so a process counted by two files has one coverage); at the end counting
 * stops first and the probes go out after. Returns the next edge.
 */
static uint64_t sample_edge(struct targets *t, uint64_t now)
{
	uint64_t next, t0 = now, t1;
	bool open = sampling_window_at(&t->sched, now, &next);
	size_t refused = 0, n = 0;

	if (t->cfg->mode != DAEMON_SAMPLED || open == t->window_open)
		return next;
	t->window_open = open;
	if (open) {
		detach_wait(t);
		next_epoch(t);
		t->windows++;
		for (size_t i = 0; i < t->nfiles; i++)
			if (t->files[i]->tracer && !t->files[i]->open) {
				refused += tracer_probes_in(t->files[i]->tracer);
				n++;
			}
		t1 = now_ns();
		for (size_t i = 0; i < t->nfiles; i++)
			if (t->files[i]->tracer)
				file_open(t, t->files[i], t1);
		t->attach_ns += t1 - t0;
		t->reattach_failures += refused;
		if (refused)
			vlog("window %llu: %zu probe links refused by the kernel",
			     (unsigned long long)t->windows, refused);
	} else {
		for (size_t i = 0; i < t->nfiles; i++)
			if (!t->files[i]->captures)
				file_close(t, t->files[i], t0);
		n = detach_start(t);
		t1 = now_ns();
	}
	dlog("window %llu %s at %llu: %zu files, %.2f ms", (unsigned long long)t->windows,
	     open ? "opened" : "closed", (unsigned long long)t0, n, (t1 - t0) / 1e6);
	return next;
}

static void sweep_unknown(struct targets *t);

int targets_tick(struct targets *t)
{
	uint64_t now = now_ns(), next = now + RESCAN_NS, at;

	for (size_t i = 0; i < t->nprocs;) {
		struct watched_proc *p = &t->procs[i];

		if (!p->file && p->next_check_ns && p->next_check_ns <= now) {
			p->checks++;
			proc_examine(t, p, true);
			if (!p->file)
				proc_schedule_check(p, now);
			if (!p->file && !p->next_check_ns) {
				proc_remove(t, p); /* neither: the rescan will look again */
				continue;
			}
		}
		if (p->next_check_ns && p->next_check_ns < next)
			next = p->next_check_ns;
		i++;
	}
	for (size_t i = 0; i < t->nfiles; i++) {
		struct probed_file *f = t->files[i];

		if (!f->tracer || f->nprocs || !f->idle_since || f->pinned)
			continue;
		if (now - f->idle_since >= LINGER_NS)
			file_unprobe(t, f);
		else if (f->idle_since + LINGER_NS < next)
			next = f->idle_since + LINGER_NS;
	}
	if (now >= t->next_rescan_ns) {
		targets_scan_all(t);
		/* processes counted but gone before their exec was looked at */
		sweep_unknown(t);
		now = now_ns();
	}
	if (t->next_rescan_ns < next)
		next = t->next_rescan_ns;
	if ((at = exited_expire(&t->exited, now)) < next)
		next = at;
	if ((at = sample_edge(t, now)) < next)
		next = at;
	now = now_ns();
	return next > now ? (int)((next - now) / NS_PER_MS) + 1 : 0;
}

int targets_capture(struct targets *t, pid_t pid, bool on,
		    void (*sink)(void *ctx, const void *rec, size_t len), void *ctx)
{
	struct watched_proc *p = proc_find(t, pid);

	struct probed_file *f = p ? p->file : NULL;
	int err;

	if (!f || !f->tracer)
		return -ESRCH;
	detach_wait(t);
	if (on) {
		t->capture_sink = sink;
		t->capture_ctx = ctx;
	}
	err = tracer_capture_process(f->tracer, pid, on);
	if (err)
		return err;
	/* sampled: a capture is every event, so its file stays open between
	 * windows (a window of its own, with a new epoch) until it ends */
	if (on && !f->captures++ && !f->open) {
		t->reattach_failures += tracer_probes_in(f->tracer);
		next_epoch(t);
		file_open(t, f, now_ns());
	} else if (!on && f->captures && !--f->captures && !file_wants_open(t, f)) {
		file_close(t, f, now_ns());
		tracer_probes_out(f->tracer);
	}
	return 0;
}

int targets_capture_meta(struct targets *t, pid_t pid, struct capture_meta *m)
{
	struct watched_proc *p = proc_find(t, pid);
	struct capture_target ct;

	if (!p || !p->file || p->ignored)
		return -ESRCH;
	ct = (struct capture_target){
		.pid = pid,
		.exe = p->exe,
		.command = "(asyncscope daemon capture)",
		.node = p->file->kind == FILE_NODE ? p->file->node : NULL,
		.node_version = p->file->version,
		.uv = p->file->kind == FILE_UV ? p->file->uv : NULL,
		.uv_path = p->file->shown,
		.js_mode = "off",
	};
	return capture_meta_for_target(&ct, m);
}

void targets_drain(struct targets *t)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i]->rb)
			ring_buffer__consume(t->files[i]->rb);
}

size_t targets_nprocs(const struct targets *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nprocs; i++)
		n += t->procs[i].counted;
	return n;
}

struct snap_ctx {
	struct targets *t;
	struct probed_file *f;
	struct metrics_snapshot *s;
	long *index; /* procs[i] -> snapshot process index, -1 not added yet */
	size_t nindex;
	uint64_t now;
};

static void snap_row(void *ctx, const struct agg_key *k, const struct agg_counts *c)
{
	struct snap_ctx *sc = ctx;
	struct watched_proc *p = proc_find(sc->t, k->tgid);
	char unnamed[24];
	size_t i;

	if (!p || p->file != sc->f || p->ignored)
		return; /* not (yet) known, or its counts are not shown */
	i = p - sc->t->procs;
	if (i >= sc->nindex)
		return;
	if (sc->index[i] < 0) {
		struct metrics_proc mp;

		proc_metrics(p, sc->now, &mp);
		sc->index[i] = metrics_add_proc(sc->s, &mp);
		if (sc->index[i] < 0)
			return;
	}
	metrics_add_row(sc->s, sc->index[i], k->layer, row_type(sc->f, k, unnamed, sizeof(unnamed)),
			c);
}

/* Processes counted by a file's probes but not known yet: a libuv loaded
 * after the last re-check. They are looked at now. */
static void learn_unknown(void *ctx, const struct agg_key *k, const struct agg_counts *c)
{
	struct snap_ctx *sc = ctx;

	if (!proc_find(sc->t, k->tgid)) {
		consider(sc->t, k->tgid, false);
		if (!proc_find(sc->t, k->tgid) && !proc_alive(k->tgid))
			tracer_forget_process(sc->f->tracer, k->tgid);
	}
}

static void sweep_unknown(struct targets *t)
{
	struct snap_ctx sc = {.t = t};

	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i]->tracer) {
			sc.f = t->files[i];
			tracer_agg_foreach(sc.f->tracer, learn_unknown, &sc);
		}
}

void targets_snapshot(struct targets *t, struct metrics_snapshot *s)
{
	struct probe_stats total = t->closed_stats;
	struct snap_ctx sc = {.t = t, .s = s, .now = now_ns()};

	detach_wait(t); /* its links counted once they are gone */
	sweep_unknown(t);
	sc.nindex = t->nprocs;
	sc.index = malloc((t->nprocs + 1) * sizeof(*sc.index));
	if (sc.index)
		for (size_t i = 0; i < t->nprocs; i++)
			sc.index[i] = -1;
	else
		sc.nindex = 0;
	for (size_t i = 0; i < t->nfiles; i++) {
		struct probed_file *f = t->files[i];
		struct probe_stats st;

		if (!f->tracer)
			continue;
		sc.f = f;
		tracer_agg_foreach(f->tracer, snap_row, &sc);
		tracer_read_stats(f->tracer, &st);
		stats_add(&total, &st);
		s->self.files_probed++;
		s->self.probes_attached += tracer_nlinks(f->tracer);
		s->self.links += tracer_nkernel_links(f->tracer);
	}
	free(sc.index);
	exited_snapshot(&t->exited, s, !t->cfg->metrics_pid_label);
	s->self.pid_label = t->cfg->metrics_pid_label;
	s->self.exited_kept = t->exited.n;
	s->self.exited_dropped = t->exited.dropped;
	s->self.sampled = t->cfg->mode == DAEMON_SAMPLED;
	s->self.sample_window_s = t->sched.window_ns / 1e9;
	s->self.sample_period_s = t->sched.period_ns / 1e9;
	s->self.windows = t->windows;
	s->self.attach_seconds = t->attach_ns / 1e9;
	s->self.detach_seconds = t->detach_ns / 1e9;
	s->self.reattach_failures = t->reattach_failures;
	s->self.procs_watched = targets_nprocs(t);
	s->self.events_lost += total.ringbuf_drops + total.agg_map_full;
	s->self.read_errors += total.read_errors;
	s->self.attach_failures = t->attach_failures;
}
