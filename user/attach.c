// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "asyncscope.skel.h"
#include "log.h"

struct tracer {
	struct asyncscope *skel;
	struct bpf_link *links[2 * SITE_COUNT];
	size_t nlinks;
	/* exact JS mode: two watchpoint links per watched thread */
	struct bpf_link **watch_links;
	size_t nwatch, watch_cap;
};

static size_t round_pow2(size_t v)
{
	size_t p = 4096;

	while (p < v)
		p <<= 1;
	return p;
}

static int attach_site(struct tracer *t, struct bpf_program *prog, bool retprobe,
		       const struct tracer_opts *o, const struct node_site *site)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = retprobe);
	struct bpf_link *link;

	link = bpf_program__attach_uprobe_opts(prog, o->pid, o->binary, site->file_off, &uo);
	if (!link) {
		int err = -errno;

		elog("cannot attach %s to %s+0x%llx (%s): %s", retprobe ? "uretprobe" : "uprobe",
		     o->binary, (unsigned long long)site->file_off, site->symbol, strerror(-err));
		return err;
	}
	dlog("attached %s %s at %s+0x%llx", bpf_program__name(prog), retprobe ? "(return)" : "",
	     o->binary, (unsigned long long)site->file_off);
	t->links[t->nlinks++] = link;
	return 0;
}

int tracer_open(const struct tracer_opts *o, struct tracer **out, const char **err_msg)
{
	const struct node_layout *l = o->layout;
	struct asyncscope *skel;
	struct tracer *t;
	size_t rb_bytes = round_pow2(o->ringbuf_bytes);
	int err;

	*out = NULL;
	*err_msg = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;

	skel = t->skel = asyncscope__open();
	if (!skel) {
		err = -errno;
		*err_msg = "opening the BPF object failed";
		goto cleanup;
	}
	skel->rodata->targ_tgid = o->pid;
	skel->rodata->node_off = l->off;
	skel->rodata->with_stacks = o->with_stacks || o->js_exact;
	skel->rodata->js_exact = o->js_exact;
	/* wake the consumer once a quarter of the ring is pending */
	skel->rodata->wakeup_bytes = rb_bytes / 4;
	err = bpf_map__set_max_entries(skel->maps.events, rb_bytes);
	if (err) {
		*err_msg = "sizing the ring buffer failed";
		goto cleanup;
	}
	/* load only the programs this build's sites need */
	bpf_program__set_autoload(skel->progs.node_trace_async_start,
				  l->sites[SITE_TRACE_ASYNC_START].used);
	bpf_program__set_autoload(skel->progs.node_async_reset_enter,
				  l->sites[SITE_ASYNC_RESET].used);
	bpf_program__set_autoload(skel->progs.node_async_reset_exit,
				  l->sites[SITE_ASYNC_RESET].used);
	bpf_program__set_autoload(skel->progs.node_wrap_scope_enter,
				  l->sites[SITE_SCOPE_WRAP].used);

	err = asyncscope__load(skel);
	if (err) {
		*err_msg = "loading the BPF programs failed (kernel too old, or no BTF?)";
		goto cleanup;
	}

	{
		const struct {
			enum node_site_role role;
			struct bpf_program *prog;
			bool retprobe;
		} plan[] = {
			{SITE_TRACE_ASYNC_START, skel->progs.node_trace_async_start, false},
			{SITE_ASYNC_RESET, skel->progs.node_async_reset_enter, false},
			{SITE_ASYNC_RESET, skel->progs.node_async_reset_exit, true},
			{SITE_SCOPE_ENV, skel->progs.node_scope_enter, false},
			{SITE_SCOPE_WRAP, skel->progs.node_wrap_scope_enter, false},
			{SITE_POP_CONTEXT, skel->progs.node_pop_context, false},
			{SITE_WRAP_DTOR, skel->progs.node_destroy, false},
			{SITE_EMIT_DESTROY, skel->progs.node_destroy, false},
			{SITE_MICROTASKS, skel->progs.node_microtasks_enter, false},
			{SITE_MICROTASKS, skel->progs.node_microtasks_exit, true},
		};

		for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
			if (!l->sites[plan[i].role].used)
				continue;
			if (plan[i].role == SITE_MICROTASKS && !o->with_stacks)
				continue;
			err = attach_site(t, plan[i].prog, plan[i].retprobe, o,
					  &l->sites[plan[i].role]);
			if (err) {
				*err_msg = "attaching a uprobe failed";
				goto cleanup;
			}
		}
	}
	*out = t;
	return 0;

cleanup:
	tracer_destroy(t);
	return err;
}

int tracer_ringbuf_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

size_t tracer_nlinks(const struct tracer *t)
{
	return t->nlinks;
}

void tracer_read_stats(const struct tracer *t, struct probe_stats *s)
{
	memcpy(s, &t->skel->bss->stats, sizeof(*s));
}

static int open_watchpoint(pid_t tid, uint64_t addr)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = addr,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.sample_period = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	int fd = syscall(__NR_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int tracer_watch_thread(struct tracer *t, pid_t tid, uint64_t id_fields)
{
	/* the trigger slot (every push and pop) and the id counter */
	const uint64_t slots[2] = {id_fields + 8, id_fields + 16};

	for (int i = 0; i < 2; i++) {
		struct bpf_link *link;
		int fd = open_watchpoint(tid, slots[i]);

		if (fd < 0)
			return fd;
		link = bpf_program__attach_perf_event(t->skel->progs.js_watch, fd);
		if (!link) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (t->nwatch == t->watch_cap) {
			size_t ncap = t->watch_cap ? 2 * t->watch_cap : 16;
			struct bpf_link **n = realloc(t->watch_links, ncap * sizeof(*n));

			if (!n) {
				bpf_link__destroy(link);
				return -ENOMEM;
			}
			t->watch_links = n;
			t->watch_cap = ncap;
		}
		/* the link owns the perf event fd from here on */
		t->watch_links[t->nwatch++] = link;
	}
	return 0;
}

void tracer_destroy(struct tracer *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nwatch; i++)
		bpf_link__destroy(t->watch_links[i]);
	free(t->watch_links);
	for (size_t i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	asyncscope__destroy(t->skel);
	free(t);
}
