/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Aggregation mode (the daemon): each event adds into per-(process, layer,
 * type) counters and histograms in agg_types instead of crossing to user
 * space. Before, after and destroy carry only an id, so the type comes from
 * agg_ids, filled at init; resources made before the probes went in are
 * counted under AGG_TYPE_UNKNOWN.
 */
#ifndef __ASYNCSCOPE_AGG_BPF_H
#define __ASYNCSCOPE_AGG_BPF_H

#include "core.bpf.h"

static __always_inline struct agg_counts *agg_counts_get(__u32 tgid, __u16 layer, __u16 type)
{
	struct agg_key key = {.tgid = tgid, .layer = layer, .type = type};
	static const struct agg_counts zero;
	static const __u8 one = 1;
	struct agg_counts *c;

	c = bpf_map_lookup_elem(&agg_types, &key);
	if (c)
		return c;
	/* another thread may create it first: NOEXIST then fails, the lookup finds it */
	bpf_map_update_elem(&agg_types, &key, &zero, BPF_NOEXIST);
	/* before any other map holds state of this process: see tracer_forget_process() */
	bpf_map_update_elem(&agg_pids, &tgid, &one, BPF_ANY);
	c = bpf_map_lookup_elem(&agg_types, &key);
	if (!c)
		STAT_INC(agg_map_full);
	return c;
}

/* Histogram bucket of a duration: the first i with ns <= AGG_BUCKET0_NS << 2i. */
static __always_inline __u32 agg_bucket(__u64 ns)
{
	__u32 b = 0;

	for (int i = 0; i < AGG_BUCKETS - 1; i++)
		if (ns > (AGG_BUCKET0_NS << (2 * i)))
			b = i + 1;
	return b & 0xf; /* < AGG_BUCKETS, for the verifier */
}

static __always_inline void agg_hist_add(__u64 *hist, __u64 ns)
{
	__u32 b = agg_bucket(ns);

	if (b < AGG_BUCKETS)
		__sync_fetch_and_add(&hist[b], 1);
}

static __always_inline void agg_init(__u16 layer, __u64 env, __u64 id, __u16 type, __u64 now)
{
	struct agg_id_key key = {.tgid = current_tgid(), .layer = layer, .env = env, .id = id};
	struct agg_id val = {.init_ns = now, .type = type, .epoch = sample_epoch};
	struct agg_counts *c;

	c = agg_counts_get(key.tgid, layer, type);
	if (!c)
		return;
	__sync_fetch_and_add(&c->events[0], 1);
	if (bpf_map_update_elem(&agg_ids, &key, &val, BPF_ANY)) {
		STAT_INC(agg_map_full);
		return;
	}
	__sync_fetch_and_add(&c->alive, 1);
}

/*
 * A resource whose init was not seen (made before the probes went in, or
 * between windows), typed now at a later event of its own (a libuv handle
 * by itself, an AsyncWrap from its JS object): the type is kept for the
 * events that follow, but no init is counted and it does not count alive.
 * Returns its entry, or NULL.
 */
static __always_inline struct agg_id *agg_adopt(__u16 layer, __u64 env, __u64 id, __u16 type)
{
	struct agg_id_key key = {.tgid = current_tgid(), .layer = layer, .env = env, .id = id};
	struct agg_id val = {.type = type, .started = 1, .adopted = 1};

	if (bpf_map_update_elem(&agg_ids, &key, &val, BPF_ANY)) {
		STAT_INC(agg_map_full);
		return NULL;
	}
	return bpf_map_lookup_elem(&agg_ids, &key);
}

/* A live resource's entry: its type and init; NULL when its init was not seen. */
static __always_inline struct agg_id *agg_id_find(__u16 layer, __u64 env, __u64 id)
{
	struct agg_id_key key = {.tgid = current_tgid(), .layer = layer, .env = env, .id = id};

	return bpf_map_lookup_elem(&agg_ids, &key);
}

/* The counters of a live resource (or of its unknown type), and its id entry. */
static __always_inline struct agg_counts *agg_lookup(__u16 layer, __u64 env, __u64 id,
						     struct agg_id **idp)
{
	struct agg_id *v = agg_id_find(layer, env, id);

	*idp = v;
	return agg_counts_get(current_tgid(), layer, v ? v->type : AGG_TYPE_UNKNOWN);
}

/* A callback of resource v (its entry, or NULL: unknown) begins. */
static __always_inline void agg_before_of(__u16 layer, struct agg_id *v, __u64 now)
{
	struct agg_counts *c =
		agg_counts_get(current_tgid(), layer, v ? v->type : AGG_TYPE_UNKNOWN);

	if (!c)
		return;
	__sync_fetch_and_add(&c->events[1], 1);
	if (!v || v->started)
		return;
	v->started = 1;
	/* the queue delay: from init to its first callback. Sampled: only with
	 * its init in this window, else its first callback may have run unseen */
	if ((!sampled || v->epoch == sample_epoch) && now >= v->init_ns) {
		__sync_fetch_and_add(&c->queue_ns, now - v->init_ns);
		__sync_fetch_and_add(&c->queue_n, 1);
		agg_hist_add(c->queue_hist, now - v->init_ns);
	}
}

static __always_inline void agg_before(__u16 layer, __u64 env, __u64 id, __u64 now)
{
	agg_before_of(layer, agg_id_find(layer, env, id), now);
}

/* dur_ns: the callback's duration, ~0 when its start was not seen; outermost:
 * no other callback runs below it on this thread (event-loop time). */
static __always_inline void agg_after(__u16 layer, __u64 env, __u64 id, __u64 dur_ns,
				      bool outermost)
{
	struct agg_counts *c;
	struct agg_id *v;

	c = agg_lookup(layer, env, id, &v);
	if (!c)
		return;
	__sync_fetch_and_add(&c->events[2], 1);
	if (dur_ns == ~0ULL)
		return;
	__sync_fetch_and_add(&c->cb_ns, dur_ns);
	if (outermost)
		__sync_fetch_and_add(&c->loop_ns, dur_ns);
	/* racy max: a lost update between two threads costs one sample, not a count */
	if (dur_ns > c->cb_max_ns)
		c->cb_max_ns = dur_ns;
	agg_hist_add(c->cb_hist, dur_ns);
}

/* Resource id (entry v, or NULL) ends; type: v's, or what the caller knows. */
static __always_inline void agg_destroy_of(__u16 layer, __u64 env, __u64 id, struct agg_id *v,
					   __u16 type)
{
	struct agg_id_key key = {.tgid = current_tgid(), .layer = layer, .env = env, .id = id};
	struct agg_counts *c = agg_counts_get(key.tgid, layer, type);
	bool counted_alive = v && !v->adopted;

	if (!c)
		return;
	__sync_fetch_and_add(&c->events[3], 1);
	if (v && !bpf_map_delete_elem(&agg_ids, &key) && counted_alive)
		__sync_fetch_and_add(&c->alive, -1);
}

static __always_inline void agg_destroy(__u16 layer, __u64 env, __u64 id)
{
	struct agg_id *v = agg_id_find(layer, env, id);

	agg_destroy_of(layer, env, id, v, v ? v->type : AGG_TYPE_UNKNOWN);
}

#endif /* __ASYNCSCOPE_AGG_BPF_H */
