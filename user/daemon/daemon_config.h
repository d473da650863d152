/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The configuration file of `asyncscope daemon`: lines of `key = value`,
 *
 *   # where Prometheus scrapes /metrics
 *   listen            = 127.0.0.1:9464
 *   state_dir         = /var/lib/asyncscope
 *   capture_budget    = 256M    # all capture files together (K, M, G: KiB, MiB, GiB)
 *   capture_file_size = 16M     # one file, before rotation (64K .. capture_budget)
 *   include_exe       = /usr/bin/node*   # repeatable; none: every executable
 *   exclude_exe       = "/opt/legacy app/bin/node"
 *   include_cgroup    = /system.slice/app-*.service
 *   exclude_cgroup    = /system.slice/app-batch.service
 *   mode              = sampled # or exact: every event, probes always in
 *   sample_window     = 500ms   # sampled: probes in for this long ...
 *   sample_period     = 20s     # ... once in every period (ms, s, m)
 *   exit_linger       = 60s     # an exited process's final series stay this long
 *   metrics_pid_label = off     # on: a pid label, one series set per process
 *
 * '#' at the start of a line or after whitespace starts a comment. A value
 * may be double-quoted (to keep '#' or surrounding spaces); inside quotes \"
 * and \\ stand for " and \, any other backslash is kept as written. Globs
 * are fnmatch(3) patterns without FNM_PATHNAME: '*' also matches '/', so
 * "/user.slice*" covers every cgroup below /user.slice. Pure logic, no
 * output except daemon_config_print.
 */
#ifndef __ASYNCSCOPE_DAEMON_CONFIG_H
#define __ASYNCSCOPE_DAEMON_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DAEMON_DEFAULT_LISTEN		 "127.0.0.1:9464"
#define DAEMON_DEFAULT_STATE_DIR	 "/var/lib/asyncscope"
#define DAEMON_DEFAULT_CAPTURE_BUDGET	 (256ULL << 20)
#define DAEMON_DEFAULT_CAPTURE_FILE_SIZE (16ULL << 20)
#define DAEMON_MIN_CAPTURE_FILE_SIZE	 (64ULL << 10)
#define DAEMON_NS_PER_MS		 1000000ULL
#define DAEMON_DEFAULT_SAMPLE_WINDOW	 (500 * DAEMON_NS_PER_MS)
#define DAEMON_DEFAULT_SAMPLE_PERIOD	 (20000 * DAEMON_NS_PER_MS)
#define DAEMON_DEFAULT_EXIT_LINGER	 (60000 * DAEMON_NS_PER_MS)
/* attaching and detaching cost milliseconds: shorter windows are mostly edges */
#define DAEMON_MIN_SAMPLE_WINDOW (10 * DAEMON_NS_PER_MS)
#define DAEMON_MAX_DURATION	 (3600000 * DAEMON_NS_PER_MS) /* 1 hour */

enum daemon_mode {
	DAEMON_SAMPLED, /* probes in for a window now and then: counts are estimates */
	DAEMON_EXACT,	/* probes always in: every event counted */
};

struct daemon_config {
	char listen[64];	    /* "ADDR:PORT", default "127.0.0.1:9464" */
	char state_dir[4096];	    /* default "/var/lib/asyncscope" */
	uint64_t capture_budget;    /* bytes of capture files kept in all, default 256 MiB */
	uint64_t capture_file_size; /* bytes per capture file before rotation, default 16 MiB */
	/* fnmatch globs on the executable path; no include: all */
	char **include_exe;
	size_t ninclude_exe;
	char **exclude_exe;
	size_t nexclude_exe;
	/* fnmatch globs on the process's cgroup v2 path, e.g. "/system.slice/app-*" */
	char **include_cgroup;
	size_t ninclude_cgroup;
	char **exclude_cgroup;
	size_t nexclude_cgroup;
	enum daemon_mode mode;	   /* default sampled */
	uint64_t sample_window_ns; /* sampled: probes in this long (default 0.5 s) ... */
	uint64_t sample_period_ns; /* ... once every period (default 20 s) */
	uint64_t exit_linger_ns;   /* an exited process's series kept (default 60 s; 0: none) */
	/* off (default): series per (service, exe, runtime, version), summed over
	 * processes, so they outlive restarts; on: one set per pid as well */
	bool metrics_pid_label;
};

void daemon_config_defaults(struct daemon_config *c);

/*
 * Reads path over the defaults (not over *c): 0, or -EINVAL with
 * "PATH:LINE: what is wrong" in err, or -errno with "PATH: strerror". *c
 * must already hold a config (daemon_config_defaults or an earlier load):
 * on success its lists are freed and it is replaced, on failure it is left
 * untouched so a reload can keep the running config.
 */
int daemon_config_load(const char *path, struct daemon_config *c, char *err, size_t errlen);

/* Frees the glob lists and empties them; the scalars stay. */
void daemon_config_free(struct daemon_config *c);

/*
 * Whether a process is watched: exe must match an include_exe glob (if any)
 * and no exclude_exe glob; the same for cgroup. An unknown exe or cgroup
 * (NULL or "") matches no include and no exclude of its kind. Exclusion wins.
 */
bool daemon_config_wants(const struct daemon_config *c, const char *exe, const char *cgroup);

/* "sampled" or "exact"; 0 or -EINVAL. */
int daemon_config_parse_mode(const char *s, enum daemon_mode *out);
const char *daemon_mode_name(enum daemon_mode m);

/* "ADDR:PORT" (IPv4 dotted quad, port 1..65535) to a sockaddr_in; 0 or -EINVAL. */
int daemon_config_parse_listen(const char *s, struct sockaddr_in *out);

/* Writes the effective config in the file format (`daemon --print-config`);
 * loading the output gives the same config. */
void daemon_config_print(const struct daemon_config *c, FILE *out);

#endif /* __ASYNCSCOPE_DAEMON_CONFIG_H */
