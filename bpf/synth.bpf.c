// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A synthetic event producer, for measuring user space alone (make bench):
 * run with BPF_PROG_TEST_RUN, it writes batch node-layer records into a ring
 * buffer like the probes' own (init, before, after, destroy of one resource
 * after another), with the probes' wakeup policy. It backs off, rather than
 * drop, while the ring is over half full, so what it measures is how fast
 * the consumer drains without a loss.
 */
#include "core.bpf.h"

const volatile __u32 batch = 4096;

__u64 produced = 0; /* records written */
__u64 backoffs = 0; /* batches cut short by a filling ring */
__u64 dropped = 0;  /* records the ring refused: lost */
__u64 next_id = 2;

static long emit_one(__u64 i, void *unused)
{
	__u64 n = produced, id = next_id;
	struct ev_node e = {
		.h = {.ts_ns = bpf_ktime_get_ns(),
		      .pid = 4242,
		      .tid = 4242,
		      .kind = EV_INIT + (n & 3),
		      .len = sizeof(e),
		      .layer = LAYER_NODE},
		.id = id,
		.trigger = id - 1,
		.exec = id - 1,
		.env = 0x1000,
		.wrap = 0x7f0000000000ULL + (id << 6),
		.provider = 1 + (id % 8),
	};

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >
	    bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 2) {
		backoffs++;
		return 1;
	}
	if (bpf_ringbuf_output(&events, &e, sizeof(e), wakeup_flag())) {
		dropped++;
		return 1;
	}
	produced = n + 1;
	if ((n & 3) == 3)
		next_id = id + 1;
	return 0;
}

SEC("raw_tp")
int synth_events(void *ctx)
{
	bpf_loop(batch, emit_one, NULL, 0);
	return 0;
}
