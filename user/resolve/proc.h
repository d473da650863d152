/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Facts about a target process from /proc. */
#ifndef __ASYNCSCOPE_PROC_H
#define __ASYNCSCOPE_PROC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 0 if the process exists, -ESRCH if not, -EINVAL for a malformed pid. */
int proc_check_pid(pid_t pid);

/* Parses a pid argument; -EINVAL unless it is a positive decimal number. */
int proc_parse_pid(const char *arg, pid_t *pid);

/*
 * The process (thread group) a pid belongs to: itself for a process, its
 * process for a thread id (as top -H shows). 0 or -errno.
 */
int proc_tgid(pid_t pid, pid_t *tgid);

/* Command name (comm), "?" if unreadable. */
void proc_comm(pid_t pid, char *buf, size_t cap);

/* What /proc/PID/exe points at, for messages. */
int proc_exe_target(pid_t pid, char *buf, size_t cap);

/* A path that opens the target's executable from this mount namespace. */
void proc_exe_path(pid_t pid, char *buf, size_t cap);

/* Reads len bytes of the target's memory at addr. 0 or -errno. */
int proc_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len);

/* True while the process exists and is not a zombie. */
bool proc_alive(pid_t pid);

/* The process's start time (clock ticks since boot): with the pid, names a
 * process even after its pid is reused. 0 if unreadable. */
uint64_t proc_start_time(pid_t pid);

/*
 * One line of /proc/PID/maps. file is the mapped file as the process names
 * it (NULL if anonymous); path is the same through /proc/PID/root, so files
 * in containers open from here ("" if anonymous).
 */
struct proc_map {
	uint64_t start, end, pgoff;
	char perms[8]; /* "r-xp" */
	const char *file;
	char path[PATH_MAX];
};

/*
 * Calls fn for each mapping of the process, in address order, until fn
 * returns non-zero; returns that, 0 at the end, or -errno if the maps
 * cannot be read. The one reader of /proc/PID/maps.
 */
int proc_maps_foreach(pid_t pid, int (*fn)(void *ctx, const struct proc_map *m), void *ctx);

/* Its cgroup v2 path ("/system.slice/x.service"); "" if unknown. */
void proc_cgroup(pid_t pid, char *buf, size_t cap);

#endif /* __ASYNCSCOPE_PROC_H */
