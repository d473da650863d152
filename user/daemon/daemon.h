/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * asyncscope daemon: follows every node and libuv process of the host with
 * aggregation-mode probes and serves the counts on /metrics. The loop: exec
 * and exit events (bpf/procwatch.bpf.c), the probed files' ring buffers,
 * the HTTP listener and signals, all in one epoll.
 */
#ifndef __ASYNCSCOPE_DAEMON_H
#define __ASYNCSCOPE_DAEMON_H

#include <stdbool.h>

struct daemon_opts {
	const char *config_path; /* NULL: defaults */
	const char *listen;	 /* overrides the config's listen */
	const char *mode;	 /* overrides the config's mode ("sampled", "exact") */
	const char *ready_file;	 /* written (0600) with the pid once serving: for tests, units */
	bool keep_caps;		 /* do not drop capabilities after start-up */
};

struct daemon_config;
/* The defaults, then path (if not NULL) over them. 0, or -errno having said
 * why on stderr (FILE:LINE: what); c then holds nothing to free. */
int daemon_read_config(const char *path, struct daemon_config *c);

/* Runs until SIGINT/SIGTERM. 0, or -errno having said why on stderr
 * (-EINVAL: the config or listen address; -EPERM: privileges). */
int daemon_run(const struct daemon_opts *o);
/* Sends one command to a running daemon's control socket and prints its
 * answer: "capture PID on", "capture PID off" or "status". 0, or -errno
 * having said why (-EINVAL: the config, or the daemon refused it). */
int daemon_control(const char *config_path, const char *command);

#endif /* __ASYNCSCOPE_DAEMON_H */
