// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process discovery: every exec and every process exit, as a small record.
 * The daemon watches the whole host, so new node and libuv processes are
 * found the moment they start (no /proc polling) and the state of dead ones
 * is freed. trace -- COMMAND (follow mode) watches only COMMAND's tree: a
 * fork of a followed process is followed from the fork itself, in the
 * kernel, so a descendant is in followed_pids before it runs a single
 * instruction and the node probes (attached to the node binary for every
 * process, filtered by that set) fire for it from its first JS line on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} proc_events SEC(".maps");

/* follow mode: the processes of the tree (tgid -> 1); the tracer's
 * is_traced_tgid() looks up the same map (its fd is shared) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} followed_pids SEC(".maps");

const volatile bool follow;
/* follow mode: the node binary's device and inode */
const volatile __u64 follow_ino;
const volatile __u32 follow_dev;

/* records the ring buffer had no room for: user space then rescans /proc */
__u64 proc_drops;
/* follow mode: forks not followed because followed_pids was full */
__u64 follow_full;

static __always_inline bool followed(__u32 tgid)
{
	return bpf_map_lookup_elem(&followed_pids, &tgid) != NULL;
}

static __always_inline int emit(__u32 pid, __u32 kind)
{
	struct ev_proc r = {
		.ts_ns = bpf_ktime_get_ns(),
		.pid = pid,
		.kind = kind,
	};

	if (bpf_ringbuf_output(&proc_events, &r, EV_PROC_SHORT_SIZE, 0))
		__sync_fetch_and_add(&proc_drops, 1);
	return 0;
}

/* BTF-typed tracepoints: no tracefs needed */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct inode *image;
	struct ev_proc *r;

	if (!follow)
		return emit(tgid, PROC_EXEC);
	if (!followed(tgid))
		return 0;
	r = bpf_ringbuf_reserve(&proc_events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&proc_drops, 1);
		return 0;
	}
	r->ts_ns = bpf_ktime_get_ns();
	r->pid = tgid;
	r->kind = PROC_EXEC;
	/* a script's image is its interpreter (#!/usr/bin/env node: env) */
	image = BPF_CORE_READ(bprm, file, f_inode);
	r->ino = BPF_CORE_READ(image, i_ino);
	r->dev = BPF_CORE_READ(image, i_sb, s_dev);
	r->traced_binary = r->ino == follow_ino && r->dev == follow_dev;
	/* so user space can look at the file after a quick child is gone */
	bpf_probe_read_kernel_str(r->path, sizeof(r->path), BPF_CORE_READ(bprm, interp));
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* follow mode: a new process (not a thread) of a followed one */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (!follow || ptgid == ctgid || !followed(ptgid))
		return 0;
	if (bpf_map_update_elem(&followed_pids, &ctgid, &one, BPF_ANY))
		__sync_fetch_and_add(&follow_full, 1);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;

	/* once per process: when its leader thread exits */
	if ((__u32)pid_tgid != tgid)
		return 0;
	if (follow) {
		if (!followed(tgid))
			return 0;
		bpf_map_delete_elem(&followed_pids, &tgid);
	}
	return emit(tgid, PROC_EXIT);
}
