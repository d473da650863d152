// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "event/event.h"

static const char *const kind_names[EV_KIND_COUNT] = {[EV_NONE] = "none",
#define EV_KIND_NAME(k, name) [k] = name,
						      EV_KIND_LIST(EV_KIND_NAME)
#undef EV_KIND_NAME
};

#define SUMMARY_FIELD(f, missed)                                \
	{                                                       \
#f, offsetof(struct capture_summary, f), missed \
	}
const struct summary_field summary_fields[] = {
	SUMMARY_FIELD(lost, true),
	SUMMARY_FIELD(read_errors, true),
	SUMMARY_FIELD(bad_ids, true),
	SUMMARY_FIELD(unknown_records, true),
	SUMMARY_FIELD(js_unwatched_threads, true),
	SUMMARY_FIELD(js_ids_before_armed, true),
	SUMMARY_FIELD(uv_callbacks_unprobed, true),
	SUMMARY_FIELD(uv_late_unseen, true),
	SUMMARY_FIELD(uv_probe_failures, true),
	SUMMARY_FIELD(hold_timeouts, true),
	SUMMARY_FIELD(holds, false),
	SUMMARY_FIELD(held_ns, false),
	SUMMARY_FIELD(held_max_ns, false),
	SUMMARY_FIELD(processes_not_followed, true),
	SUMMARY_FIELD(processes_followed, false),
	SUMMARY_FIELD(duration_ns, false),
	SUMMARY_FIELD(self_cpu_us, false),
	SUMMARY_FIELD(self_maxrss_kb, false),
};
#undef SUMMARY_FIELD
const int nsummary_fields = sizeof(summary_fields) / sizeof(summary_fields[0]);

const char *ev_kind_name(enum ev_kind kind)
{
	return kind < EV_KIND_COUNT ? kind_names[kind] : "none";
}

enum ev_kind ev_kind_from_name(const char *name)
{
	for (int k = EV_NONE + 1; k < EV_KIND_COUNT; k++)
		if (!strcmp(kind_names[k], name))
			return k;
	return EV_NONE;
}

const char *rejection_kind_name(uint32_t kind)
{
	return kind == REJECTION_UNHANDLED    ? "unhandled" :
	       kind == REJECTION_HANDLED_LATE ? "handled_late" :
						NULL;
}

uint32_t rejection_kind_from_name(const char *name)
{
	for (uint32_t k = REJECTION_UNHANDLED; k <= REJECTION_HANDLED_LATE; k++)
		if (!strcmp(rejection_kind_name(k), name))
			return k;
	return 0;
}

const char *ev_layer_name(enum ev_layer layer)
{
	switch (layer) {
	case LAYER_NODE:
		return "node";
	case LAYER_JS:
		return "js";
	case LAYER_UV:
		return "uv";
	}
	return "?";
}

enum ev_layer ev_layer_from_name(const char *name)
{
	if (!strcmp(name, "node"))
		return LAYER_NODE;
	if (!strcmp(name, "js"))
		return LAYER_JS;
	if (!strcmp(name, "uv"))
		return LAYER_UV;
	return 0;
}

/* Interned strings: an open-addressing set that only grows. Type names
 * number in the dozens, so this stays tiny. */
static char **pool;
static size_t pool_cap, pool_len;

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

const char *intern(const char *s)
{
	size_t i;

	if (!s)
		return NULL;
	if (pool_len * 2 >= pool_cap) {
		size_t ncap = pool_cap ? pool_cap * 2 : 64;
		char **np = calloc(ncap, sizeof(*np));

		if (!np)
			return NULL;
		for (size_t j = 0; j < pool_cap; j++) {
			if (!pool[j])
				continue;
			for (i = hash_str(pool[j]) & (ncap - 1); np[i]; i = (i + 1) & (ncap - 1))
				;
			np[i] = pool[j];
		}
		free(pool);
		pool = np;
		pool_cap = ncap;
	}
	for (i = hash_str(s) & (pool_cap - 1); pool[i]; i = (i + 1) & (pool_cap - 1))
		if (!strcmp(pool[i], s))
			return pool[i];
	pool[i] = strdup(s);
	if (!pool[i])
		return NULL;
	pool_len++;
	return pool[i];
}

const char *uv_type_name(uint32_t type)
{
	static const char *const names[UVT_COUNT] = {
#define UV_TYPE_NAME(t, name) [t] = name,
		UV_TYPE_LIST(UV_TYPE_NAME)
#undef UV_TYPE_NAME
	};

	return type > UVT_NONE && type < UVT_COUNT ? names[type] : NULL;
}
