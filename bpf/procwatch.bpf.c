// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's process discovery: every exec and every process exit on the
 * host, as a small record, so new node and libuv processes are found the
 * moment they start (no /proc polling) and the state of dead ones is freed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} proc_events SEC(".maps");

/* records the ring buffer had no room for: user space then rescans /proc */
__u64 proc_drops;

static __always_inline int emit(__u32 kind)
{
	struct ev_proc r = {
		.ts_ns = bpf_ktime_get_ns(),
		.pid = bpf_get_current_pid_tgid() >> 32,
		.kind = kind,
	};

	if (bpf_ringbuf_output(&proc_events, &r, sizeof(r), 0))
		__sync_fetch_and_add(&proc_drops, 1);
	return 0;
}

/* BTF-typed tracepoints: no tracefs needed */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec)
{
	return emit(PROC_EXEC);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	/* once per process: when its leader thread exits */
	if ((__u32)pid_tgid != pid_tgid >> 32)
		return 0;
	return emit(PROC_EXIT);
}
