// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What a capture file's header says about a live session's target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "capture_meta.h"
#include "log.h"

#include "version.h"

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int capture_meta_from_session(const struct session_opts *o, const struct session_result *r,
			      struct capture_meta *m)
{
	static const char *const js_names[] = {
		[JS_DEFAULT] = "default", [JS_OFF] = "off", [JS_EXACT] = "exact"};
	size_t used = 0;

	memset(m, 0, sizeof(*m));
	snprintf(m->tool_version, sizeof(m->tool_version), "%s", ASYNCSCOPE_VERSION);
	m->pid = r->pid;
	snprintf(m->exe, sizeof(m->exe), "%s", r->binary);
	for (char **a = o->argv; a && *a; a++) {
		int n = snprintf(m->command + used, sizeof(m->command) - used, "%s%s",
				 used ? " " : "", *a);

		if (n < 0 || (size_t)n >= sizeof(m->command) - used)
			break;
		used += n;
	}
	if (r->node_on) {
		node_binary_version(r->binary, m->node_version, sizeof(m->node_version));
		snprintf(m->node_build_id, sizeof(m->node_build_id), "%s", r->layout.build_id);
		m->providers = calloc(r->layout.nproviders, NODE_PROVIDER_NAME_MAX);
		for (int i = 0; m->providers && i < r->layout.nproviders; i++) {
			size_t len = strlen(r->layout.providers[i]) + 1;

			memcpy(m->providers + m->providers_len, r->layout.providers[i], len);
			m->providers_len += len;
			m->nproviders++;
		}
	}
	if (r->uv_on) {
		snprintf(m->uv_path, sizeof(m->uv_path), "%s", r->uv.path);
		snprintf(m->uv_build_id, sizeof(m->uv_build_id), "%s", r->uv.build_id);
	}
	snprintf(m->layers, sizeof(m->layers), "%s%s%s", r->node_on ? "node" : "",
		 r->node_on && r->uv_on ? "," : "", r->uv_on ? "uv" : "");
	snprintf(m->js_mode, sizeof(m->js_mode), "%s", r->node_on ? js_names[o->js] : "off");
	/* the same instant on both clocks: event times (monotonic) to wall time */
	m->clock_mono_ns = clock_ns(CLOCK_MONOTONIC);
	m->clock_real_ns = clock_ns(CLOCK_REALTIME);
	return 0;
}

int capture_start_for_session(FILE *f, const char *path, const struct session_opts *o,
			      const struct session_result *r, struct capture_writer **w)
{
	struct capture_meta meta;
	int err;

	capture_meta_from_session(o, r, &meta);
	err = capture_writer_open(f, &meta, w);
	capture_meta_free(&meta);
	if (err)
		elog("cannot write %s: %s", path, strerror(-err));
	return err;
}
