/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Uprobe attachment in batches.
 *
 * Sites are queued with uprobes_add() and attached by uprobes_commit(): on
 * kernels with uprobe_multi links (6.6+), one link per program, file and
 * direction, otherwise one perf-event uprobe per site. The difference matters
 * at detach: every perf-event uprobe waits for its own RCU grace period under
 * a global mutex (~100 ms each here), while a multi link waits once for all its
 * sites, and links closed together share their grace periods.
 */
#ifndef __ASYNCSCOPE_UPROBES_H
#define __ASYNCSCOPE_UPROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_object;
struct bpf_program;
struct uprobes;

/* Whether this kernel has uprobe_multi links (needs CAP_BPF to find out). */
bool uprobes_multi_supported(void);
/*
 * Before load: programs of obj that are uprobes become uprobe_multi programs
 * when multi is true (they then attach only through multi links).
 */
void uprobes_prepare_object(struct bpf_object *obj, bool multi);
int uprobes_new(bool multi, struct uprobes **out);
/* Queues prog at file_off of path for pid (<= 0: every process). 0 or -errno. */
int uprobes_add(struct uprobes *u, struct bpf_program *prog, bool retprobe, pid_t pid,
		const char *path, uint64_t file_off, uint64_t cookie, const char *what);
/*
 * Attaches everything queued. A batch the kernel refuses is retried site by
 * site, so one bad site does not cost the others. Each failure is logged as
 * an error, or, when failed is not NULL, added to *failed for the caller to
 * report (and logged at debug level only). Returns 0 or the first -errno;
 * *attached (if not NULL) counts the sites now live.
 */
int uprobes_commit(struct uprobes *u, size_t *attached, size_t *failed);
/* Sites attached so far. */
size_t uprobes_count(const struct uprobes *u);
/* Kernel link objects holding them (a multi link holds many sites). */
size_t uprobes_links(const struct uprobes *u);
/*
 * Sampling (the daemon): closes every link, keeping how each was made, so
 * nothing fires until uprobes_reattach(). Sites committed in between are
 * attached only to be checked, then closed too.
 */
void uprobes_detach(struct uprobes *u);
/* Makes every closed link again; returns how many the kernel refused
 * (each logged at debug level: e.g. a file that no longer exists). */
size_t uprobes_reattach(struct uprobes *u);
/* Detaches everything (links closed in parallel) and frees u; NULL-safe. */
void uprobes_destroy(struct uprobes *u);

#endif /* __ASYNCSCOPE_UPROBES_H */
