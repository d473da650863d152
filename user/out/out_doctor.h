/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Prints what resolve_node found in a binary: text for people, JSON for machines. */
#ifndef __ASYNCSCOPE_OUT_DOCTOR_H
#define __ASYNCSCOPE_OUT_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

#include "resolve/resolve_node.h"
#include "resolve/resolve_uv.h"
#include "resolve/v8_layout.h"

struct doctor_target {
	int pid; /* 0 when a binary was named directly */
	const char *comm;
	const char *exe;       /* what /proc/PID/exe points at, or the path given */
	int resolve_err;       /* node_layout__resolve's return */
	const char *cache;     /* "hit", "miss", "off" */
	char node_version[32]; /* from the binary, "" if not found */
	int init_hooks;	       /* live: async_hooks init hooks in the target, -1 unknown */
	/* live verification (doctor --live), filled when run */
	bool live_run;
	bool live_ok;
	unsigned long long live_events, live_inits, live_bad;
	char live_note[256];
	/* uv layer: where libuv is and what resolve_uv found (uv_err -ESRCH: none) */
	int uv_err;
	const struct uv_layout *uv;
	long uv_callbacks; /* callbacks cb_scan finds in the program, -1 unknown */
	unsigned long long live_uv_events;
	/* exact JS mode's hardware watchpoints: "" when they fire here, else why not */
	char watchpoints_note[256];
	/* the V8 layout JS stacks need (NULL: not looked for); optional, so it
	 * never changes the verdict */
	const struct v8_layout *v8;
	int v8_err; /* v8_layout__resolve's return */
};

/* Whether the binary is node (has node::AsyncWrap symbols), resolved or not. */
bool doctor_is_node(const struct doctor_target *t);

/* Whether every layer the target needs resolved: the node layer for node
 * (its uv layer alone would miss every AsyncWrap), the uv layer otherwise. */
bool doctor_supported(const struct doctor_target *t);

/* What the target's promises look like from outside (node version, hooks). */
const char *doctor_promise_note(const struct doctor_target *t);

void doctor_print_text(FILE *out, const struct doctor_target *t, const struct node_layout *l);
void doctor_print_json(FILE *out, const struct doctor_target *t, const struct node_layout *l);

#endif /* __ASYNCSCOPE_OUT_DOCTOR_H */
