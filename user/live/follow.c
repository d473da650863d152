// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/events.h"
#include "lib/id_set.h"
#include "lib/log.h"
#include "live/follow.h"
#include "resolve/layout_cache.h"
#include "resolve/resolve_uv.h"
#include "procwatch.skel.h"

struct follow {
	struct procwatch *skel;
	struct stat binary; /* the node binary the probes are in */
	struct ring_buffer *rb;
	struct id_set probed; /* processes that exec'd the node binary */
	uint64_t not_followed;
};

/*
 * Why e's new image gets no probes, or NULL: neither node nor libuv (sh,
 * env, ...: nothing to trace in it, its children still followed), or the
 * file is not the one exec'd any more. Looked at by the path exec'd, since a
 * quick child may be gone already; a relative path from the process's cwd.
 */
static const char *not_followed_why(const struct ev_proc *e, char *exe, size_t cap)
{
	static struct node_layout layout; /* large; one classification at a time */
	enum cache_state cache;
	char uv[PATH_MAX];
	struct stat st;
	int err;

	if (e->path[0] == '/')
		snprintf(exe, cap, "%.*s", (int)sizeof(e->path), e->path);
	else
		snprintf(exe, cap, "/proc/%u/cwd/%.*s", e->pid, (int)sizeof(e->path), e->path);
	if (stat(exe, &st) || st.st_ino != e->ino ||
	    (major(st.st_dev) << 20 | minor(st.st_dev)) != e->dev)
		return NULL;
	err = node_layout__resolve_cached(exe, &layout, &cache);
	if (!err || err == -ENOTSUP || err == -EPROTO)
		return "another node binary than the one probed";
	if (!uv_find_for_program(exe, false, uv, sizeof(uv)))
		return "a libuv program (only a command itself gets the uv layer)";
	return NULL;
}

static int on_proc(void *ctx, void *data, size_t size)
{
	struct follow *f = ctx;
	const struct ev_proc *e = data;
	char exe[PATH_MAX];
	const char *why;

	if (size < sizeof(*e) || e->kind != PROC_EXEC)
		return 0; /* exits: the kernel took the process out of the set */
	if (e->traced_binary) {
		id_set_add(&f->probed, e->pid);
		return 0;
	}
	if ((why = not_followed_why(e, exe, sizeof(exe)))) {
		f->not_followed++;
		wlog("process %u (%s) not followed: %s", e->pid, exe, why);
	}
	return 0;
}

int follow_start(const char *binary, struct follow **out)
{
	struct follow *f = calloc(1, sizeof(*f));
	int err;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	if (stat(binary, &f->binary)) {
		err = -errno;
		goto cleanup;
	}
	f->skel = procwatch__open();
	if (!f->skel) {
		err = -errno;
		goto cleanup;
	}
	f->skel->rodata->follow = true;
	f->skel->rodata->follow_ino = f->binary.st_ino;
	/* the kernel's s_dev: major << 20 | minor */
	f->skel->rodata->follow_dev = major(f->binary.st_dev) << 20 | minor(f->binary.st_dev);
	if ((err = procwatch__load(f->skel)) || (err = procwatch__attach(f->skel)))
		goto cleanup;
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.proc_events), on_proc, f, NULL);
	if (!f->rb) {
		err = -errno;
		goto cleanup;
	}
	*out = f;
	return 0;

cleanup:
	follow_free(f);
	return err;
}

int follow_command(struct follow *f, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	return bpf_map_update_elem(follow_pids_fd(f), &key, &one, BPF_ANY) ? -errno : 0;
}

int follow_process(struct follow *f, pid_t pid)
{
	char exe[64];
	struct stat st;
	int err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (stat(exe, &st))
		return errno == ENOENT ? -ESRCH : -errno;
	if (st.st_ino != f->binary.st_ino || st.st_dev != f->binary.st_dev) {
		f->not_followed++;
		wlog("process %d not followed: it runs another binary than the first -p's", pid);
		return -EXDEV;
	}
	if ((err = follow_command(f, pid)))
		return err;
	id_set_add(&f->probed, pid);
	return 0;
}

int follow_pids_fd(const struct follow *f)
{
	return bpf_map__fd(f->skel->maps.followed_pids);
}

void follow_poll(struct follow *f)
{
	if (f)
		ring_buffer__consume(f->rb);
}

bool follow_tree_alive(const struct follow *f)
{
	__u32 key;

	return f && !bpf_map_get_next_key(follow_pids_fd(f), NULL, &key);
}

void follow_counts(const struct follow *f, uint64_t *followed, uint64_t *not_followed)
{
	*followed = f ? f->probed.len : 0;
	*not_followed = f ? f->not_followed : 0;
	if (f && f->skel->bss->follow_full)
		wlog("%llu processes not followed: more than 8192 at once",
		     (unsigned long long)f->skel->bss->follow_full);
	/* the set is the kernel's and complete; only the counts lack these */
	if (f && f->skel->bss->proc_drops)
		wlog("%llu exec records lost: processes_followed and processes_not_followed "
		     "may be low",
		     (unsigned long long)f->skel->bss->proc_drops);
}

void follow_free(struct follow *f)
{
	if (!f)
		return;
	ring_buffer__free(f->rb);
	procwatch__destroy(f->skel);
	id_set_free(&f->probed);
	free(f);
}
