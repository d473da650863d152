// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "live/hold.h"
#include "lib/log.h"
#include "lib/mono_time.h"

struct hold_guard {
	pid_t target, guard;
	int pidfd;	/* the target's, so a signal never reaches a recycled pid; -1 if none */
	int ctl;	/* write end of the guard's pipe: deadlines, 0 = released */
	uint64_t since; /* the earliest stop not released yet, 0 if none */
	struct hold_stats stats;
	/* tests: ASYNCSCOPE_HOLD_DELAY_MS makes each hold that long, as a
	 * slow or stuck asyncscope would (the guard's timeout, its death) */
	unsigned int delay_ms;
};

/* SIGCONT through the pidfd; by pid only where the kernel has no pidfds. */
static void resume(pid_t target, int pidfd)
{
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGCONT, NULL, 0);
	else
		kill(target, SIGCONT);
}

/* Closes fds [lo, hi]; close_range where the kernel has it. */
static void close_fds(unsigned int lo, unsigned int hi)
{
	if (lo > hi || !syscall(SYS_close_range, lo, hi, 0))
		return;
	for (unsigned int fd = lo; fd <= hi && fd < 4096; fd++)
		close(fd);
}

/*
 * The guard: holds nothing of asyncscope's (no BPF object, no output file,
 * not the pipe that releases the command) but its pipe and the pidfd, and
 * ignores the terminal's signals so that it outlives asyncscope, not the
 * other way round.
 */
static void guard_run(pid_t target, int ctl, int pidfd)
{
	uint64_t deadline = 0, msg;
	unsigned int a, b;
	int null;

	/* above stdin/stdout/stderr, which are pointed at /dev/null next */
	if (ctl < 3)
		ctl = fcntl(ctl, F_DUPFD, 3);
	if (pidfd >= 0 && pidfd < 3)
		pidfd = fcntl(pidfd, F_DUPFD, 3);
	a = pidfd >= 0 && pidfd < ctl ? pidfd : ctl;
	b = pidfd > ctl ? pidfd : ctl;
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	close_fds(3, a - 1);
	close_fds(a + 1, b - 1);
	close_fds(b + 1, ~0U);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	prctl(PR_SET_NAME, "asyncscope-hold");
	for (;;) {
		struct pollfd p = {.fd = ctl, .events = POLLIN};
		uint64_t now = now_ns();
		int timeout = -1, n;
		ssize_t got;

		if (deadline)
			timeout = deadline > now ? (int)((deadline - now + 999999) / 1000000) : 0;
		n = poll(&p, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			/* asyncscope took too long: the target runs on */
			resume(target, pidfd);
			deadline = 0;
			continue;
		}
		got = read(ctl, &msg, sizeof(msg));
		if (got < 0 && errno == EINTR)
			continue;
		if (got != sizeof(msg)) {
			/* asyncscope is gone (or done): whatever stop is left ends */
			resume(target, pidfd);
			_exit(0);
		}
		if (!msg)
			deadline = 0;
		else if (!deadline || msg < deadline)
			deadline = msg;
	}
}

int hold_guard_start(pid_t target, struct hold_guard **out)
{
	struct hold_guard *g = calloc(1, sizeof(*g));
	int fds[2], err;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->target = target;
	if (getenv("ASYNCSCOPE_HOLD_DELAY_MS"))
		g->delay_ms = strtoul(getenv("ASYNCSCOPE_HOLD_DELAY_MS"), NULL, 10);
	g->pidfd = syscall(SYS_pidfd_open, target, 0);
	if (pipe2(fds, O_CLOEXEC)) {
		err = -errno;
		goto cleanup;
	}
	g->guard = fork();
	if (g->guard < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		goto cleanup;
	}
	if (g->guard == 0) {
		close(fds[1]);
		guard_run(target, fds[0], g->pidfd);
		_exit(0);
	}
	close(fds[0]);
	g->ctl = fds[1];
	*out = g;
	return 0;

cleanup:
	if (g->pidfd >= 0)
		close(g->pidfd);
	free(g);
	return err;
}

static void tell_guard(struct hold_guard *g, uint64_t deadline)
{
	/* 8 bytes into a pipe are written whole; a guard that died takes its
	 * timeout with it, the release below still comes */
	if (write(g->ctl, &deadline, sizeof(deadline)) != sizeof(deadline))
		dlog("hold guard: %s", strerror(errno));
}

/* Ends the stop pending since g->since in the statistics. */
static void account(struct hold_guard *g, uint64_t now)
{
	uint64_t held = now > g->since ? now - g->since : 0;

	if (held >= HOLD_TIMEOUT_NS) {
		g->stats.timeouts++; /* the guard resumed it at the deadline */
		held = HOLD_TIMEOUT_NS;
	}
	g->stats.held_ns += held;
	if (held > g->stats.max_ns)
		g->stats.max_ns = held;
	g->since = 0;
}

void hold_begin(struct hold_guard *g, uint64_t stop_ns)
{
	uint64_t now = now_ns();

	if (!g)
		return;
	/* a stop the guard has ended already: the new one is timed afresh */
	if (g->since && now - g->since >= HOLD_TIMEOUT_NS)
		account(g, now);
	g->stats.holds++;
	if (!g->since || stop_ns < g->since)
		g->since = stop_ns;
	tell_guard(g, stop_ns + HOLD_TIMEOUT_NS);
	if (g->delay_ms)
		usleep(g->delay_ms * 1000);
}

static void release_now(struct hold_guard *g)
{
	if (!g->since)
		return;
	resume(g->target, g->pidfd);
	account(g, now_ns());
	tell_guard(g, 0);
}

void hold_release(struct hold_guard *g, uint64_t stops_sent)
{
	if (g && g->stats.holds >= stops_sent)
		release_now(g);
}

void hold_guard_finish(struct hold_guard *g, struct hold_stats *stats)
{
	if (!g)
		return;
	release_now(g);
	if (stats)
		*stats = g->stats;
	close(g->ctl);
	waitpid(g->guard, NULL, 0);
	if (g->pidfd >= 0)
		close(g->pidfd);
	free(g);
}
