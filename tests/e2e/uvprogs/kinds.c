// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known shape: the handle and request kinds the other programs do not use,
 * one of each, all made in main (trigger 0) except the udp send, made in
 * the idle callback.
 *   uv_idle, uv_prepare, uv_check: 1 callback, then closed (2 callbacks)
 *   uv_timer: fires once at 20 ms, modifies a file, is closed (2)
 *   uv_fs_event (directory of that file), uv_fs_poll (that file), uv_poll
 *   (a socketpair end made readable by the idle callback): >= 1 callback,
 *   then closed (>= 2)
 *   uv_udp x2: a receiver (>= 1 receive, closed: >= 2) and a sender
 *   (closed: 1); uv_udp_send (trigger: the idle handle): 1
 *   uv_tty on a pseudo-terminal: closed (1)
 *   uv_random, uv_getnameinfo: 1 each
 *   every one destroyed once.
 * A plain thread (no libuv in it) also appends to the file every 20 ms until
 * uv_fs_poll has fired: fs_poll's first stat is only its baseline, and on a
 * loaded machine that stat can come after the timer's append, which would
 * then never be seen as a change (the program would hang).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

static uv_idle_t idle;
static uv_prepare_t prepare;
static uv_check_t check;
static uv_timer_t timer;
static uv_fs_event_t fs_event;
static uv_fs_poll_t fs_poll;
static uv_poll_t poll_h;
static uv_udp_t receiver, sender;
static uv_udp_send_t send_req;
static uv_tty_t tty;
static uv_random_t random_req;
static uv_getnameinfo_t nameinfo_req;
static struct sockaddr_in recv_addr;
static char dir[] = "/tmp/asyncscope-kinds-XXXXXX", file[64];
static int pair[2];
static atomic_bool polled;
static char recv_buf[64], random_buf[16];

static void on_close(uv_handle_t *h)
{
	(void)h;
}

static void close_once(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_close);
}

static void on_sent(uv_udp_send_t *req, int status)
{
	(void)req;
	(void)status;
	close_once((uv_handle_t *)&sender);
}

static void on_idle(uv_idle_t *h)
{
	static uv_buf_t msg = {.base = "ping", .len = 4};

	uv_idle_stop(h);
	close_once((uv_handle_t *)h);
	uv_udp_send(&send_req, &sender, &msg, 1, (const struct sockaddr *)&recv_addr, on_sent);
	if (write(pair[1], "x", 1) != 1)
		abort();
}

static void on_prepare(uv_prepare_t *h)
{
	close_once((uv_handle_t *)h);
}

static void on_check(uv_check_t *h)
{
	close_once((uv_handle_t *)h);
}

static int append_line(void)
{
	int fd = open(file, O_WRONLY | O_APPEND), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, "more\n", 5) == 5;
	close(fd);
	return ok ? 0 : -1;
}

static void on_timer(uv_timer_t *h)
{
	if (append_line())
		abort();
	close_once((uv_handle_t *)h);
}

static void *append_until_polled(void *arg)
{
	(void)arg;
	while (!atomic_load(&polled)) {
		usleep(20000);
		append_line(); /* the file may be gone once main is done */
	}
	return NULL;
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status)
{
	(void)name;
	(void)events;
	(void)status;
	close_once((uv_handle_t *)h);
}

static void on_fs_poll(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *curr)
{
	(void)status;
	(void)prev;
	(void)curr;
	atomic_store(&polled, true);
	close_once((uv_handle_t *)h);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	char c;

	(void)status;
	(void)events;
	if (read(pair[0], &c, 1) != 1)
		abort();
	close_once((uv_handle_t *)h);
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	(void)h;
	(void)size;
	*buf = uv_buf_init(recv_buf, sizeof(recv_buf));
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	(void)buf;
	(void)from;
	(void)flags;
	if (n > 0)
		close_once((uv_handle_t *)h);
}

static void on_random(uv_random_t *req, int status, void *buf, size_t len)
{
	(void)req;
	(void)status;
	(void)buf;
	(void)len;
}

static void on_nameinfo(uv_getnameinfo_t *req, int status, const char *host, const char *service)
{
	(void)req;
	(void)status;
	(void)host;
	(void)service;
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	struct sockaddr_in any;
	int namelen = sizeof(recv_addr), fd, pty;
	pthread_t appender;

	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/f", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || write(fd, "x\n", 2) != 2)
		return 1;
	close(fd);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair))
		return 1;

	uv_idle_init(loop, &idle);
	uv_idle_start(&idle, on_idle);
	uv_prepare_init(loop, &prepare);
	uv_prepare_start(&prepare, on_prepare);
	uv_check_init(loop, &check);
	uv_check_start(&check, on_check);
	uv_timer_init(loop, &timer);
	uv_timer_start(&timer, on_timer, 20, 0);
	uv_fs_event_init(loop, &fs_event);
	uv_fs_event_start(&fs_event, on_fs_event, dir, 0);
	uv_fs_poll_init(loop, &fs_poll);
	uv_fs_poll_start(&fs_poll, on_fs_poll, file, 5);
	if (pthread_create(&appender, NULL, append_until_polled, NULL) || pthread_detach(appender))
		return 1;
	uv_poll_init(loop, &poll_h, pair[0]);
	uv_poll_start(&poll_h, UV_READABLE, on_poll);

	uv_ip4_addr("127.0.0.1", 0, &any);
	uv_udp_init(loop, &receiver);
	uv_udp_bind(&receiver, (const struct sockaddr *)&any, 0);
	uv_udp_getsockname(&receiver, (struct sockaddr *)&recv_addr, &namelen);
	uv_udp_recv_start(&receiver, on_alloc, on_recv);
	uv_udp_init(loop, &sender);

	pty = posix_openpt(O_RDWR | O_NOCTTY);
	if (pty < 0 || grantpt(pty) || unlockpt(pty))
		return 1;
	fd = open(ptsname(pty), O_RDWR | O_NOCTTY);
	if (fd < 0 || uv_tty_init(loop, &tty, fd, 0))
		return 1;
	uv_close((uv_handle_t *)&tty, on_close);

	uv_random(loop, &random_req, random_buf, sizeof(random_buf), 0, on_random);
	uv_getnameinfo(loop, &nameinfo_req, on_nameinfo, (const struct sockaddr *)&recv_addr,
		       NI_NUMERICHOST | NI_NUMERICSERV);

	uv_run(loop, UV_RUN_DEFAULT);
	unlink(file);
	rmdir(dir);
	return 0;
}
