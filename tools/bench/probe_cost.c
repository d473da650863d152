// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a uprobe hit and each part of a probe program cost on this machine
 * (make bench). Every program of bpf/probe_cost.bpf.c is attached, the way
 * asyncscope attaches (user/uprobes.c: uprobe_multi links, this process
 * only), to a function of its own here that starts with push %rbp, as node's
 * do, so the kernel emulates the probed instruction. Each function is then
 * called N times:
 *  - BPF ns/run: the program's run_time_ns / run_cnt (bpf_stats);
 *  - hit ns: wall time per call minus the same loop unprobed, i.e. the
 *    trap, the program and the return to user space.
 *
 *   probe-cost [--calls N]
 *
 * Prints one JSON line per program. Root (or CAP_BPF + CAP_PERFMON) and
 * kernel.bpf_stats_enabled=1 needed (make bench sets it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "resolve/elf_file.h"
#include "live/uprobes.h"
#include "probe_cost.skel.h"

/* One probe site per program: push %rbp; mov %rsp,%rbp; pop %rbp; ret. */
#define SITE(name)                                                                      \
	void site_##name(void);                                                         \
	asm(".text\n.globl site_" #name "\n.type site_" #name ",@function\nsite_" #name \
	    ":\n\tpush %rbp\n\tmov %rsp,%rbp\n\tpop %rbp\n\tret\n.size site_" #name     \
	    ",.-site_" #name "\n")

#define COST_PROGRAMS(X)                                                                   \
	X(empty)                                                                           \
	X(pid_tgid) X(ktime) X(read_user) X(read_user_x2) X(read_user_256) X(task_storage) \
		X(hash_lookup) X(ringbuf_reserve) X(ringbuf_output) X(ringbuf_query)

#define DEFINE_SITE(n) SITE(n);
COST_PROGRAMS(DEFINE_SITE)
SITE(bare);

struct cost {
	const char *name; /* the program is cost_<name>, its site site_<name> */
	void (*site)(void);
};

#define COST_ENTRY(n) {#n, site_##n},

static struct bpf_program *cost_program(struct probe_cost *skel, const char *name)
{
	char prog[64];

	snprintf(prog, sizeof(prog), "cost_%s", name);
	return bpf_object__find_program_by_name(skel->obj, prog);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per call of site, over n calls (best of three, against noise). */
static double time_calls(void (*site)(void), long n)
{
	double best = 0;

	for (int round = 0; round < 3; round++) {
		double t0 = now_ns();

		for (long i = 0; i < n; i++) {
			site();
			asm volatile("" ::: "memory");
		}
		double per = (now_ns() - t0) / n;

		if (!round || per < best)
			best = per;
	}
	return best;
}

struct sym_find {
	const char *name;
	uint64_t addr;
};

static int find_sym(const struct elf_sym *s, void *ctx)
{
	struct sym_find *f = ctx;

	if (!strcmp(s->name, f->name))
		f->addr = s->addr;
	return 0;
}

/* File offset of this program's function `name`, or 0. */
static uint64_t site_offset(struct elf_file *ef, const char *name)
{
	char sym[64];
	struct sym_find f = {.name = sym};
	uint64_t off = 0;

	snprintf(sym, sizeof(sym), "site_%s", name);
	elf_file__for_each_symbol(ef, find_sym, &f);
	if (!f.addr || elf_file__vaddr_to_offset(ef, f.addr, &off))
		return 0;
	return off;
}

static int prog_stats(struct bpf_program *p, uint64_t *cnt, uint64_t *ns)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len);

	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return err;
}

int main(int argc, char **argv)
{
	static const struct cost costs[] = {COST_PROGRAMS(COST_ENTRY)};
	long calls = 1000000;
	struct probe_cost *skel = NULL;
	struct uprobes *u = NULL;
	struct elf_file *ef = NULL;
	bool multi;
	double bare;
	int err = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--calls") && i + 1 < argc) {
			calls = atol(argv[++i]);
		} else {
			fprintf(stderr, "usage: probe-cost [--calls N]\n");
			return 2;
		}
	}
	multi = uprobes_multi_supported();
	skel = probe_cost__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "probe-cost: open: %s\n", strerror(-err));
		goto cleanup;
	}
	uprobes_prepare_object(skel->obj, multi);
	if ((err = probe_cost__load(skel))) {
		fprintf(stderr, "probe-cost: load: %s\n", strerror(-err));
		goto cleanup;
	}
	ef = elf_file__open("/proc/self/exe");
	if (!ef) {
		err = -errno;
		fprintf(stderr, "probe-cost: /proc/self/exe: %s\n", strerror(-err));
		goto cleanup;
	}
	if ((err = uprobes_new(multi, &u)))
		goto cleanup;
	for (size_t i = 0; i < sizeof(costs) / sizeof(costs[0]); i++) {
		uint64_t off = site_offset(ef, costs[i].name);

		if (!off) {
			err = -ENOENT;
			fprintf(stderr, "probe-cost: no site_%s in /proc/self/exe\n",
				costs[i].name);
			goto cleanup;
		}
		if ((err = uprobes_add(u, cost_program(skel, costs[i].name), false, getpid(),
				       "/proc/self/exe", off, 0, costs[i].name)))
			goto cleanup;
	}
	if ((err = uprobes_commit(u, NULL, NULL))) {
		fprintf(stderr, "probe-cost: attach: %s\n", strerror(-err));
		goto cleanup;
	}
	bare = time_calls(site_bare, calls);
	for (size_t i = 0; i < sizeof(costs) / sizeof(costs[0]); i++) {
		struct bpf_program *p = cost_program(skel, costs[i].name);
		uint64_t c0, n0, c1, n1;
		double per;

		prog_stats(p, &c0, &n0);
		per = time_calls(costs[i].site, calls);
		prog_stats(p, &c1, &n1);
		printf("{\"program\":\"%s\",\"runs\":%llu,\"bpf_ns_per_run\":%.1f,\"hit_ns\":%.1f,"
		       "\"bare_call_ns\":%.1f,\"uprobe_multi\":%s}\n",
		       costs[i].name, (unsigned long long)(c1 - c0),
		       c1 > c0 ? (double)(n1 - n0) / (c1 - c0) : 0.0, per - bare, bare,
		       multi ? "true" : "false");
	}
cleanup:
	uprobes_destroy(u);
	elf_file__close(ef);
	probe_cost__destroy(skel);
	return err ? 1 : 0;
}
