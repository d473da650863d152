// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "lib/array_grow.h"
#include "daemon/daemon_exited.h"

void exited_free(struct exited *x)
{
	for (size_t i = 0; i < x->n; i++)
		metrics_snapshot_free(&x->procs[i].s);
	free(x->procs);
	metrics_snapshot_free(&x->exes);
	metrics_snapshot_free(&x->retired);
	memset(x, 0, sizeof(*x));
}

/* Kept process i goes: its final counts join its label set's retired sums. */
static void drop(struct exited *x, size_t i)
{
	if (!metrics_merge(&x->retired, &x->procs[i].s) && !metrics_fold_processes(&x->retired))
		while (x->retired.nprocs > RETIRED_MAX) {
			metrics_remove_proc(&x->retired, 0);
			x->dropped++;
		}
	metrics_snapshot_free(&x->procs[i].s);
	memmove(&x->procs[i], &x->procs[i + 1], (x->n - i - 1) * sizeof(*x->procs));
	x->n--;
}

int exited_keep(struct exited *x, struct metrics_snapshot *one, uint64_t until_ns)
{
	if (x->n >= EXITED_MAX) {
		drop(x, 0);
		x->dropped++;
	}
	if (array_grow((void **)&x->procs, &x->cap, x->n + 1, sizeof(*x->procs))) {
		metrics_snapshot_free(one);
		return -ENOMEM;
	}
	x->procs[x->n++] = (struct exited_proc){.s = *one, .until_ns = until_ns};
	memset(one, 0, sizeof(*one));
	return 0;
}

void exited_count(struct exited *x, const char *exe, const char *runtime, const char *version)
{
	struct metrics_exe e = {.exited = 1};

	snprintf(e.exe, sizeof(e.exe), "%s", exe);
	snprintf(e.runtime, sizeof(e.runtime), "%s", runtime);
	snprintf(e.version, sizeof(e.version), "%s", version);
	metrics_add_exe(&x->exes, &e);
}

void exited_forget_pid(struct exited *x, pid_t pid)
{
	for (size_t i = 0; i < x->n;) {
		if (x->procs[i].s.procs[0].pid == pid) {
			drop(x, i);
			x->dropped++;
			continue;
		}
		i++;
	}
}

uint64_t exited_expire(struct exited *x, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < x->n;) {
		if (x->procs[i].until_ns <= now) {
			drop(x, i);
			continue;
		}
		if (x->procs[i].until_ns < next)
			next = x->procs[i].until_ns;
		i++;
	}
	return next;
}

int exited_snapshot(const struct exited *x, struct metrics_snapshot *s, bool retired)
{
	for (size_t i = 0; i < x->n; i++)
		if (metrics_merge(s, &x->procs[i].s))
			return -ENOMEM;
	if (retired && metrics_merge(s, &x->retired))
		return -ENOMEM;
	for (size_t i = 0; i < x->exes.nexes; i++)
		if (metrics_add_exe(s, &x->exes.exes[i]))
			return -ENOMEM;
	return 0;
}
