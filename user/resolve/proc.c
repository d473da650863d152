// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "resolve/proc.h"

int proc_parse_pid(const char *arg, pid_t *pid)
{
	char *end;
	long v;

	if (!arg || !*arg)
		return -EINVAL;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v <= 0 || v > (1 << 22))
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

int proc_maps_foreach(pid_t pid, int (*fn)(void *ctx, const struct proc_map *m), void *ctx)
{
	char maps[64], line[4096];
	int ret = 0;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		struct proc_map m;

		if (sscanf(line, "%llx-%llx %7s %llx", &start, &end, m.perms, &pgoff) != 4)
			continue;
		m.start = start;
		m.end = end;
		m.pgoff = pgoff;
		line[strcspn(line, "\n")] = '\0';
		m.file = strchr(line, '/');
		m.path[0] = '\0';
		if (m.file)
			snprintf(m.path, sizeof(m.path), "/proc/%d/root%s", pid, m.file);
		ret = fn(ctx, &m);
	}
	fclose(f);
	return ret;
}

int proc_check_pid(pid_t pid)
{
	char path[64];

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return access(path, F_OK) == 0 ? 0 : -ESRCH;
}

int proc_tgid(pid_t pid, pid_t *tgid)
{
	char path[64], line[256];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		int v;

		if (sscanf(line, "Tgid: %d", &v) == 1) {
			*tgid = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

void proc_comm(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	FILE *f;

	snprintf(buf, cap, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, cap, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int proc_exe_target(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, cap - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

void proc_exe_path(pid_t pid, char *buf, size_t cap)
{
	/* the magic link reaches the file even inside another mount namespace */
	snprintf(buf, cap, "/proc/%d/exe", pid);
}

bool proc_alive(pid_t pid)
{
	char path[64], line[512];
	bool alive = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ')');

		alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	}
	fclose(f);
	return alive;
}

int proc_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

uint64_t proc_start_time(pid_t pid)
{
	char path[64], line[1024];
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f)) {
		/* field 22; comm (field 2) may hold spaces, so count from its ')' */
		char *p = strrchr(line, ')');

		if (p && sscanf(p + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
				"%*d %*d %*d %*d %llu",
				&start) != 1)
			start = 0;
	}
	fclose(f);
	return start;
}

void proc_cgroup(pid_t pid, char *buf, size_t cap)
{
	char path[64], line[4096];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* the v2 line is "0::PATH" */
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, cap, "%s", line + 3);
		break;
	}
	fclose(f);
}
