// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/safe_output.h"

/* A sticky directory others or the group may write to (/tmp; the kernel's
 * protected_regular=2 case): anyone there can plant a file under the name
 * we are about to open. */
static bool shared_dir(const struct stat *dir)
{
	return (dir->st_mode & S_ISVTX) && (dir->st_mode & (S_IWOTH | S_IWGRP));
}

/* 0 if the file open as st, in dir, may be written; else why not (-errno). */
static int check_opened(const struct stat *st, const struct stat *dir)
{
	if (!S_ISREG(st->st_mode) && !S_ISCHR(st->st_mode) && !S_ISFIFO(st->st_mode))
		return -EINVAL;
	if (shared_dir(dir) && st->st_uid != geteuid())
		return -EPERM;
	/* a second name may be /etc/shadow, owned by root like the caller */
	if (S_ISREG(st->st_mode) && st->st_nlink > 1)
		return -EMLINK;
	return 0;
}

static void say_why(const char *path, int err, const struct stat *st, bool refused, char *why,
		    size_t whylen)
{
	if (!refused)
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(-err));
	else if (err == -ELOOP)
		snprintf(why, whylen, "refusing to write through symbolic link %s", path);
	else if (err == -EPERM)
		snprintf(why, whylen,
			 "refusing to write %s: owned by uid %u in a sticky directory others can "
			 "write to",
			 path, (unsigned int)st->st_uid);
	else if (err == -EMLINK)
		snprintf(why, whylen, "refusing to write %s: it has %lu hard links", path,
			 (unsigned long)st->st_nlink);
	else
		snprintf(why, whylen,
			 "refusing to write %s: not a regular file, character device or FIFO",
			 path);
}

int safe_output_open(const char *path, mode_t mode, int *out, char *why, size_t whylen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) : 0;
	char dir[PATH_MAX] = ".";
	struct stat ds, st = {0};
	int dfd = -1, fd = -1, err = 0;
	bool refused = false;

	if (dirlen >= sizeof(dir)) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	if (slash) {
		memcpy(dir, path, dirlen);
		dir[dirlen] = '\0';
		if (!dirlen)
			strcpy(dir, "/");
	}
	if (!*base) {
		err = -EISDIR;
		goto cleanup;
	}
	/* the directory held open: the checks below are about the one we open in */
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &ds)) {
		err = -errno;
		goto cleanup;
	}
	/*
	 * O_NOFOLLOW: a link is refused, not followed (ELOOP). No O_TRUNC until
	 * the file passed the checks; O_NONBLOCK so that a planted FIFO
	 * without a reader fails (ENXIO) instead of hanging us.
	 */
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		    mode);
	if (fd < 0) {
		err = -errno;
		/* the kernel's own refusal reads EACCES (a link or another's file
		 * in a sticky directory, fs.protected_*), a planted FIFO ENXIO:
		 * name what we refuse */
		if ((err == -EACCES || err == -ELOOP || err == -ENXIO) &&
		    !fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW)) {
			int not_ok = S_ISLNK(st.st_mode) ? -ELOOP : check_opened(&st, &ds);

			refused = not_ok;
			err = not_ok ? not_ok : err;
		}
		goto cleanup;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	err = check_opened(&st, &ds);
	refused = err;
	if (!err && S_ISREG(st.st_mode) && ftruncate(fd, 0))
		err = -errno;
	if (!err && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		err = -errno;
cleanup:
	if (dfd >= 0)
		close(dfd);
	if (err) {
		if (fd >= 0)
			close(fd);
		say_why(path, err, &st, refused, why, whylen);
		return err;
	}
	*out = fd;
	return 0;
}

struct out_cookie {
	int fd;
	int err; /* errno of the first write that failed */
	bool own_fd;
};

static ssize_t cookie_write(void *c, const char *buf, size_t len)
{
	struct out_cookie *o = c;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(o->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!o->err)
				o->err = n < 0 ? errno : EIO;
			break; /* fopencookie: a short count is the error */
		}
		done += n;
	}
	return done;
}

static int cookie_close(void *c)
{
	struct out_cookie *o = c;
	int err = o->err;

	if (o->own_fd && close(o->fd) && !err)
		err = errno;
	free(o);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

FILE *safe_output_stream(int fd, bool own_fd)
{
	cookie_io_functions_t io = {.write = cookie_write, .close = cookie_close};
	struct out_cookie *o = calloc(1, sizeof(*o));
	FILE *f;

	if (!o)
		return NULL;
	*o = (struct out_cookie){.fd = fd, .own_fd = own_fd};
	f = fopencookie(o, "w", io);
	if (!f)
		free(o);
	return f;
}

int safe_output_close(FILE *f)
{
	/* set by a failure the cookie did not see (stdio's own, ENOMEM) */
	bool failed = ferror(f);

	errno = 0;
	if (fclose(f))
		return errno ? -errno : -EIO;
	return failed ? -EIO : 0;
}
