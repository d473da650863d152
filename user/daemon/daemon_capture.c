// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/array_grow.h"
#include "event/capture.h"
#include "daemon/daemon_capture.h"
#include "event/event.h"
#include "event/ringbuf_decode.h"
#include "lib/log.h"

#define MAX_CAPTURES 16

struct capture {
	pid_t pid;
	unsigned int seq; /* files written so far */
	char name[64];	  /* the file being written, in the state directory */
	FILE *file;
	struct capture_writer *w;
	struct capture_meta meta;
	const char **providers; /* into meta.providers, for decoding */
	struct capture_summary summary;
	uint64_t events_total;
};

struct captures {
	int dirfd;
	/* told when a capture stops by itself (its next file cannot be opened) */
	void (*on_stop)(void *ctx, pid_t pid);
	void *on_stop_ctx;
	uint64_t file_size, budget;
	struct capture cap[MAX_CAPTURES];
	size_t n;
};

int captures_new(int dirfd, uint64_t file_size, uint64_t budget, struct captures **out)
{
	struct captures *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->dirfd = dirfd;
	c->file_size = file_size;
	c->budget = budget;
	*out = c;
	return 0;
}

void captures_on_stop(struct captures *c, void (*fn)(void *ctx, pid_t pid), void *ctx)
{
	c->on_stop = fn;
	c->on_stop_ctx = ctx;
}

size_t captures_count(const struct captures *c)
{
	return c ? c->n : 0;
}

pid_t captures_pid(const struct captures *c, size_t i)
{
	return c->cap[i].pid;
}

void captures_set_limits(struct captures *c, uint64_t file_size, uint64_t budget)
{
	c->file_size = file_size;
	c->budget = budget;
}

static struct capture *find(const struct captures *c, pid_t pid)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->cap[i].pid == pid)
			return (struct capture *)&c->cap[i];
	return NULL;
}

bool captures_active(const struct captures *c)
{
	return c && c->n > 0;
}

bool captures_has(const struct captures *c, pid_t pid)
{
	return c && find(c, pid);
}

/* Finishes the file being written (trailer with what it holds). */
static void file_close(struct capture *k)
{
	int err;

	if (!k->w)
		return;
	err = capture_writer_close(k->w, &k->summary);
	k->w = NULL;
	if (fclose(k->file) && !err)
		err = -errno;
	k->file = NULL;
	if (err)
		elog("capture %s: %s", k->name, strerror(-err));
	else
		ilog("capture of process %d: %s finished (%llu events)", k->pid, k->name,
		     (unsigned long long)k->summary.events);
}

/*
 * A new file, created in the state directory only: O_EXCL|O_NOFOLLOW, 0600,
 * under the next sequence number not taken (a pid captured again, or reused,
 * goes on after the files already there).
 */
static int file_open(struct captures *c, struct capture *k)
{
	int fd = -1, err;

	for (int tries = 0; fd < 0 && tries < 10000; tries++) {
		snprintf(k->name, sizeof(k->name), "capture-%d-%04u.asr", k->pid, k->seq++);
		fd = openat(c->dirfd, k->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	k->file = fdopen(fd, "w");
	if (!k->file) {
		err = -errno;
		close(fd);
		return err;
	}
	memset(&k->summary, 0, sizeof(k->summary));
	err = capture_writer_open(k->file, &k->meta, &k->w);
	if (err) {
		fclose(k->file);
		k->file = NULL;
		unlinkat(c->dirfd, k->name, 0);
	}
	return err;
}

struct old_file {
	char name[256];
	struct timespec mtime;
	off_t size;
};

static int cmp_old(const void *a, const void *b)
{
	const struct old_file *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool being_written(const struct captures *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->cap[i].w && !strcmp(c->cap[i].name, name))
			return true;
	return false;
}

/* The state directory, listed from its start (a stream of our own: the
 * directory fd stays the caller's). NULL on failure. */
static DIR *state_dir_list(const struct captures *c)
{
	int fd = dup(c->dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

	if (!dir && fd >= 0)
		close(fd);
	if (dir)
		rewinddir(dir);
	return dir;
}

/* Deletes the oldest finished capture files while the total is over budget. */
static void enforce_budget(struct captures *c)
{
	struct old_file *files = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	struct dirent *d;
	DIR *dir = state_dir_list(c);

	if (!dir)
		return;
	while ((d = readdir(dir))) {
		struct stat st;

		if (strncmp(d->d_name, "capture-", 8) || !strstr(d->d_name, ".asr") ||
		    fstatat(c->dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		total += st.st_size;
		if (being_written(c, d->d_name))
			continue;
		if (array_grow((void **)&files, &cap, n + 1, sizeof(*files)))
			break;
		snprintf(files[n].name, sizeof(files[n].name), "%s", d->d_name);
		files[n].mtime = st.st_mtim;
		files[n].size = st.st_size;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(files, n, sizeof(*files), cmp_old);
	for (size_t i = 0; i < n && total > c->budget; i++) {
		if (unlinkat(c->dirfd, files[i].name, 0))
			continue;
		total -= files[i].size;
		vlog("capture budget: deleted %s", files[i].name);
	}
	free(files);
}

/* After the last file of pid already in the directory (an earlier capture
 * of it, or of an earlier process with its pid): names keep their order. */
static unsigned int next_seq(const struct captures *c, pid_t pid)
{
	char prefix[32];
	unsigned int next = 0, seq;
	struct dirent *d;
	DIR *dir = state_dir_list(c);

	if (!dir)
		return 0;
	snprintf(prefix, sizeof(prefix), "capture-%d-", pid);
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, prefix, strlen(prefix)) &&
		    sscanf(d->d_name + strlen(prefix), "%u.asr", &seq) == 1 && seq >= next)
			next = seq + 1;
	closedir(dir);
	return next;
}

int captures_start(struct captures *c, pid_t pid, const struct capture_meta *meta)
{
	struct capture *k;
	const char *p;
	int err;

	if (find(c, pid))
		return -EEXIST;
	if (c->n == MAX_CAPTURES)
		return -ENOSPC;
	k = &c->cap[c->n];
	memset(k, 0, sizeof(*k));
	k->pid = pid;
	k->seq = next_seq(c, pid);
	k->meta = *meta;
	k->meta.providers = NULL;
	if (meta->providers_len) {
		k->meta.providers = malloc(meta->providers_len);
		k->providers = calloc(meta->nproviders + 1, sizeof(*k->providers));
		if (!k->meta.providers || !k->providers) {
			free(k->meta.providers);
			free(k->providers);
			return -ENOMEM;
		}
		memcpy(k->meta.providers, meta->providers, meta->providers_len);
		p = k->meta.providers;
		for (uint32_t i = 0; i < meta->nproviders; i++, p += strlen(p) + 1)
			k->providers[i] = p;
	}
	err = file_open(c, k);
	if (err) {
		free(k->meta.providers);
		free(k->providers);
		return err;
	}
	c->n++;
	enforce_budget(c);
	ilog("capturing process %d into %s", pid, k->name);
	return 0;
}

static void capture_free(struct capture *k)
{
	file_close(k);
	free(k->meta.providers);
	free(k->providers);
}

int captures_stop(struct captures *c, pid_t pid)
{
	struct capture *k = find(c, pid);

	if (!k)
		return -ESRCH;
	capture_free(k);
	*k = c->cap[--c->n];
	enforce_budget(c);
	return 0;
}

void captures_record(void *ctx, const void *rec, size_t len)
{
	struct captures *c = ctx;
	const struct ev_hdr *h = rec;
	struct capture *k = find(c, h->pid);
	struct event e;

	if (!k || !k->w)
		return;
	if (ingest_decode(rec, len, k->providers, k->meta.nproviders, &e)) {
		k->summary.unknown_records++;
		return;
	}
	if (e.kind >= EV_KIND_COUNT)
		return; /* internal records */
	capture_writer_event(k->w, &e);
	k->summary.events++;
	k->summary.counts[e.kind]++;
	k->events_total++;
	/* rotate: the writer flushes whole chunks, so the size lags a little */
	if ((uint64_t)ftello(k->file) >= c->file_size) {
		int err;

		file_close(k);
		err = file_open(c, k);
		enforce_budget(c);
		if (err) {
			elog("capture of process %d stopped: cannot open a new file: %s", k->pid,
			     strerror(-err));
			if (c->on_stop)
				c->on_stop(c->on_stop_ctx, k->pid);
		}
	}
}

void captures_describe(const struct captures *c, char *buf, size_t cap)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; c && i < c->n && used < cap; i++) {
		int n = snprintf(buf + used, cap - used, "%scapturing %d into %s (%llu events)",
				 used ? "; " : "", c->cap[i].pid, c->cap[i].name,
				 (unsigned long long)c->cap[i].events_total);

		if (n < 0)
			break;
		used += n;
	}
}

void captures_free(struct captures *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		capture_free(&c->cap[i]);
	free(c);
}
