// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Uprobe attachment in batches: uprobe_multi links where the kernel has them,
 * perf-event uprobes where it does not. See uprobes.h for why.
 *
 * libbpf 1.1 (Debian 12) predates uprobe_multi, so the link is created with
 * the bpf() syscall directly; the attribute layout is the kernel's uapi one.
 */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/array_grow.h"
#include "live/uprobes.h"
#include "lib/log.h"

/* uapi values, for headers that predate them */
#define ATTACH_TYPE_UPROBE_MULTI 48 /* BPF_TRACE_UPROBE_MULTI */
#define UPROBE_MULTI_RETURN	 1u /* BPF_F_UPROBE_MULTI_RETURN */
#define DETACH_THREADS		 32

/* union bpf_attr, as BPF_LINK_CREATE reads it for uprobe_multi */
struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
	uint32_t pad;
};

struct pending_site {
	struct bpf_program *prog;
	bool retprobe;
	pid_t pid;
	char *path;
	uint64_t off, cookie;
	char what[64];
};

/* How a link was made, so uprobes_reattach() can make it again. */
struct link_spec {
	struct bpf_program *prog;
	bool retprobe;
	pid_t pid;
	size_t file;	/* index into files */
	uint64_t *offs; /* n offsets, then n cookies */
	size_t n;
};

/* A file probes are in, held for re-attaching: its path may name a process
 * (/proc/PID/root/...) that is gone by the next window. */
struct held_file {
	char *path;
	int fd;		 /* O_PATH; -1 when path is one of our own fds already */
	char reopen[32]; /* /proc/self/fd/N, or "" to use path */
};

struct uprobes {
	bool multi;
	struct pending_site *pending;
	size_t npending, pending_cap;
	int *link_fds; /* uprobe_multi links; -1 while detached */
	struct link_spec *fd_specs;
	size_t nfds, fds_cap, fd_specs_cap;
	struct bpf_link **links; /* perf-event uprobes; NULL while detached */
	struct link_spec *link_specs;
	size_t nlinks, links_cap, link_specs_cap;
	struct held_file *files;
	size_t nfiles, files_cap;
	bool detached; /* uprobes_detach() until uprobes_reattach() */
	size_t nsites;
};

static int link_create_multi(int prog_fd, bool retprobe, pid_t pid, const char *path,
			     const uint64_t *offs, const uint64_t *cookies, size_t n)
{
	struct link_create_uprobe_multi attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = ATTACH_TYPE_UPROBE_MULTI;
	attr.path = (uint64_t)(uintptr_t)path;
	attr.offsets = (uint64_t)(uintptr_t)offs;
	attr.cookies = (uint64_t)(uintptr_t)cookies;
	attr.cnt = n;
	attr.multi_flags = retprobe ? UPROBE_MULTI_RETURN : 0;
	attr.pid = pid > 0 ? pid : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

bool uprobes_multi_supported(void)
{
	static const struct bpf_insn ret0[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po,
		    .expected_attach_type = (enum bpf_attach_type)ATTACH_TYPE_UPROBE_MULTI);
	const char *force = getenv("ASYNCSCOPE_UPROBE_MULTI");
	uint64_t off = 0;
	int prog, link;

	/* "0" forces the perf-event fallback (tests cover both paths) */
	if (force && !strcmp(force, "0"))
		return false;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ret0, 2, &po);
	if (prog < 0)
		return false;
	/* "/" is no regular file: a kernel that knows the link type says EBADF */
	link = link_create_multi(prog, false, 0, "/", &off, NULL, 1);
	if (link >= 0)
		close(link);
	close(prog);
	return link == -EBADF;
}

void uprobes_prepare_object(struct bpf_object *obj, bool multi)
{
	struct bpf_program *prog;

	if (!multi)
		return;
	bpf_object__for_each_program(prog, obj) if (bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE)
		bpf_program__set_expected_attach_type(
			prog, (enum bpf_attach_type)ATTACH_TYPE_UPROBE_MULTI);
}

int uprobes_new(bool multi, struct uprobes **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->multi = multi;
	return 0;
}

int uprobes_add(struct uprobes *u, struct bpf_program *prog, bool retprobe, pid_t pid,
		const char *path, uint64_t file_off, uint64_t cookie, const char *what)
{
	struct pending_site *s;

	if (array_grow((void **)&u->pending, &u->pending_cap, u->npending + 1, sizeof(*u->pending)))
		return -ENOMEM;
	s = &u->pending[u->npending];
	*s = (struct pending_site){prog, retprobe, pid, strdup(path), file_off, cookie, ""};
	if (!s->path)
		return -ENOMEM;
	snprintf(s->what, sizeof(s->what), "%s", what);
	u->npending++;
	return 0;
}

/* The held file for path (opened once), or -errno. */
static long file_hold(struct uprobes *u, const char *path)
{
	struct held_file *f;

	for (size_t i = 0; i < u->nfiles; i++)
		if (!strcmp(u->files[i].path, path))
			return i;
	if (array_grow((void **)&u->files, &u->files_cap, u->nfiles + 1, sizeof(*u->files)))
		return -ENOMEM;
	f = &u->files[u->nfiles];
	*f = (struct held_file){.path = strdup(path), .fd = -1};
	if (!f->path)
		return -ENOMEM;
	if (strncmp(path, "/proc/self/fd/", 14)) {
		f->fd = open(path, O_PATH | O_CLOEXEC);
		if (f->fd < 0) {
			free(f->path);
			return -errno;
		}
		snprintf(f->reopen, sizeof(f->reopen), "/proc/self/fd/%d", f->fd);
	}
	return u->nfiles++;
}

/* Records how the link just made from sites[0..n) was made. 0 or -errno. */
static int spec_add(struct uprobes *u, struct link_spec **specs, size_t *cap, size_t i,
		    const struct pending_site *sites, size_t n)
{
	long file = file_hold(u, sites[0].path);
	struct link_spec *sp;

	if (file < 0)
		return file;
	if (array_grow((void **)specs, cap, i + 1, sizeof(**specs)))
		return -ENOMEM;
	sp = &(*specs)[i];
	*sp = (struct link_spec){sites[0].prog, sites[0].retprobe, sites[0].pid, file, NULL, n};
	sp->offs = calloc(2 * n, sizeof(*sp->offs));
	if (!sp->offs)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		sp->offs[k] = sites[k].off;
		sp->offs[n + k] = sites[k].cookie;
	}
	return 0;
}

static const char *spec_path(const struct uprobes *u, const struct link_spec *sp)
{
	const struct held_file *f = &u->files[sp->file];

	return f->reopen[0] ? f->reopen : f->path;
}

/* Each failure: an error, or a debug line when the caller counts them (quiet). */
static void log_failure(const struct pending_site *s, int err, bool quiet)
{
	log_msg(quiet ? 2 : -1, "cannot attach %s to %s+0x%llx (%s): %s",
		s->retprobe ? "uretprobe" : "uprobe", s->path, (unsigned long long)s->off, s->what,
		strerror(-err));
}

static int attach_perf(struct uprobes *u, const struct pending_site *s)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = s->retprobe, .bpf_cookie = s->cookie);
	struct bpf_link *link;
	int err;

	if ((err = array_grow((void **)&u->links, &u->links_cap, u->nlinks + 1, sizeof(*u->links))))
		return err;
	link = bpf_program__attach_uprobe_opts(s->prog, s->pid, s->path, s->off, &uo);
	if (!link)
		return -errno;
	if ((err = spec_add(u, &u->link_specs, &u->link_specs_cap, u->nlinks, s, 1))) {
		bpf_link__destroy(link);
		return err;
	}
	u->links[u->nlinks++] = link;
	return 0;
}

/* One multi link for sites[0..n), which share program, direction, pid and file. */
static int attach_multi(struct uprobes *u, const struct pending_site *sites, size_t n)
{
	uint64_t *offs = calloc(2 * n, sizeof(*offs));
	uint64_t *cookies = offs + n;
	int fd, err;

	if (!offs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		offs[i] = sites[i].off;
		cookies[i] = sites[i].cookie;
	}
	err = array_grow((void **)&u->link_fds, &u->fds_cap, u->nfds + 1, sizeof(*u->link_fds));
	fd = err ? err :
		   link_create_multi(bpf_program__fd(sites[0].prog), sites[0].retprobe,
				     sites[0].pid, sites[0].path, offs, cookies, n);
	free(offs);
	if (fd < 0)
		return fd;
	if ((err = spec_add(u, &u->fd_specs, &u->fd_specs_cap, u->nfds, sites, n))) {
		close(fd);
		return err;
	}
	u->link_fds[u->nfds++] = fd;
	return 0;
}

static bool same_batch(const struct pending_site *a, const struct pending_site *b)
{
	return a->prog == b->prog && a->retprobe == b->retprobe && a->pid == b->pid &&
	       !strcmp(a->path, b->path);
}

static int cmp_sites(const void *pa, const void *pb)
{
	const struct pending_site *a = pa, *b = pb;
	int c = strcmp(a->path, b->path);

	if (c)
		return c;
	if (a->prog != b->prog)
		return (uintptr_t)a->prog < (uintptr_t)b->prog ? -1 : 1;
	if (a->retprobe != b->retprobe)
		return a->retprobe ? 1 : -1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	/* the kernel refuses the same offset twice in one link */
	return a->off < b->off ? -1 : a->off > b->off;
}

/* Attaches sites one by one (perf uprobes, or multi links of one). */
static int attach_each(struct uprobes *u, const struct pending_site *sites, size_t n, size_t *ok,
		       size_t *failed)
{
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		int err = u->multi ? attach_multi(u, &sites[i], 1) : attach_perf(u, &sites[i]);

		if (err) {
			log_failure(&sites[i], err, failed != NULL);
			first = first ? first : err;
			if (failed)
				++*failed;
			continue;
		}
		dlog("attached %s%s at %s+0x%llx (%s)", bpf_program__name(sites[i].prog),
		     sites[i].retprobe ? " (return)" : "", sites[i].path,
		     (unsigned long long)sites[i].off, sites[i].what);
		++*ok;
	}
	return first;
}

static void detach_from(struct uprobes *u, size_t fds_from, size_t links_from);

int uprobes_commit(struct uprobes *u, size_t *attached, size_t *failed)
{
	struct pending_site *p = u->pending;
	size_t n = u->npending, ok = 0, uniq = 0, fds_from = u->nfds, links_from = u->nlinks;
	int first = 0;

	qsort(p, n, sizeof(*p), cmp_sites);
	/* the same site queued twice is attached once */
	for (size_t i = 0; i < n; i++) {
		if (uniq && same_batch(&p[uniq - 1], &p[i]) && p[uniq - 1].off == p[i].off) {
			free(p[i].path);
			continue;
		}
		p[uniq++] = p[i];
	}
	n = uniq;
	for (size_t i = 0, j; i < n; i = j) {
		int err;

		for (j = i + 1; j < n && same_batch(&p[i], &p[j]);)
			j++;
		if (u->multi && (err = attach_multi(u, &p[i], j - i)) == 0) {
			dlog("attached %s%s at %zu sites of %s", bpf_program__name(p[i].prog),
			     p[i].retprobe ? " (return)" : "", j - i, p[i].path);
			ok += j - i;
			continue;
		}
		err = attach_each(u, &p[i], j - i, &ok, failed);
		first = first ? first : err;
	}
	for (size_t i = 0; i < n; i++)
		free(p[i].path);
	/* detached (between windows): attached only to be checked, and kept
	 * for uprobes_reattach(), so nothing fires until the next window */
	if (u->detached)
		detach_from(u, fds_from, links_from);
	u->npending = 0;
	u->nsites += ok;
	if (attached)
		*attached = ok;
	return first;
}

size_t uprobes_count(const struct uprobes *u)
{
	return u ? u->nsites : 0;
}

size_t uprobes_links(const struct uprobes *u)
{
	size_t n = 0;

	if (!u)
		return 0;
	for (size_t i = 0; i < u->nfds; i++)
		n += u->link_fds[i] >= 0;
	for (size_t i = 0; i < u->nlinks; i++)
		n += u->links[i] != NULL;
	return n;
}

struct close_slice {
	int *fds;
	size_t n;
};

static void *close_slice(void *arg)
{
	struct close_slice *s = arg;

	for (size_t i = 0; i < s->n; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	return NULL;
}

/*
 * Each link's release waits for a grace period; waiters at the same time share
 * one, so the links are closed from several threads at once.
 */
static void close_parallel(int *fds, size_t n)
{
	struct close_slice slices[DETACH_THREADS];
	pthread_t threads[DETACH_THREADS];
	bool started[DETACH_THREADS] = {0};
	size_t nthreads = n < DETACH_THREADS ? n : DETACH_THREADS, next = 0;
	pthread_attr_t attr;

	if (n <= 1 || pthread_attr_init(&attr)) {
		struct close_slice all = {fds, n};

		close_slice(&all);
		return;
	}
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (size_t i = 0; i < nthreads; i++) {
		size_t len = n / nthreads + (i < n % nthreads);

		slices[i] = (struct close_slice){fds + next, len};
		next += len;
		started[i] = !pthread_create(&threads[i], &attr, close_slice, &slices[i]);
		if (!started[i]) /* its links are still closed, just not in parallel */
			close_slice(&slices[i]);
	}
	for (size_t i = 0; i < nthreads; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	pthread_attr_destroy(&attr);
}

/* Closes the links made from index fds_from and links_from on. */
static void detach_from(struct uprobes *u, size_t fds_from, size_t links_from)
{
	close_parallel(u->link_fds + fds_from, u->nfds - fds_from);
	for (size_t i = fds_from; i < u->nfds; i++)
		u->link_fds[i] = -1;
	for (size_t i = links_from; i < u->nlinks; i++) {
		bpf_link__destroy(u->links[i]);
		u->links[i] = NULL;
	}
}

void uprobes_detach(struct uprobes *u)
{
	detach_from(u, 0, 0);
	u->detached = true;
}

size_t uprobes_reattach(struct uprobes *u)
{
	size_t failed = 0;

	u->detached = false;
	for (size_t i = 0; i < u->nfds; i++) {
		const struct link_spec *sp = &u->fd_specs[i];
		int fd;

		if (u->link_fds[i] >= 0)
			continue;
		fd = link_create_multi(bpf_program__fd(sp->prog), sp->retprobe, sp->pid,
				       spec_path(u, sp), sp->offs, sp->offs + sp->n, sp->n);
		if (fd < 0) {
			dlog("re-attaching %s at %zu sites of %s: %s", bpf_program__name(sp->prog),
			     sp->n, spec_path(u, sp), strerror(-fd));
			failed++;
			continue;
		}
		u->link_fds[i] = fd;
	}
	for (size_t i = 0; i < u->nlinks; i++) {
		const struct link_spec *sp = &u->link_specs[i];
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = sp->retprobe,
			    .bpf_cookie = sp->offs[1]);

		if (u->links[i])
			continue;
		u->links[i] = bpf_program__attach_uprobe_opts(sp->prog, sp->pid, spec_path(u, sp),
							      sp->offs[0], &uo);
		if (!u->links[i]) {
			dlog("re-attaching %s at %s+0x%llx: %s", bpf_program__name(sp->prog),
			     spec_path(u, sp), (unsigned long long)sp->offs[0], strerror(errno));
			failed++;
		}
	}
	return failed;
}

void uprobes_destroy(struct uprobes *u)
{
	if (!u)
		return;
	close_parallel(u->link_fds, u->nfds);
	for (size_t i = 0; i < u->nlinks; i++)
		bpf_link__destroy(u->links[i]);
	for (size_t i = 0; i < u->npending; i++)
		free(u->pending[i].path);
	for (size_t i = 0; i < u->nfds; i++)
		free(u->fd_specs[i].offs);
	for (size_t i = 0; i < u->nlinks; i++)
		free(u->link_specs[i].offs);
	for (size_t i = 0; i < u->nfiles; i++) {
		if (u->files[i].fd >= 0)
			close(u->files[i].fd);
		free(u->files[i].path);
	}
	free(u->pending);
	free(u->link_fds);
	free(u->fd_specs);
	free(u->links);
	free(u->link_specs);
	free(u->files);
	free(u);
}
