/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The exit statuses of asyncscope, shared by every command (documented in --help). */
#ifndef __ASYNCSCOPE_EXIT_STATUS_H
#define __ASYNCSCOPE_EXIT_STATUS_H

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	      /* runtime failure: attach, BPF, I/O */
	EXIT_USAGE = 2,	      /* bad command line */
	EXIT_NO_TARGET = 3,   /* no such process / target gone before attach */
	EXIT_UNSUPPORTED = 4, /* not node, or a binary we cannot resolve */
	EXIT_NOPERM = 5,      /* missing privileges */
	EXIT_BAD_INPUT = 6,   /* corrupt or unreadable input file */
};

#endif /* __ASYNCSCOPE_EXIT_STATUS_H */
