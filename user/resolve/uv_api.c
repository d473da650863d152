// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "resolve/uv_api.h"

#define INIT(n, t)                   \
	{                            \
		n, UVR_INIT, t, 2, 0 \
	}
#define START(n, t, cb)                \
	{                              \
		n, UVR_START, t, 1, cb \
	}
#define FS(n, cb)                            \
	{                                    \
		n, UVR_SUBMIT, UVT_FS, 2, cb \
	}

const struct uv_api uv_apis[] = {
	/* handles come to life */
	INIT("uv_timer_init", UVT_TIMER),
	INIT("uv_tcp_init", UVT_TCP),
	INIT("uv_tcp_init_ex", UVT_TCP),
	INIT("uv_udp_init", UVT_UDP),
	INIT("uv_udp_init_ex", UVT_UDP),
	INIT("uv_pipe_init", UVT_PIPE),
	INIT("uv_tty_init", UVT_TTY),
	INIT("uv_poll_init", UVT_POLL),
	INIT("uv_poll_init_socket", UVT_POLL),
	INIT("uv_signal_init", UVT_SIGNAL),
	INIT("uv_fs_event_init", UVT_FS_EVENT),
	INIT("uv_fs_poll_init", UVT_FS_POLL),
	INIT("uv_idle_init", UVT_IDLE),
	INIT("uv_prepare_init", UVT_PREPARE),
	INIT("uv_check_init", UVT_CHECK),
	{"uv_async_init", UVR_INIT, UVT_ASYNC, 2, 3},
	/* uv_spawn(loop, process, options): exit_cb is options->exit_cb */
	{"uv_spawn", UVR_SPAWN, UVT_PROCESS, 2, 3},
	/* handles get their callbacks */
	START("uv_timer_start", UVT_TIMER, 2),
	START("uv_idle_start", UVT_IDLE, 2),
	START("uv_prepare_start", UVT_PREPARE, 2),
	START("uv_check_start", UVT_CHECK, 2),
	START("uv_read_start", UVT_TCP, 3),
	START("uv_listen", UVT_TCP, 3),
	START("uv_poll_start", UVT_POLL, 3),
	START("uv_signal_start", UVT_SIGNAL, 2),
	START("uv_signal_start_oneshot", UVT_SIGNAL, 2),
	START("uv_fs_event_start", UVT_FS_EVENT, 2),
	START("uv_fs_poll_start", UVT_FS_POLL, 2),
	START("uv_udp_recv_start", UVT_UDP, 3),
	{"uv_close", UVR_CLOSE, 0, 1, 2},
	/* requests */
	{"uv_write", UVR_SUBMIT, UVT_WRITE, 1, 5},
	{"uv_write2", UVR_SUBMIT, UVT_WRITE, 1, 6},
	{"uv_shutdown", UVR_SUBMIT, UVT_SHUTDOWN, 1, 3},
	{"uv_tcp_connect", UVR_SUBMIT, UVT_CONNECT, 1, 4},
	{"uv_pipe_connect", UVR_SUBMIT, UVT_CONNECT, 1, 4},
	{"uv_pipe_connect2", UVR_SUBMIT, UVT_CONNECT, 1, 6},
	{"uv_udp_send", UVR_SUBMIT, UVT_UDP_SEND, 1, 6},
	{"uv_queue_work", UVR_SUBMIT, UVT_WORK, 2, 4},
	{"uv_getaddrinfo", UVR_SUBMIT, UVT_GETADDRINFO, 2, 3},
	{"uv_getnameinfo", UVR_SUBMIT, UVT_GETNAMEINFO, 2, 3},
	{"uv_random", UVR_SUBMIT, UVT_RANDOM, 2, 6},
	/* fs requests; a NULL callback means a synchronous call (not reported).
	 * Doubles (utime's times) travel in xmm registers and take no slot. */
	FS("uv_fs_close", 4),
	FS("uv_fs_open", 6),
	FS("uv_fs_read", 7),
	FS("uv_fs_unlink", 4),
	FS("uv_fs_write", 7),
	FS("uv_fs_copyfile", 6),
	FS("uv_fs_mkdir", 5),
	FS("uv_fs_mkdtemp", 4),
	FS("uv_fs_mkstemp", 4),
	FS("uv_fs_rmdir", 4),
	FS("uv_fs_scandir", 5),
	FS("uv_fs_opendir", 4),
	FS("uv_fs_readdir", 4),
	FS("uv_fs_closedir", 4),
	FS("uv_fs_stat", 4),
	FS("uv_fs_fstat", 4),
	FS("uv_fs_lstat", 4),
	FS("uv_fs_statfs", 4),
	FS("uv_fs_rename", 5),
	FS("uv_fs_fsync", 4),
	FS("uv_fs_fdatasync", 4),
	FS("uv_fs_ftruncate", 5),
	FS("uv_fs_sendfile", 7),
	FS("uv_fs_access", 5),
	FS("uv_fs_chmod", 5),
	FS("uv_fs_fchmod", 5),
	FS("uv_fs_utime", 4),
	FS("uv_fs_futime", 4),
	FS("uv_fs_lutime", 4),
	FS("uv_fs_link", 5),
	FS("uv_fs_symlink", 6),
	FS("uv_fs_readlink", 4),
	FS("uv_fs_realpath", 4),
	FS("uv_fs_chown", 6),
	FS("uv_fs_fchown", 6),
	FS("uv_fs_lchown", 6),
};

const int uv_napis = sizeof(uv_apis) / sizeof(uv_apis[0]);
