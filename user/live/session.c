// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "live/tracer.h"
#include "live/watchpoints.h"
#include "bpf/double_id.h"
#include "lib/id_set.h"
#include "lib/exit_status.h"
#include "live/follow.h"
#include "live/hold.h"
#include "live/ingest.h"
#include "model/exit_mark.h"
#include "live/js_symbolize.h"
#include "model/js_infer.h"
#include "resolve/layout_cache.h"
#include "lib/log.h"
#include "lib/mono_time.h"
#include "live/privs.h"
#include "resolve/resolve_uv.h"
#include "resolve/proc.h"
#include "live/session.h"

static volatile sig_atomic_t stop_signal, stop_count;

static void on_signal(int sig)
{
	stop_signal = sig;
	stop_count++;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_verbosity < 3)
		return 0;
	if (level == LIBBPF_INFO && log_verbosity < 2)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Exact JS mode: puts watchpoints on each node thread as it shows up. */
struct watch_filter {
	struct tracer *tracer;
	struct event_sink next;
	pid_t pid;
	uint64_t uv_cbs; /* callback probes attached at run time */
	pid_t watched[256];
	size_t nwatched;
	struct capture_summary *summary;
	struct id_set late_unseen; /* uv objects with late_probe not yet seen running */
	struct hold_guard *hold;   /* a started command's stops; NULL with -p */
};

static int watch_on_event(void *ctx, const struct event *e)
{
	struct watch_filter *w = ctx;
	int err;

	if (e->kind == EV_UV_NEWCB) {
		/* held: the process waits for this probe, resumed after the batch */
		if (e->flags & EVF_HELD)
			hold_begin(w->hold, e->ts_ns);
		err = tracer_watch_uv_callback(w->tracer, e->pid, e->caller);
		if (err) {
			w->summary->uv_callbacks_unprobed++;
			vlog("cannot probe libuv callback 0x%llx: %s",
			     (unsigned long long)e->caller, strerror(-err));
		} else {
			w->uv_cbs++;
		}
		return 0;
	}
	if (e->layer == LAYER_UV && (e->kind == EV_INIT || e->kind == EV_BEFORE)) {
		uint64_t key = ((uint64_t)e->pid << 40) ^ e->id;

		/* an object registered before its callback's probe was in place:
		 * until it is seen running, a run may have been missed */
		if (e->kind == EV_INIT && (e->flags & EVF_LATE))
			id_set_add(&w->late_unseen, key);
		else if (e->kind == EV_BEFORE)
			id_set_remove(&w->late_unseen, key);
	}
	if (e->kind != EV_THREAD_ENV)
		return w->next.on_event(w->next.ctx, e);
	if (e->flags & THREAD_ENV_STOPPED)
		hold_begin(w->hold, e->ts_ns);
	for (size_t i = 0; i < w->nwatched; i++)
		if (w->watched[i] == (pid_t)e->tid)
			return 0;
	if (w->nwatched == sizeof(w->watched) / sizeof(w->watched[0])) {
		w->summary->js_unwatched_threads++;
		return 0;
	}
	w->watched[w->nwatched++] = e->tid;
	err = tracer_watch_thread(w->tracer, e->tid, e->exec);
	if (err) {
		w->summary->js_unwatched_threads++;
		wlog("cannot watch thread %u for --js exact: %s", e->tid, strerror(-err));
	} else {
		uint64_t counter_bits;

		vlog("watching thread %u (async_id_fields at 0x%llx)", e->tid,
		     (unsigned long long)e->exec);
		/* ids issued between the thread's discovery and now were not seen
		 * by the watchpoints: zero when the process waited, stopped */
		if (!proc_read_mem(e->pid, e->exec + ASYNC_ID_COUNTER_OFF, &counter_bits,
				   sizeof(counter_bits)))
			w->summary->js_ids_before_armed +=
				id_from_double_bits(counter_bits) - id_from_double_bits(e->id);
	}
	return 0;
}

static void watch_flush(void *ctx)
{
	struct watch_filter *w = ctx;

	/* every stop of the batch was acted on: one SIGCONT ends them all */
	hold_release(w->hold, tracer_stops_sent(w->tracer));
	if (w->next.flush)
		w->next.flush(w->next.ctx);
}

/* uv layer: probe the callbacks every mapped file hands to libuv, up front. */
static void prescan_uv_callbacks(struct tracer *t, const struct session_opts *o, pid_t pid,
				 const char *binary, const char *uv_path)
{
	if (o->argv) {
		/* not mapped yet: the program and the libuv it will use */
		tracer_prescan_uv_callbacks(t, pid, binary);
		tracer_prescan_uv_callbacks(t, pid, uv_path);
		return;
	}
	tracer_prescan_process(t, pid);
}

/* execvp's lookup, done here so the binary can be resolved before exec. */
static int find_in_path(const char *name, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	struct stat st;

	if (strchr(name, '/')) {
		snprintf(out, cap, "%s", name);
		return access(out, X_OK) == 0 ? 0 : -errno;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(out, cap, "%.*s/%s", (int)(len ? len : 1), len ? path : ".", name);
		if (access(out, X_OK) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		path += len;
		if (*path == ':')
			path++;
	}
	return -ENOENT;
}

/* Forks a child that waits on a pipe before exec, so probes are in place
 * before the first line of JS runs. */
static int spawn_held(char **argv, pid_t *pid, int *go_fd)
{
	int fds[2];
	pid_t child;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (child == 0) {
		char go;

		close(fds[1]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (read(fds[0], &go, 1) != 1)
			_exit(127); /* the tracer gave up: do not run untraced */
		execvp(argv[0], argv);
		fprintf(stderr, "asyncscope: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*pid = child;
	*go_fd = fds[1];
	return 0;
}

/* The node layer: resolve node in binary. What a failure means is the
 * caller's to say (not node, or node with a rule that did not hold), since
 * the uv layer may still serve. */
static int resolve_node(const struct session_opts *o, struct session_result *r, const char *binary)
{
	int err = node_layout__resolve_cached(binary, &r->layout, &r->cache);

	if (err)
		return err;
	for (int s = 0; s < SITE_COUNT; s++)
		if (r->layout.sites[s].used && !r->layout.sites[s].emulated)
			wlog("probe site %s starts with an instruction the kernel single-steps "
			     "(slow): %s",
			     r->layout.sites[s].symbol, r->layout.sites[s].first_insn);
	return 0;
}

/*
 * -- COMMAND follows the command's tree unless --no-follow; for the node
 * layer alone, with no process stop needed (see live/follow.h): the uv
 * layer's callback probes and --js exact's watchpoints are per process and
 * stop the one process the hold guard knows.
 */
static bool follows_tree(const struct session_opts *o)
{
	return o->argv && !o->no_follow && o->js != JS_EXACT && !(o->layers & LAYER_BIT_UV);
}

/*
 * Finds the target's binary and what can be traced in it. 0, or -errno with
 * why saying it: the caller says it unless the target died meanwhile.
 */
static int resolve_target(const struct session_opts *o, struct session_result *r, char *binary,
			  size_t cap, char *why, size_t why_cap)
{
	char comm[64] = "?", exe[PATH_MAX] = "?", uvpath[PATH_MAX];
	bool want_node = o->layers & LAYER_BIT_NODE, want_uv = o->layers & LAYER_BIT_UV;
	pid_t pid = r->pid;
	const char *shown;
	int err, nerr;

	if (o->argv) {
		err = find_in_path(o->argv[0], binary, cap);
		if (err) {
			snprintf(why, why_cap, "cannot run '%s': %s", o->argv[0],
				 err == -ENOENT ? "command not found" : strerror(-err));
			return -ESRCH;
		}
		shown = binary;
	} else {
		proc_exe_path(pid, binary, cap);
		proc_comm(pid, comm, sizeof(comm));
		if ((err = proc_exe_target(pid, exe, sizeof(exe)))) {
			if (err == -ENOENT) {
				snprintf(why, why_cap,
					 "process %d (%s) has no executable (kernel thread or "
					 "exiting)",
					 pid, comm);
				return -ENOEXEC;
			}
			snprintf(why, why_cap, "cannot read /proc/%d/exe: %s", pid, strerror(-err));
			return err == -EACCES || err == -EPERM ? -EPERM : exit_failure(err);
		}
		shown = exe;
	}

	/* node: the node layer unless --layers says otherwise; anything else
	 * with libuv: the uv layer */
	nerr = resolve_node(o, r, binary);
	if (o->argv && follows_tree(o) && nerr && nerr != -ENOTSUP && nerr != -EPROTO &&
	    uv_find_for_program(binary, false, uvpath, sizeof(uvpath)) &&
	    !find_in_path("node", binary, cap)) {
		/* sh, npm, env...: what its tree runs is the node in PATH */
		vlog("%s is not node: following the node in PATH, %s", o->argv[0], binary);
		nerr = resolve_node(o, r, binary);
	}
	/* node symbols found, whether or not every rule held */
	r->is_node = !nerr || nerr == -ENOTSUP || nerr == -EPROTO;
	if (nerr && !r->is_node && nerr != -ESRCH) {
		/* not an ELF file, or not readable */
		snprintf(why, why_cap, "%s", r->layout.error);
		return nerr == -ENOEXEC ? -ENOEXEC : nerr == -EACCES ? -EPERM : -ESRCH;
	}
	if (!o->layers) {
		want_node = r->is_node;
		/* a node whose node layer is unsupported still has its libuv */
		want_uv = !r->is_node || nerr;
	}
	if (want_node && r->is_node && nerr) {
		if (!want_uv) {
			snprintf(why, why_cap,
				 "unsupported node binary %s (build-id %s): node layer: %s", shown,
				 r->layout.build_id[0] ? r->layout.build_id : "none",
				 r->layout.error);
			return -ENOEXEC;
		}
		wlog("node layer unsupported for %s (build-id %s): %s; tracing the uv layer only",
		     shown, r->layout.build_id[0] ? r->layout.build_id : "none", r->layout.error);
		want_node = false;
	}
	if (want_node && !r->is_node) {
		if (o->argv)
			snprintf(why, why_cap,
				 "%s is not a Node.js binary (no node::AsyncWrap symbols); run "
				 "node itself, e.g. asyncscope trace -- node app.js, or --layers "
				 "uv for a libuv program",
				 binary);
		else
			snprintf(why, why_cap,
				 "process %d (%s, %s) is not a Node.js process: no "
				 "node::AsyncWrap symbols",
				 pid, comm, exe);
		return -ENOEXEC;
	}
	r->node_on = want_node;
	if (want_uv) {
		err = o->argv ? uv_find_for_program(binary, o->layers & LAYER_BIT_UV, uvpath,
						    sizeof(uvpath)) :
				uv_find_in_process(pid, uvpath, sizeof(uvpath));
		if (!err)
			err = uv_layout__resolve(uvpath, &r->uv);
		if (err) {
			if (o->argv && o->layers)
				snprintf(why, why_cap,
					 "%s: no libuv in it and none installed to load", binary);
			else if (o->argv)
				snprintf(why, why_cap,
					 "%s is neither a Node.js binary nor linked with libuv (if "
					 "it loads libuv at run time, e.g. python with uvloop, use "
					 "--layers uv)",
					 binary);
			else if (o->layers)
				snprintf(why, why_cap, "process %d (%s, %s) has no libuv loaded",
					 pid, comm, exe);
			else
				snprintf(why, why_cap,
					 "process %d (%s, %s) is neither a Node.js nor a libuv "
					 "process",
					 pid, comm, exe);
			return -ENOEXEC;
		}
		for (int i = 0; i < r->uv.nsites; i++)
			if (!r->uv.sites[i].emulated && !r->uv.sites[i].wrapper)
				vlog("uv probe %s starts with an instruction the kernel "
				     "single-steps: %s",
				     r->uv.sites[i].api->name, r->uv.sites[i].insn);
		r->uv_on = true;
	}
	return 0;
}

static bool command_gone(struct session_result *r)
{
	int status;
	pid_t w = waitpid(r->pid, &status, WNOHANG);

	if (w == r->pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
		r->target_status = status;
		return true;
	}
	return w < 0 && errno == ECHILD;
}

/* A live capture between its stages (session_run). */
struct session {
	const struct session_opts *o;
	struct session_result *r;
	struct tracer *tracer;
	struct ingest *in;
	struct js_infer *js;
	struct exit_mark *exits;
	struct js_symbolizer *jsym; /* --js-stacks */
	struct js_walk_off jswalk;
	struct event_sink sink; /* what ingest feeds: the watch filter */
	struct watch_filter watch;
	char binary[PATH_MAX];
	int go_fd; /* a started command waits on it until written */
	uint64_t start;
	char why[3 * PATH_MAX]; /* why session_start failed, said by session_run */
	struct follow *follow;	/* the command's tree (r->following) */
	bool command_reaped;
};

/* --js-stacks: V8's layout of the node binary, the walker's offsets from it
 * and the symbolizer. 0, or -errno having said why in s->why. */
static int js_stacks_setup(struct session *s, const char *path)
{
	struct v8_layout *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	err = v8_layout__resolve(path, l);
	if (!err)
		err = js_walk_offsets(l, &s->jswalk);
	if (!err && !(s->jsym = js_symbolizer_new(l)))
		err = -ENOMEM;
	if (err)
		snprintf(s->why, sizeof(s->why), "--js-stacks: %s: %s", path,
			 l->error[0] ? l->error : strerror(-err));
	free(l);
	return err;
}

/* A started command is done when it and (following) all its tree are. */
static bool target_gone(struct session *s)
{
	struct session_result *r = s->r;

	follow_poll(s->follow);
	if (!s->o->argv) /* several -p: when every one has exited */
		return r->following ? !follow_tree_alive(s->follow) : !proc_alive(r->pid);
	if (!s->command_reaped)
		s->command_reaped = command_gone(r);
	return s->command_reaped && !follow_tree_alive(s->follow);
}

/*
 * Several -p: node processes of one binary, followed as a command's tree is
 * (the node layer alone, see follows_tree). One that runs another binary is
 * said and counted, not traced. 0, or -errno with s->why.
 */
static int follow_processes(struct session *s)
{
	const struct session_opts *o = s->o;
	struct session_result *r = s->r;
	int err;

	if (!r->node_on || r->uv_on || o->js == JS_EXACT) {
		snprintf(s->why, sizeof(s->why),
			 "several -p: node processes only, not with --layers uv or --js exact");
		return -ENOEXEC;
	}
	if ((err = follow_start(s->binary, &s->follow)) ||
	    (err = follow_process(s->follow, r->pid))) {
		snprintf(s->why, sizeof(s->why), "cannot follow process %d: %s", r->pid,
			 strerror(-err));
		return exit_failure(err);
	}
	for (unsigned int i = 0; i < o->nalso; i++) {
		pid_t tgid = o->also[i];

		if (proc_check_pid(tgid) || proc_tgid(o->also[i], &tgid)) {
			elog("no such process: %d", o->also[i]);
			return -ESRCH;
		}
		err = follow_process(s->follow, tgid);
		if (err && err != -EXDEV) {
			snprintf(s->why, sizeof(s->why), "cannot follow process %d: %s", tgid,
				 strerror(-err));
			return exit_failure(err);
		}
	}
	r->following = true;
	return 0;
}

/*
 * Finds and resolves the target, starts the command (held), attaches and
 * releases it. 0, or -errno having said why on stderr or in s->why (the
 * steps a dying target can fail); session_finish() undoes what was done
 * either way.
 */
static int session_start(struct session *s)
{
	const struct session_opts *o = s->o;
	struct session_result *r = s->r;
	struct sigaction sa = {.sa_handler = on_signal};
	const char *step;
	int ret, err;

	memset(r, 0, sizeof(*r));
	r->pid = o->pid;
	libbpf_set_print(libbpf_print);

	if (!o->argv) {
		pid_t tgid;

		err = proc_check_pid(o->pid);
		if (err) {
			elog("no such process: %d", o->pid);
			return -ESRCH;
		}
		/* a thread id (top -H) names its process: the programs filter on
		 * the process id, and a uprobe_multi link refuses a thread's */
		if (!proc_tgid(o->pid, &tgid) && tgid != o->pid) {
			ilog("pid %d is a thread of process %d; tracing %d", o->pid, tgid, tgid);
			r->pid = tgid;
		}
	}
	if (privs_check()) {
		elog("need root or CAP_BPF+CAP_PERFMON to attach probes (try: sudo asyncscope "
		     "...)");
		return -EPERM;
	}
	ret = resolve_target(o, r, s->binary, sizeof(s->binary), s->why, sizeof(s->why));
	snprintf(r->binary, sizeof(r->binary), "%s", s->binary);
	if (ret)
		return ret;
	/* exact mode trusts watchpoints only once one has been seen to fire:
	 * where they never do, it would attach, see nothing and say nothing */
	if (r->node_on && o->js == JS_EXACT) {
		char why[256];

		if (watchpoints_selftest(why, sizeof(why))) {
			snprintf(s->why, sizeof(s->why), "--js exact: %s; use --js default", why);
			return -ENOEXEC;
		}
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o->nalso && (err = follow_processes(s)))
		return err;
	if (o->argv) {
		err = spawn_held(o->argv, &r->pid, &s->go_fd);
		if (err) {
			snprintf(s->why, sizeof(s->why), "cannot start %s: %s", o->argv[0],
				 strerror(-err));
			return exit_failure(err);
		}
		r->following = follows_tree(o) && r->node_on && !r->uv_on;
		if (r->following && ((err = follow_start(s->binary, &s->follow)) ||
				     (err = follow_command(s->follow, r->pid)))) {
			snprintf(s->why, sizeof(s->why), "cannot follow the command's tree: %s",
				 strerror(-err));
			return exit_failure(err);
		}
		/* before any probe exists, so the guard holds none of them */
		if ((r->uv_on || (r->node_on && o->js == JS_EXACT)) &&
		    (err = hold_guard_start(r->pid, &s->watch.hold))) {
			snprintf(s->why, sizeof(s->why), "cannot start the hold guard: %s",
				 strerror(-err));
			return exit_failure(err);
		}
	}

	if (r->node_on && o->js_stacks && (err = js_stacks_setup(s, r->layout.path)))
		return exit_failure(err);
	{
		struct tracer_opts to = {
			/* following: every process of the binary, filtered by the set */
			.pid = r->following ? -1 : r->pid,
			.follow_pids_fd = r->following ? follow_pids_fd(s->follow) : 0,
			.binary = s->binary,
			.layout = r->node_on ? &r->layout : NULL,
			.uv = r->uv_on ? &r->uv : NULL,
			.ringbuf_bytes = o->ringbuf_bytes,
			.with_stacks = r->node_on && (o->with_stacks || o->js != JS_OFF),
			.full_stacks = r->node_on && o->with_stacks,
			.js_exact = r->node_on && o->js == JS_EXACT,
			.js_walk = s->jsym ? &s->jswalk : NULL,
			/* only a command we started: its stops are reported to us, not
			 * to a shell that would take them for Ctrl-Z */
			.stop_to_arm = s->watch.hold != NULL,
		};

		err = tracer_open(&to, &s->tracer, &step);
	}
	if (err) {
		snprintf(s->why, sizeof(s->why), "%s: %s", step ? step : "attach failed",
			 strerror(-err));
		return exit_failure(err);
	}
	s->sink = o->sink;
	if (r->node_on) {
		s->exits = exit_mark_new(&s->sink);
		if (!s->exits)
			return -ENOMEM;
		s->sink = exit_mark_sink(s->exits);
	}
	if (r->node_on && o->js != JS_OFF) {
		s->js = js_infer_new(&s->sink, o->js == JS_EXACT);
		if (!s->js) {
			snprintf(s->why, sizeof(s->why), "out of memory");
			return -ENOMEM;
		}
		s->sink = js_infer_sink(s->js);
	}
	if (r->uv_on)
		prescan_uv_callbacks(s->tracer, o, r->pid, s->binary, r->uv.path);
	/* records user space acts on: watchpoints (exact JS), new uv callbacks */
	s->watch.tracer = s->tracer;
	s->watch.pid = r->pid;
	s->watch.summary = &r->summary;
	s->watch.next = s->sink;
	s->sink = (struct event_sink){
		.on_event = watch_on_event, .flush = watch_flush, .ctx = &s->watch};
	err = ingest_new(tracer_ringbuf_fd(s->tracer), &r->layout, &s->sink, &r->summary, &s->in);
	if (err) {
		snprintf(s->why, sizeof(s->why), "cannot read the ring buffer: %s", strerror(-err));
		return exit_failure(err);
	}
	ingest_set_js(s->in, s->jsym);
	if (!o->quiet)
		ilog("attached %zu probes to pid %d%s (%s%s%s%s)", tracer_nlinks(s->tracer), r->pid,
		     !r->following ? "" :
		     o->argv	   ? " and its descendants" :
				     " and the other -p processes, with their descendants",
		     r->node_on ? "node layer: " : "", r->node_on ? s->binary : "",
		     r->uv_on ? (r->node_on ? ", uv layer: " : "uv layer: ") : "",
		     r->uv_on ? r->uv.path : "");
	/* the consumer may write a file header now: no event is read before */
	if (o->on_attached && (err = o->on_attached(o->attached_ctx, r)))
		return exit_failure(err);
	if (s->go_fd >= 0) {
		if (write(s->go_fd, "g", 1) != 1) {
			err = -errno;
			snprintf(s->why, sizeof(s->why), "cannot release the command: %s",
				 strerror(-err));
			return exit_failure(err);
		}
		close(s->go_fd);
		s->go_fd = -1;
	}
	s->start = now_ns();
	return 0;
}

/*
 * A command that outlived its grace period (or a second signal): it is not
 * left running unobserved, as if asyncscope had stopped normally. Returns
 * -ETIMEDOUT, having said so.
 */
static int kill_command(struct session *s)
{
	struct session_result *r = s->r;
	int st = 0;

	kill(r->pid, SIGKILL);
	if (waitpid(r->pid, &st, 0) == r->pid) {
		r->target_status = st;
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
			r->target_exited = true; /* it exited on its own meanwhile */
			return 0;
		}
	}
	if (stop_count > 1)
		elog("command %d had not exited at the second signal (SIG%s): killed it", r->pid,
		     sigabbrev_np(stop_signal));
	else
		elog("command %d had not exited %llu s after SIG%s: killed it", r->pid,
		     SESSION_GRACE_NS / 1000000000ULL, sigabbrev_np(stop_signal));
	return -ETIMEDOUT;
}

/*
 * Feeds the sink until a stop condition: Ctrl-C / SIGTERM (a started
 * command is given a grace period to shut down), --duration, the target's
 * exit, the sink asking to stop. Then reads what is left and completes the
 * summary. 0, or -errno if reading failed.
 */
static int session_drain(struct session *s)
{
	const struct session_opts *o = s->o;
	struct session_result *r = s->r;
	uint64_t deadline = 0, grace_deadline = 0;
	int ret = 0, err;

	if (o->duration_ns)
		deadline = s->start + o->duration_ns;
	for (;;) {
		err = ingest_poll(s->in, 100);
		if (err == -ECANCELED)
			break;
		if (err < 0) {
			elog("reading events failed: %s", strerror(-err));
			ret = exit_failure(err);
			break;
		}
		if (target_gone(s)) {
			r->target_exited = true;
			break;
		}
		if (stop_signal) {
			/* a command we started gets the signal too (as from a shell),
			 * and its shutdown is still observed for a grace period; past
			 * it, or at a second signal, it is killed. Once reaped, its
			 * pid may be another process's: descendants still followed
			 * run on unobserved, as after -p */
			if (!o->argv || s->command_reaped)
				break;
			if (!grace_deadline && stop_count == 1) {
				kill(r->pid, stop_signal);
				grace_deadline = now_ns() + SESSION_GRACE_NS;
			} else if (stop_count > 1 || now_ns() >= grace_deadline) {
				ret = kill_command(s);
				break;
			}
		}
		if (deadline && now_ns() >= deadline)
			break;
	}
	/* whatever is still in the ring buffer belongs to the capture */
	while ((err = ingest_poll(s->in, 0)) > 0)
		;
	if (s->js)
		js_infer_finish(s->js);
	if (s->exits)
		exit_mark_finish(s->exits);
	r->summary.uv_late_unseen = s->watch.late_unseen.len;
	r->summary.duration_ns = now_ns() - s->start;
	{
		struct rusage ru;

		if (!getrusage(RUSAGE_SELF, &ru)) {
			r->summary.self_cpu_us =
				ru.ru_utime.tv_sec * 1000000ULL + ru.ru_utime.tv_usec +
				ru.ru_stime.tv_sec * 1000000ULL + ru.ru_stime.tv_usec;
			r->summary.self_maxrss_kb = ru.ru_maxrss;
		}
	}
	if (stop_signal && !o->quiet)
		ilog("stopped by signal %d", (int)stop_signal);
	if (r->target_exited && !o->quiet)
		ilog("target %d exited", r->pid);
	return ret;
}

/*
 * Reads the probe counters, detaches everything, ends the hold guard and
 * settles a started command: killed if it never ran observed, otherwise
 * left running (or reaped). Returns ret, what the capture came to.
 */
static int session_finish(struct session *s, int ret)
{
	const struct session_opts *o = s->o;
	struct session_result *r = s->r;

	if (s->tracer) {
		int why_failed;

		tracer_read_stats(s->tracer, &r->stats);
		r->summary.lost = r->stats.ringbuf_drops;
		r->summary.read_errors = r->stats.read_errors;
		r->summary.bad_ids = r->stats.bad_ids;
		r->summary.uv_probe_failures = tracer_late_failures(s->tracer, &why_failed);
		r->probe_failure_err = why_failed;
	}
	follow_poll(s->follow);
	follow_counts(s->follow, &r->summary.processes_followed,
		      &r->summary.processes_not_followed);
	ingest_free(s->in);
	if (s->jsym && !s->o->quiet)
		ilog("--js-stacks: %llu cached functions found moved or changed, read anew",
		     (unsigned long long)js_symbolizer_stale(s->jsym));
	js_symbolizer_free(s->jsym);
	js_infer_free(s->js);
	exit_mark_free(s->exits);
	id_set_free(&s->watch.late_unseen);
	tracer_destroy(s->tracer);
	follow_free(s->follow);
	/* no probe is left to stop it: a stop whose record was never read
	 * ends here (the guard would end it if we died) */
	{
		struct hold_stats hs = {0};

		hold_guard_finish(s->watch.hold, &hs);
		r->summary.holds = hs.holds;
		r->summary.held_ns = hs.held_ns;
		r->summary.held_max_ns = hs.max_ns;
		r->summary.hold_timeouts = hs.timeouts;
	}
	if (s->go_fd >= 0) {
		/* never let the command run unobserved after a failed attach */
		kill(r->pid, SIGKILL);
		close(s->go_fd);
		waitpid(r->pid, &r->target_status, 0);
	} else if (o->argv && !r->target_exited && !ret) {
		if (waitpid(r->pid, &r->target_status, WNOHANG) == r->pid)
			r->target_exited = true;
		else if (!o->quiet)
			ilog("command %d continues, no longer observed", r->pid);
	}
	return ret;
}

/*
 * Says why session_start failed, in one line. A target that died meanwhile
 * makes every later step fail (no /proc/PID/exe, a probe per site refused):
 * its exit is then the reason, and the step's failure only its consequence.
 */
static int start_failed(struct session *s, int ret)
{
	pid_t pid = s->r->pid;

	if (!s->why[0])
		return ret; /* said already */
	if (pid > 0 && !proc_alive(pid)) {
		elog("target %d exited during attach", pid);
		return -ESRCH;
	}
	elog("%s", s->why);
	return ret;
}

int session_run(const struct session_opts *o, struct session_result *r)
{
	struct session s = {.o = o, .r = r, .go_fd = -1};
	int ret = session_start(&s);

	if (ret)
		ret = start_failed(&s, ret);
	else
		ret = session_drain(&s);
	return session_finish(&s, ret);
}

int session_command_exit_code(const struct session_result *r)
{
	if (WIFEXITED(r->target_status))
		return WEXITSTATUS(r->target_status);
	if (WIFSIGNALED(r->target_status))
		return 128 + WTERMSIG(r->target_status);
	return 0;
}

void session_report_stats(const struct session_result *r)
{
	const struct probe_stats *s = &r->stats;

	if (s->ringbuf_drops)
		elog("%llu events LOST: the ring buffer was full (raise --ringbuf-size)",
		     (unsigned long long)s->ringbuf_drops);
	if (s->read_errors)
		wlog("%llu events skipped: target memory could not be read",
		     (unsigned long long)s->read_errors);
	if (s->bad_ids)
		wlog("%llu events skipped or suspicious: invalid async ids",
		     (unsigned long long)s->bad_ids);
	if (s->frame_overflow)
		wlog("%llu callback scopes nested deeper than %d were not tracked",
		     (unsigned long long)s->frame_overflow, NODE_MAX_FRAMES);
	if (s->live_map_full || s->thread_map_full)
		wlog("BPF maps full: %llu wraps, %llu threads not tracked",
		     (unsigned long long)s->live_map_full, (unsigned long long)s->thread_map_full);
	if (r->summary.js_unwatched_threads || r->summary.js_ids_before_armed)
		wlog("--js exact: %llu threads without watchpoints; %llu ids issued before the "
		     "watchpoints were armed (their JS events are missing)",
		     (unsigned long long)r->summary.js_unwatched_threads,
		     (unsigned long long)r->summary.js_ids_before_armed);
	/* one line, not one per probe: when the target exits during an attach,
	 * every site of the batch fails the same way */
	if (r->summary.uv_callbacks_unprobed || r->summary.uv_probe_failures) {
		char sites[160] = "";

		if (r->summary.uv_probe_failures)
			snprintf(sites, sizeof(sites), "; %llu probe sites refused (%s%s)",
				 (unsigned long long)r->summary.uv_probe_failures,
				 strerror(-r->probe_failure_err),
				 r->target_exited ? "; the target had exited" : "");
		wlog("libuv: %llu callbacks could not be probed, their runs are missing%s",
		     (unsigned long long)r->summary.uv_callbacks_unprobed, sites);
	}
	if (r->summary.hold_timeouts)
		wlog("%llu stops of the target outlasted %llu ms and were ended: what ran "
		     "before its probes were in may be missing",
		     (unsigned long long)r->summary.hold_timeouts,
		     (unsigned long long)(HOLD_TIMEOUT_NS / 1000000));
	if (r->summary.uv_late_unseen)
		vlog("%llu libuv objects registered before their callback was probed were never "
		     "seen running (a run may have been missed, or it is still pending)",
		     (unsigned long long)r->summary.uv_late_unseen);
	if (r->summary.unknown_records)
		wlog("%llu unknown records skipped",
		     (unsigned long long)r->summary.unknown_records);
	dlog("stale scope frames %llu, pops without a callback scope %llu, code lookups with the "
	     "mmap lock busy %llu",
	     (unsigned long long)s->stale_frames, (unsigned long long)s->foreign_pops,
	     (unsigned long long)s->vma_busy);
}
