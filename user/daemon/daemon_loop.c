// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf/events.h"
#include "daemon/daemon.h"
#include "event/capture.h"
#include "daemon/daemon_capture.h"
#include "daemon/daemon_config.h"
#include "daemon/daemon_metrics.h"
#include "daemon/daemon_targets.h"
#include "lib/log.h"
#include "lib/safe_output.h"
#include "daemon/metrics_http.h"
#include "live/privs.h"
#include "procwatch.skel.h"

struct daemon {
	const struct daemon_opts *opts;
	struct daemon_config cfg;
	int epfd, sigfd;
	struct procwatch *watch;
	struct ring_buffer *watch_rb;
	struct http_server *http;
	struct targets *targets;
	struct captures *captures;
	int state_fd, ctl_fd;
	struct loop_source watch_src, http_src, sig_src, ctl_src;
	bool stop;
	uint64_t execs_seen, config_reloads, config_errors;
};

/* ---- process events -------------------------------------------------- */

/* Ends pid's capture: its last records, the probes' capture mark, the file. */
static void capture_end(void *ctx, pid_t pid)
{
	struct daemon *d = ctx;

	targets_drain(d->targets);
	targets_capture(d->targets, pid, false, NULL, NULL);
	captures_stop(d->captures, pid);
}

static int on_proc_event(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;
	const struct ev_proc *e = data;

	if (size < EV_PROC_SHORT_SIZE)
		return 0;
	if (e->kind == PROC_EXEC) {
		d->execs_seen++;
		/* a new image is a new process: a capture of the old one ends */
		if (captures_has(d->captures, e->pid))
			capture_end(d, e->pid);
		targets_on_exec(d->targets, e->pid);
	} else if (e->kind == PROC_EXIT) {
		if (captures_has(d->captures, e->pid))
			capture_end(d, e->pid);
		targets_on_exit(d->targets, e->pid, e->ts_ns);
	}
	return 0;
}

static void watch_ready(void *ctx)
{
	struct daemon *d = ctx;
	uint64_t drops = d->watch->bss->proc_drops;
	static uint64_t drops_seen;

	ring_buffer__consume(d->watch_rb);
	if (drops != drops_seen) {
		/* exec or exit records were lost: /proc tells the truth */
		wlog("%llu process events lost; rescanning /proc",
		     (unsigned long long)(drops - drops_seen));
		drops_seen = drops;
		targets_scan_all(d->targets);
	}
}

static int watch_open(struct daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->watch_src};
	int err;

	d->watch = procwatch__open();
	if (!d->watch)
		return -errno;
	/* forks matter to trace's follow mode only */
	bpf_program__set_autoload(d->watch->progs.proc_fork, false);
	if ((err = procwatch__load(d->watch)) || (err = procwatch__attach(d->watch)))
		return err;
	d->watch_rb =
		ring_buffer__new(bpf_map__fd(d->watch->maps.proc_events), on_proc_event, d, NULL);
	if (!d->watch_rb)
		return -errno;
	d->watch_src = (struct loop_source){watch_ready, d};
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(d->watch_rb), &ev))
		return -errno;
	return 0;
}

/* ---- /metrics ---------------------------------------------------------- */

static void self_usage(struct metrics_self *m)
{
	struct rusage ru;
	unsigned long pages_total, pages_rss;
	FILE *f;

	if (!getrusage(RUSAGE_SELF, &ru))
		m->cpu_seconds = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
				 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%lu %lu", &pages_total, &pages_rss) == 2)
			m->rss_bytes = (uint64_t)pages_rss * sysconf(_SC_PAGESIZE);
		fclose(f);
	}
}

static void render_metrics(void *ctx, FILE *out)
{
	struct daemon *d = ctx;
	const struct http_server_stats *hs = http_server_stats(d->http);
	struct metrics_snapshot s = {0};

	targets_snapshot(d->targets, &s);
	s.self.events_lost += d->watch->bss->proc_drops;
	s.self.links += 2; /* exec and exit tracepoints */
	s.self.execs_seen = d->execs_seen;
	s.self.config_reloads = d->config_reloads;
	s.self.config_errors = d->config_errors;
	/* this scrape included */
	s.self.scrapes = hs->requests + 1;
	s.self.http_refused = hs->refused;
	s.self.http_timed_out = hs->timed_out;
	self_usage(&s.self);
	metrics_render(out, &s);
	metrics_snapshot_free(&s);
}

static void http_ready(void *ctx)
{
	struct daemon *d = ctx;

	http_server_handle(d->http);
}

static int http_open(struct daemon *d, const char *listen, struct http_server **out)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->http_src};
	struct http_server_opts ho = {.render = render_metrics, .ctx = d};
	char why[256];
	int err;

	err = http_server_open(listen, &ho, out, why, sizeof(why));
	if (err) {
		elog("%s", why);
		return err;
	}
	d->http_src = (struct loop_source){http_ready, d};
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, http_server_fd(*out), &ev)) {
		err = -errno;
		http_server_close(*out);
		*out = NULL;
		return err;
	}
	return 0;
}

/* ---- configuration ------------------------------------------------------- */

int daemon_read_config(const char *path, struct daemon_config *c)
{
	char why[512];
	int err;

	daemon_config_defaults(c);
	if (!path)
		return 0;
	err = daemon_config_load(path, c, why, sizeof(why));
	if (err) {
		elog("%s", why);
		daemon_config_free(c);
	}
	return err;
}

/* The config file with the command line's overrides. */
static int config_with_opts(const struct daemon_opts *o, struct daemon_config *c)
{
	int err = daemon_read_config(o->config_path, c);

	/* cmd_daemon checked the value */
	if (!err && o->mode)
		daemon_config_parse_mode(o->mode, &c->mode);
	return err;
}

/* SIGHUP: a config that does not load leaves the running one in place. */
static void config_reload(struct daemon *d)
{
	struct daemon_config next;
	struct http_server *http = NULL;
	const char *listen;

	if (config_with_opts(d->opts, &next)) {
		d->config_errors++;
		elog("config not reloaded: keeping the previous one");
		return;
	}
	if (next.mode != d->cfg.mode) {
		/* the probes were built for one mode (BPF constants, map kinds) */
		d->config_errors++;
		elog("config not reloaded: mode cannot change while the daemon runs (%s -> %s); "
		     "restart it",
		     daemon_mode_name(d->cfg.mode), daemon_mode_name(next.mode));
		daemon_config_free(&next);
		return;
	}
	if (strcmp(next.state_dir, d->cfg.state_dir)) {
		d->config_errors++;
		elog("config not reloaded: state_dir cannot change while the daemon runs "
		     "(%s -> %s); restart it",
		     d->cfg.state_dir, next.state_dir);
		daemon_config_free(&next);
		return;
	}
	listen = d->opts->listen ? d->opts->listen : next.listen;
	if (strcmp(listen, d->opts->listen ? d->opts->listen : d->cfg.listen)) {
		if (http_open(d, listen, &http)) {
			d->config_errors++;
			elog("config not reloaded: cannot listen on %s", listen);
			daemon_config_free(&next);
			return;
		}
		http_server_close(d->http);
		d->http = http;
	}
	daemon_config_free(&d->cfg);
	d->cfg = next;
	targets_set_config(d->targets, &d->cfg);
	captures_set_limits(d->captures, d->cfg.capture_file_size, d->cfg.capture_budget);
	/* a captured process the new config excludes is no longer captured */
	for (size_t i = captures_count(d->captures); i-- > 0;) {
		pid_t pid = captures_pid(d->captures, i);
		struct capture_meta m;

		if (targets_capture_meta(d->targets, pid, &m)) {
			capture_end(d, pid);
			continue;
		}
		capture_meta_free(&m);
	}
	d->config_reloads++;
	ilog("config reloaded from %s", d->opts->config_path ? d->opts->config_path : "defaults");
}

/* ---- control socket: per-event capture on and off ----------------------- */

#define CONTROL_SOCKET "control"

static void ctl_command(struct daemon *d, char *line, char *reply, size_t cap)
{
	char what[16] = "", onoff[8] = "";
	struct capture_meta meta;
	int pid = 0, err;

	line[strcspn(line, "\r\n")] = '\0';
	if (!strcmp(line, "status")) {
		char caps[1024];

		captures_describe(d->captures, caps, sizeof(caps));
		snprintf(reply, cap, "ok %zu processes watched%s%s\n", targets_nprocs(d->targets),
			 caps[0] ? "; " : "", caps);
		return;
	}
	if (sscanf(line, "%15s %d %7s", what, &pid, onoff) != 3 || strcmp(what, "capture") ||
	    pid <= 0 || (strcmp(onoff, "on") && strcmp(onoff, "off"))) {
		snprintf(reply, cap,
			 "error: expected 'capture PID on', 'capture PID off' or "
			 "'status'\n");
		return;
	}
	if (!strcmp(onoff, "off")) {
		if (!captures_has(d->captures, pid)) {
			snprintf(reply, cap, "error: process %d is not being captured\n", pid);
			return;
		}
		capture_end(d, pid);
		snprintf(reply, cap, "ok\n");
		return;
	}
	if (targets_capture_meta(d->targets, pid, &meta)) {
		snprintf(reply, cap, "error: process %d is not a watched node or libuv process\n",
			 pid);
		return;
	}
	err = captures_start(d->captures, pid, &meta);
	capture_meta_free(&meta);
	if (!err && (err = targets_capture(d->targets, pid, true, captures_record, d->captures)))
		captures_stop(d->captures, pid);
	if (err) {
		snprintf(reply, cap, "error: capture of process %d: %s\n", pid,
			 err == -EEXIST ? "already on" : strerror(-err));
		return;
	}
	snprintf(reply, cap, "ok capturing process %d (capture-%d-*.asr in the state directory)\n",
		 pid, pid);
}

static void ctl_ready(void *ctx)
{
	struct daemon *d = ctx;
	struct timeval tv = {.tv_sec = 1};
	char line[256], reply[1200];
	int fd;

	while ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		ssize_t n;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		n = recv(fd, line, sizeof(line) - 1, 0);
		if (n > 0) {
			line[n] = '\0';
			ctl_command(d, line, reply, sizeof(reply));
			send(fd, reply, strlen(reply), MSG_NOSIGNAL);
		}
		close(fd);
	}
}

/* <state_dir>/control, 0600: a unix socket only root reaches. */
static int ctl_open(struct daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->ctl_src};
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int err;

	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/" CONTROL_SOCKET,
			     d->cfg.state_dir) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	/* a socket left by an earlier run goes; anything else there is not ours */
	if (!fstatat(d->state_fd, CONTROL_SOCKET, &st, AT_SYMLINK_NOFOLLOW)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlinkat(d->state_fd, CONTROL_SOCKET, 0);
	}
	d->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->ctl_fd < 0)
		return -errno;
	old = umask(0077);
	err = bind(d->ctl_fd, (struct sockaddr *)&addr, sizeof(addr)) ? -errno : 0;
	umask(old);
	if (err || listen(d->ctl_fd, 8))
		return err ? err : -errno;
	d->ctl_src = (struct loop_source){ctl_ready, d};
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->ctl_fd, &ev) ? -errno : 0;
}

int daemon_control(const char *config_path, const char *command)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct daemon_config cfg;
	char line[512], reply[1200];
	int fd = -1, ret = -EIO;
	ssize_t n;

	if (daemon_read_config(config_path, &cfg))
		return -EINVAL;
	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/" CONTROL_SOCKET,
			     cfg.state_dir) >= sizeof(addr.sun_path)) {
		elog("state_dir %s: path too long for a unix socket", cfg.state_dir);
		goto cleanup;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		elog("cannot reach the daemon at %s: %s (is it running, and are you root?)",
		     addr.sun_path, strerror(errno));
		goto cleanup;
	}
	snprintf(line, sizeof(line), "%s\n", command);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 ||
	    (n = recv(fd, reply, sizeof(reply) - 1, 0)) <= 0) {
		elog("no answer from the daemon at %s", addr.sun_path);
		goto cleanup;
	}
	reply[n] = '\0';
	if (!strncmp(reply, "ok", 2)) {
		fputs(reply, stdout);
		ret = 0;
	} else {
		fprintf(stderr, "asyncscope: daemon: %s", reply);
		ret = -EINVAL; /* the daemon refused the command */
	}
cleanup:
	if (fd >= 0)
		close(fd);
	daemon_config_free(&cfg);
	return ret;
}

/* ---- signals and privileges ------------------------------------------- */

static void sig_ready(void *ctx)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			config_reload(d);
		else
			d->stop = true;
	}
}

static int signals_open(struct daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->sig_src};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	d->sig_src = (struct loop_source){sig_ready, d};
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &ev) ? -errno : 0;
}

/* The state directory: created 0700 if missing; a symlink is refused. */
static int state_dir_open(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st))
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM; /* someone else could swap files under us */
	return 0;
}

/* --ready-file: 0 or -errno, with a one-line reason in why */
static int write_ready_file(const char *path, char *why, size_t whylen)
{
	char buf[32];
	int fd, err, n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	ssize_t wrote;

	err = safe_output_open(path, 0600, &fd, why, whylen);
	if (err)
		return err;
	wrote = write(fd, buf, n);
	err = wrote == n ? 0 : wrote < 0 ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		snprintf(why, whylen, "writing %s: %s", path, strerror(-err));
	return err;
}

/* ---- the loop ------------------------------------------------------------ */

/* The mode, as the start-up line says it. */
static const char *sampling_says(const struct daemon_config *c, char *buf, size_t len)
{
	if (c->mode == DAEMON_EXACT)
		return "exact mode: every event";
	snprintf(buf, len, "sampled mode: probes in for %.3g s every %.3g s",
		 c->sample_window_ns / 1e9, c->sample_period_ns / 1e9);
	return buf;
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon d = {.opts = o, .epfd = -1, .sigfd = -1, .state_fd = -1, .ctl_fd = -1};
	char why[96], ready_why[PATH_MAX + 128];
	int ret = -EIO, err; /* each failure below has said why */

	if (config_with_opts(o, &d.cfg))
		return -EINVAL;
	if (privs_check()) {
		elog("the daemon needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
		ret = -EPERM;
		goto cleanup;
	}
	if ((err = state_dir_open(d.cfg.state_dir))) {
		elog("state directory %s: %s", d.cfg.state_dir,
		     err == -EPERM ?
			     "not owned by us or writable by others" :
		     err == -ELOOP ?
			     "a symbolic link (refused: files are never written through one)" :
			     strerror(-err));
		goto cleanup;
	}
	d.state_fd = open(d.cfg.state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d.state_fd < 0 ||
	    captures_new(d.state_fd, d.cfg.capture_file_size, d.cfg.capture_budget, &d.captures)) {
		elog("state directory %s: %s", d.cfg.state_dir, strerror(errno));
		goto cleanup;
	}
	captures_on_stop(d.captures, capture_end, &d);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.epfd < 0 || signals_open(&d)) {
		elog("epoll/signalfd: %s", strerror(errno));
		goto cleanup;
	}
	if (http_open(&d, o->listen ? o->listen : d.cfg.listen, &d.http)) {
		ret = -EINVAL;
		goto cleanup;
	}
	if ((err = ctl_open(&d))) {
		elog("control socket %s/" CONTROL_SOCKET ": %s", d.cfg.state_dir, strerror(-err));
		goto cleanup;
	}
	if ((err = watch_open(&d))) {
		elog("loading the process watcher failed: %s", strerror(-err));
		goto cleanup;
	}
	if ((err = targets_new(d.epfd, &d.cfg, &d.targets))) {
		elog("out of memory");
		goto cleanup;
	}
	targets_probe_system_libuv(d.targets);
	/* processes already running; the exec events cover the rest */
	targets_scan_all(d.targets);
	if (!o->keep_caps && (err = privs_drop_to_daemon())) {
		elog("dropping capabilities failed: %s", strerror(-err));
		goto cleanup;
	}
	ilog("serving http://%s/metrics; watching %zu processes; %s",
	     o->listen ? o->listen : d.cfg.listen, targets_nprocs(d.targets),
	     sampling_says(&d.cfg, why, sizeof(why)));
	if (o->ready_file && write_ready_file(o->ready_file, ready_why, sizeof(ready_why)))
		wlog("%s", ready_why);

	while (!d.stop) {
		struct epoll_event evs[16];
		int timeout = targets_tick(d.targets);
		int http_due = http_server_tick(d.http);
		int n;

		/* the HTTP clients' deadlines, so that an idle one is closed in time */
		if (http_due >= 0 && (timeout < 0 || http_due < timeout))
			timeout = http_due;

		/* captured records are not woken for one by one: drain often */
		if (captures_active(d.captures)) {
			targets_drain(d.targets);
			if (timeout < 0 || timeout > 100)
				timeout = 100;
		}
		n = epoll_wait(d.epfd, evs, 16, timeout);

		if (n < 0 && errno != EINTR) {
			elog("epoll_wait: %s", strerror(errno));
			goto cleanup;
		}
		for (int i = 0; i < n; i++) {
			struct loop_source *s = evs[i].data.ptr;

			s->ready(s->ctx);
		}
	}
	ilog("stopping: removing every probe");
	ret = 0;
cleanup:
	if (d.captures && d.targets)
		targets_drain(d.targets);
	captures_free(d.captures); /* every capture file finished */
	targets_free(d.targets);
	if (d.ctl_fd >= 0) {
		close(d.ctl_fd);
		unlinkat(d.state_fd, CONTROL_SOCKET, 0);
	}
	if (d.state_fd >= 0)
		close(d.state_fd);
	ring_buffer__free(d.watch_rb);
	procwatch__destroy(d.watch);
	http_server_close(d.http);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.epfd >= 0)
		close(d.epfd);
	daemon_config_free(&d.cfg);
	return ret;
}
