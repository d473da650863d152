/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's per-event captures: a process chosen at run time has its
 * records written to rotating .asr files in the state directory
 * (capture-PID-SEQ.asr, 0600, created there and never through a symlink),
 * oldest files deleted to keep the total within the budget. `asyncscope
 * report` reads each file.
 */
#ifndef __ASYNCSCOPE_DAEMON_CAPTURE_H
#define __ASYNCSCOPE_DAEMON_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event/capture_format.h"

struct captures;

/* dirfd: the state directory, opened O_DIRECTORY (kept by the caller). */
int captures_new(int dirfd, uint64_t file_size, uint64_t budget, struct captures **out);
void captures_free(struct captures *c); /* finishes every open file */
void captures_set_limits(struct captures *c, uint64_t file_size, uint64_t budget);
/* fn(ctx, pid) when a capture stops by itself; fn must call captures_stop(). */
void captures_on_stop(struct captures *c, void (*fn)(void *ctx, pid_t pid), void *ctx);
size_t captures_count(const struct captures *c);
pid_t captures_pid(const struct captures *c, size_t i); /* i < captures_count() */

/* Starts writing pid's events (meta describes it; copied). 0, -EEXIST or -errno. */
int captures_start(struct captures *c, pid_t pid, const struct capture_meta *meta);
/* Finishes pid's current file. 0 or -ESRCH. */
int captures_stop(struct captures *c, pid_t pid);
bool captures_active(const struct captures *c);
bool captures_has(const struct captures *c, pid_t pid);
/* A ring-buffer record of a captured process (the targets' capture sink). */
void captures_record(void *ctx, const void *rec, size_t len);
/* One line per capture: "PID FILE EVENTS". */
void captures_describe(const struct captures *c, char *buf, size_t cap);

#endif /* __ASYNCSCOPE_DAEMON_CAPTURE_H */
