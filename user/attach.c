// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "asyncscope.skel.h"
#include "log.h"

struct tracer {
	struct asyncscope *skel;
	struct bpf_link *links[2 * SITE_COUNT];
	size_t nlinks;
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
	skel->rodata->with_stacks = o->with_stacks;
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

void tracer_destroy(struct tracer *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	asyncscope__destroy(t->skel);
	free(t);
}
