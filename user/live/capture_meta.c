// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What a capture file's header says about a live session's target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event/capture.h"
#include "live/capture_meta.h"
#include "lib/log.h"

#include "lib/version.h"

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int capture_meta_for_target(const struct capture_target *t, struct capture_meta *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->tool_version, sizeof(m->tool_version), "%s", ASYNCSCOPE_VERSION);
	m->pid = t->pid;
	snprintf(m->exe, sizeof(m->exe), "%s", t->exe);
	snprintf(m->command, sizeof(m->command), "%s", t->command ? t->command : "");
	if (t->node) {
		snprintf(m->node_version, sizeof(m->node_version), "%s", t->node_version);
		snprintf(m->node_build_id, sizeof(m->node_build_id), "%s", t->node->build_id);
		m->providers = calloc(t->node->nproviders, NODE_PROVIDER_NAME_MAX);
		for (int i = 0; m->providers && i < t->node->nproviders; i++) {
			size_t len = strlen(t->node->providers[i]) + 1;

			memcpy(m->providers + m->providers_len, t->node->providers[i], len);
			m->providers_len += len;
			m->nproviders++;
		}
	}
	if (t->uv) {
		snprintf(m->uv_path, sizeof(m->uv_path), "%s", t->uv_path);
		snprintf(m->uv_build_id, sizeof(m->uv_build_id), "%s", t->uv->build_id);
	}
	snprintf(m->layers, sizeof(m->layers), "%s%s%s", t->node ? "node" : "",
		 t->node && t->uv ? "," : "", t->uv ? "uv" : "");
	snprintf(m->js_mode, sizeof(m->js_mode), "%s", t->node ? t->js_mode : "off");
	/* the same instant on both clocks: event times (monotonic) to wall time */
	m->clock_mono_ns = clock_ns(CLOCK_MONOTONIC);
	m->clock_real_ns = clock_ns(CLOCK_REALTIME);
	return 0;
}

int capture_meta_from_session(const struct session_opts *o, const struct session_result *r,
			      struct capture_meta *m)
{
	static const char *const js_names[] = {
		[JS_DEFAULT] = "default", [JS_OFF] = "off", [JS_EXACT] = "exact"};
	char command[sizeof(m->command)] = "", node_version[sizeof(m->node_version)] = "";
	struct capture_target t = {
		.pid = r->pid,
		.exe = r->binary,
		.command = command,
		.node = r->node_on ? &r->layout : NULL,
		.node_version = node_version,
		.uv = r->uv_on ? &r->uv : NULL,
		.uv_path = r->uv.path,
		.js_mode = js_names[o->js],
	};
	size_t used = 0;

	for (char **a = o->argv; a && *a; a++) {
		int n = snprintf(command + used, sizeof(command) - used, "%s%s", used ? " " : "",
				 *a);

		if (n < 0 || (size_t)n >= sizeof(command) - used)
			break;
		used += n;
	}
	if (r->node_on)
		node_binary_version(r->binary, node_version, sizeof(node_version));
	return capture_meta_for_target(&t, m);
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
