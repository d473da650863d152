/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trace -- COMMAND following the command's whole tree: procwatch's follow
 * mode (bpf/procwatch.bpf.c) puts every fork of a followed process into the
 * followed set in the kernel, and the node probes, attached to the node
 * binary for every process, count for that set only. A descendant running
 * that binary is traced from its first instruction, with no stop and no
 * attach of its own; one running another node build or a libuv program is
 * said (one line) and counted as not followed.
 */
#ifndef __ASYNCSCOPE_FOLLOW_H
#define __ASYNCSCOPE_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct follow;

/* Starts watching; binary holds the node probes. 0 or -errno. */
int follow_start(const char *binary, struct follow **out);
/* Follows a command (not run yet) and its tree: counted when it execs node. 0 or -errno. */
int follow_command(struct follow *f, pid_t pid);
/*
 * Follows a running process (-p) and its tree: -EXDEV, said and counted as
 * not followed, if it runs another binary; 0 or -errno.
 */
int follow_process(struct follow *f, pid_t pid);
/* The followed set, for tracer_opts.follow_pids_fd. */
int follow_pids_fd(const struct follow *f);
/* Reads the execs and exits so far: counts them, says each process not followed. */
void follow_poll(struct follow *f);
/* Whether any process of the tree still runs. */
bool follow_tree_alive(const struct follow *f);
/* Processes that ran the node binary (probed), and node or libuv ones that did not. */
void follow_counts(const struct follow *f, uint64_t *followed, uint64_t *not_followed);
/* NULL-safe. */
void follow_free(struct follow *f);

#endif /* __ASYNCSCOPE_FOLLOW_H */
