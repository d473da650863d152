/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the daemon exports, as data: one row per (process, layer, type) of
 * aggregated counters plus the daemon's own figures, and their rendering in
 * Prometheus text format. No BPF here: the daemon fills a snapshot from its
 * maps, the renderer only prints it (and unit tests feed it directly).
 */
#ifndef __ASYNCSCOPE_DAEMON_METRICS_H
#define __ASYNCSCOPE_DAEMON_METRICS_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bpf/events.h"
#include "bpf/maps.h"

struct metrics_proc {
	pid_t pid;	    /* 0: processes folded together (metrics_fold_processes) */
	char service[128];  /* systemd unit or container, from the cgroup (service_name.h) */
	char exe[PATH_MAX]; /* the executable, as the process sees its path */
	char runtime[8];    /* "node" or "libuv" */
	char version[32];   /* node's version; "" when unknown */
	double observed_s;  /* time its events were counted (sampled: windows) */
	int exited;	    /* it exited: these are its final series, kept a while */
};

/* Per executable: processes that exited, whether or not any event was seen. */
struct metrics_exe {
	char exe[PATH_MAX];
	char runtime[8];
	char version[32];
	uint64_t exited;
};

struct metrics_row {
	size_t proc;   /* index into procs */
	uint8_t layer; /* enum ev_layer */
	/* provider or uv type name; "unknown" for AGG_TYPE_UNKNOWN; "" for the
	 * process's own figures (AGG_TYPE_PROCESS: microtasks), of no type */
	char type[40];
	struct agg_counts c;
};

struct metrics_self {
	uint64_t procs_watched;	  /* node / libuv processes followed now */
	uint64_t files_probed;	  /* binaries and libraries with probes in them */
	uint64_t probes_attached; /* uprobe sites live */
	uint64_t links;		  /* kernel links holding them, the process watcher's included */
	uint64_t events_lost;	  /* ring-buffer drops, counts not kept (map full) */
	uint64_t read_errors;	  /* target memory that could not be read */
	uint64_t execs_seen;	  /* exec events received */
	uint64_t attach_failures; /* files whose probes could not be attached */
	uint64_t config_reloads;
	uint64_t config_errors; /* reloads refused: the old config stayed */
	uint64_t scrapes;
	uint64_t http_refused;	 /* /metrics connections closed at once: too many open */
	uint64_t http_timed_out; /* ... closed at their idle time or deadline */
	double cpu_seconds;	 /* user + system */
	uint64_t rss_bytes;
	/* the mode; sampled: the windows, and what opening and closing cost */
	int sampled;
	double sample_window_s, sample_period_s;
	uint64_t windows;
	double attach_seconds, detach_seconds;
	uint64_t reattach_failures; /* sites the kernel refused at a window's start */
	uint64_t exited_kept;	    /* exited processes whose series are shown */
	uint64_t exited_dropped;    /* ... dropped early (too many, or pid reused) */
	int pid_label;		    /* series per pid (metrics_pid_label = on) */
};

struct metrics_snapshot {
	struct metrics_proc *procs;
	size_t nprocs, procs_cap;
	struct metrics_row *rows;
	size_t nrows, rows_cap;
	struct metrics_exe *exes;
	size_t nexes, exes_cap;
	struct metrics_self self;
};

/* Appends a process; returns its index, or -ENOMEM. */
long metrics_add_proc(struct metrics_snapshot *s, const struct metrics_proc *p);
/* Appends a row for proc (an index from metrics_add_proc). 0 or -ENOMEM. */
int metrics_add_row(struct metrics_snapshot *s, size_t proc, uint8_t layer, const char *type,
		    const struct agg_counts *c);
/* Adds exited to the count of exe (runtime, version). 0 or -ENOMEM. */
int metrics_add_exe(struct metrics_snapshot *s, const struct metrics_exe *e);
/* Appends the processes and rows of from (another snapshot). 0 or -ENOMEM. */
int metrics_merge(struct metrics_snapshot *s, const struct metrics_snapshot *from);
void metrics_snapshot_free(struct metrics_snapshot *s);

/* Takes process proc and its rows out (later processes move down one). */
void metrics_remove_proc(struct metrics_snapshot *s, size_t proc);

/*
 * Folds processes with the same labels (service, exe, runtime, version) into
 * one, pid 0, and their rows of the same layer and type into one: counts,
 * histograms and times add up, the longest callback is the longest of all,
 * and what an exited process left alive counts as gone. Series without a
 * pid label are these sums. 0 or -ENOMEM.
 */
int metrics_fold_processes(struct metrics_snapshot *s);

/* Writes every metric family, rows in (pid, labels, layer, type) order;
 * with self.pid_label 0, processes are folded first and carry no pid. */
void metrics_render(FILE *out, struct metrics_snapshot *s);

#endif /* __ASYNCSCOPE_DAEMON_METRICS_H */
