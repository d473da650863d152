// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What each part of a probe costs on this machine (make bench): one program
 * per helper the node layer uses, each on a site of its own in
 * tools/bench/probe_cost.c, timed by kernel.bpf_stats_enabled. The empty
 * program is the floor bpf_stats itself measures; the others add one part.
 * Reads go to the target's stack (hot in cache), as the probes' reads of
 * node's heap mostly are.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ring SEC(".maps");

struct slot {
	__u64 words[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct slot);
} per_thread SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} table SEC(".maps");

__u64 sink;
__u64 record[10]; /* an 80-byte record, the size of the node layer's */
__u8 big[256];

static __always_inline void *user_sp(struct pt_regs *ctx)
{
	return (void *)PT_REGS_SP(ctx);
}

SEC("uprobe")
int cost_empty(struct pt_regs *ctx)
{
	return 0;
}

SEC("uprobe")
int cost_pid_tgid(struct pt_regs *ctx)
{
	sink += bpf_get_current_pid_tgid();
	return 0;
}

SEC("uprobe")
int cost_ktime(struct pt_regs *ctx)
{
	sink += bpf_ktime_get_ns();
	return 0;
}

SEC("uprobe")
int cost_read_user(struct pt_regs *ctx)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), user_sp(ctx));
	sink += v;
	return 0;
}

SEC("uprobe")
int cost_read_user_x2(struct pt_regs *ctx)
{
	__u64 v = 0, w = 0;

	bpf_probe_read_user(&v, sizeof(v), user_sp(ctx));
	bpf_probe_read_user(&w, sizeof(w), user_sp(ctx) + 64);
	sink += v + w;
	return 0;
}

SEC("uprobe")
int cost_read_user_256(struct pt_regs *ctx)
{
	bpf_probe_read_user(big, sizeof(big), user_sp(ctx));
	return 0;
}

SEC("uprobe")
int cost_task_storage(struct pt_regs *ctx)
{
	struct slot *s = bpf_task_storage_get(&per_thread, bpf_get_current_task_btf(), 0,
					      BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (s)
		s->words[0]++;
	return 0;
}

SEC("uprobe")
int cost_hash_lookup(struct pt_regs *ctx)
{
	__u64 k = 42, *v = bpf_map_lookup_elem(&table, &k);

	if (v)
		sink += *v;
	return 0;
}

SEC("uprobe")
int cost_ringbuf_reserve(struct pt_regs *ctx)
{
	__u64 *r = bpf_ringbuf_reserve(&ring, sizeof(record), 0);

	if (!r)
		return 0;
	__builtin_memcpy(r, record, sizeof(record));
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("uprobe")
int cost_ringbuf_output(struct pt_regs *ctx)
{
	bpf_ringbuf_output(&ring, record, sizeof(record), BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("uprobe")
int cost_ringbuf_query(struct pt_regs *ctx)
{
	sink += bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);
	return 0;
}
