// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* asyncscope doctor: what was resolved in a target binary, and whether it verified. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve/cb_scan.h"
#include "cli/cmd.h"
#include "resolve/layout_cache.h"
#include "lib/log.h"
#include "out/out_doctor.h"
#include "live/privs.h"
#include "resolve/proc.h"
#include "resolve/resolve_node.h"
#include "resolve/resolve_uv.h"
#include "resolve/v8_layout.h"
#include "live/session.h"
#include "live/watchpoints.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: asyncscope doctor (-p PID | --binary PATH) [OPTIONS]\n"
		"\n"
		"Shows what asyncscope finds in a node binary: probe sites and their first\n"
		"instruction (whether the kernel emulates it or must single-step it),\n"
		"struct offsets derived from the code and how they were cross-checked, and\n"
		"the provider (type) names; and for the uv layer (node or any libuv\n"
		"program) where libuv is, its API probe sites and the callbacks found in\n"
		"the program; and the V8 layout JS stacks rely on (V8's postmortem\n"
		"metadata: each constant, its source and cross-checks). With -p and\n"
		"privileges it also attaches for a moment and checks the live events\n"
		"(ids whole and positive, known types, trigger ids that precede the\n"
		"resource).\n"
		"\n"
		"Options:\n"
		"  -p, --pid PID        a running process\n"
		"      --binary PATH    a node or libuv binary on disk (no root needed)\n"
		"      --live D         how long to watch live events (default 2s; 0 skips)\n"
		"      --format F       text (default) or json\n"
		"  -h, --help           this help\n"
		"\n"
		"Exit status: 0 when supported (and the live check passed); 1 when the\n"
		"live check failed; 3 when the process or file does not exist; 4 when a\n"
		"layer the target needs is not supported (for node, the node layer, even\n"
		"if its uv layer resolves); 5 without the privileges to read the\n"
		"process. A host without working hardware watchpoints is shown (--js\n"
		"exact refuses there) but does not change the status, nor does a\n"
		"build without the V8 metadata (JS stacks are optional).\n"
		"\n"
		"Examples:\n"
		"  sudo asyncscope doctor -p 4242\n"
		"  asyncscope doctor --binary /usr/bin/python3   # not node, no libuv: exit 4\n"
		"  asyncscope doctor --binary ~/.cache/asyncscope/node-24.21.0/bin/node "
		"--format json\n");
}

struct live_check {
	struct doctor_target *t;
	const struct node_layout *l;
};

/* The checks a correct layout passes on every event (see docs/internals.md). */
static int check_event(void *ctx, const struct event *e)
{
	struct live_check *c = ctx;

	if (e->layer == LAYER_UV) {
		/* uv ids are asyncscope's own, counted from 1 per process */
		c->t->live_uv_events++;
		if (!e->id || (e->kind == EV_INIT && !e->type))
			c->t->live_bad++;
		return 0;
	}
	c->t->live_events++;
	if (e->has_stack && (int)e->init_hooks > c->t->init_hooks)
		c->t->init_hooks = e->init_hooks;
	if (e->id < 2)
		c->t->live_bad++;
	if (e->kind == EV_INIT) {
		c->t->live_inits++;
		if (!e->type || e->trigger > e->id || e->exec > e->id)
			c->t->live_bad++;
	}
	return 0;
}

enum { OPT_BINARY = 3000, OPT_LIVE };

/* the live check reads a couple of seconds of events, no more */
#define DOCTOR_RINGBUF_BYTES (4 << 20)

struct doctor_args {
	const char *binary;
	uint64_t live_ns;
};

/* The uv layer: where libuv is for this target, its sites, the program's callbacks. */
static void describe_uv(struct doctor_target *t, pid_t pid, const char *exe, struct uv_layout *uv)
{
	struct cb_candidate *cands;
	char uvpath[PATH_MAX];
	size_t n;

	t->uv = uv;
	t->uv_callbacks = -1;
	t->uv_err = pid ? uv_find_in_process(pid, uvpath, sizeof(uvpath)) :
			  uv_find_for_program(exe, false, uvpath, sizeof(uvpath));
	if (!t->uv_err)
		t->uv_err = uv_layout__resolve(uvpath, uv);
	if (!t->uv_err && !cb_scan(exe, &cands, &n)) {
		t->uv_callbacks = n;
		free(cands);
	}
}

static int doctor_opt(int opt, const char *arg, void *ctx)
{
	struct doctor_args *a = ctx;

	if (opt == OPT_BINARY) {
		a->binary = arg;
		return -1;
	}
	if (opt == OPT_LIVE && !parse_duration(arg, &a->live_ns))
		return -1;
	elog("doctor: invalid --live '%s' (e.g. 2s, 0 to skip)", arg);
	return EXIT_USAGE;
}

int do_doctor(int argc, char **argv)
{
	static const struct option extra[] = {
		{"binary", required_argument, NULL, OPT_BINARY},
		{"live", required_argument, NULL, OPT_LIVE},
		{0},
	};
	struct doctor_args a = {.live_ns = 2000000000ULL};
	struct session_opts so = {.ringbuf_bytes = DOCTOR_RINGBUF_BYTES, .quiet = true};
	struct doctor_target t = {.cache = "off", .init_hooks = -1};
	enum cache_state cache = CACHE_OFF;
	const char *format = "text";
	char comm[64], exe[PATH_MAX], path[64];
	struct node_layout *l;
	static struct uv_layout uv;
	struct v8_layout *v8;
	int status;

	struct target_opts_spec spec = {
		.cmd = "doctor",
		.format = &format,
		.extra = extra,
		.extra_fn = doctor_opt,
		.ctx = &a,
		.usage = usage,
		.target_optional = true,
	};

	status = parse_target_opts(argc, argv, &spec, &so);
	if (status >= 0)
		return status;
	if (!so.pid == !a.binary) {
		elog("doctor: give -p PID or --binary PATH (see doctor --help)");
		return EXIT_USAGE;
	}
	/* one report per process: a second -p must not silently lose */
	if (so.nalso) {
		elog("doctor: only one -p is supported");
		return EXIT_USAGE;
	}
	if (strcmp(format, "text") && strcmp(format, "json")) {
		elog("doctor: unknown --format '%s' (text or json)", format);
		return EXIT_USAGE;
	}
	if (so.argv) {
		elog("doctor: takes -p PID or --binary PATH, not a command");
		return EXIT_USAGE;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return EXIT_FAIL;
	if (so.pid) {
		if (proc_check_pid(so.pid)) {
			elog("no such process: %d", so.pid);
			free(l);
			return EXIT_NO_TARGET;
		}
		proc_comm(so.pid, comm, sizeof(comm));
		if (proc_exe_target(so.pid, exe, sizeof(exe)))
			snprintf(exe, sizeof(exe), "?");
		proc_exe_path(so.pid, path, sizeof(path));
		t.pid = so.pid;
		t.comm = comm;
		t.exe = exe;
		t.resolve_err = node_layout__resolve_cached(path, l, &cache);
	} else {
		t.resolve_err = node_layout__resolve_cached(a.binary, l, &cache);
	}

	if (t.resolve_err == -EACCES || t.resolve_err == -EPERM) {
		if (so.pid)
			elog("cannot read the executable of process %d: permission denied (try: "
			     "sudo asyncscope doctor -p %d)",
			     so.pid, so.pid);
		else
			elog("cannot read %s: permission denied", a.binary);
		free(l);
		return EXIT_NOPERM;
	}
	if (t.resolve_err == -ENOENT && !so.pid) {
		elog("no such file: %s", a.binary);
		free(l);
		return EXIT_NO_TARGET;
	}
	t.cache = cache_state_name(cache);
	if (doctor_is_node(&t))
		watchpoints_selftest(t.watchpoints_note, sizeof(t.watchpoints_note));
	/* the uv layer's scan of a node binary takes most of a second: after the
	 * live check when the node layer alone decides it, so the window is now */
	if (t.resolve_err)
		describe_uv(&t, so.pid, so.pid ? path : a.binary, &uv);
	node_binary_version(so.pid ? path : a.binary, t.node_version, sizeof(t.node_version));
	/* JS stacks are optional: shown for node (or any V8 build), never the verdict */
	v8 = calloc(1, sizeof(*v8));
	if (v8) {
		t.v8_err = v8_layout__resolve(so.pid ? path : a.binary, v8);
		if (doctor_is_node(&t) || t.v8_err != -ESRCH)
			t.v8 = v8;
	}
	if (!doctor_supported(&t) && so.pid && a.live_ns)
		snprintf(t.live_note, sizeof(t.live_note),
			 "skipped: a layer this process needs is "
			 "not supported");
	if (doctor_supported(&t) && so.pid && a.live_ns) {
		if (privs_check()) {
			snprintf(t.live_note, sizeof(t.live_note), "skipped: needs root");
		} else {
			struct session_result *res = calloc(1, sizeof(*res));
			struct live_check c = {.t = &t, .l = l};

			so.duration_ns = a.live_ns;
			so.sink = (struct event_sink){.on_event = check_event, .ctx = &c};
			t.live_run = true;
			t.init_hooks = 0;
			status = res ? exit_status_of(session_run(&so, res)) : EXIT_FAIL;
			if (status != EXIT_OK) {
				snprintf(t.live_note, sizeof(t.live_note),
					 "could not attach (exit %d: the line above says why)",
					 status);
				t.live_ok = false;
			} else {
				t.live_ok = t.live_bad == 0 && res->summary.unknown_records == 0;
				if (!t.live_events && !t.live_uv_events)
					snprintf(t.live_note, sizeof(t.live_note),
						 "no events in the window (idle target?): nothing "
						 "to check");
				if (res->summary.unknown_records)
					snprintf(t.live_note, sizeof(t.live_note),
						 "%llu records with unknown provider types",
						 (unsigned long long)res->summary.unknown_records);
			}
			free(res);
		}
	}

	if (!t.resolve_err)
		describe_uv(&t, so.pid, so.pid ? path : a.binary, &uv);
	if (!strcmp(format, "json"))
		doctor_print_json(stdout, &t, l);
	else
		doctor_print_text(stdout, &t, l);

	/* 4 whenever a layer the target needs did not resolve, in every mode */
	if (!doctor_supported(&t))
		status = t.resolve_err && !doctor_is_node(&t) && t.resolve_err != -ESRCH &&
					 t.resolve_err != -ENOEXEC ?
				 EXIT_NO_TARGET :
				 EXIT_UNSUPPORTED;
	else
		status = t.live_run && !t.live_ok ? EXIT_FAIL : EXIT_OK;
	free(v8);
	free(l);
	return status;
}
