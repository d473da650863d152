/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The exit statuses of asyncscope, shared by every command (documented in --help). */
#ifndef __ASYNCSCOPE_EXIT_STATUS_H
#define __ASYNCSCOPE_EXIT_STATUS_H

#include <errno.h>

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	      /* runtime failure: attach, BPF, I/O */
	EXIT_USAGE = 2,	      /* bad command line */
	EXIT_NO_TARGET = 3,   /* no such process / target gone before attach */
	EXIT_UNSUPPORTED = 4, /* not node, or a binary we cannot resolve */
	EXIT_NOPERM = 5,      /* missing privileges */
	EXIT_BAD_INPUT = 6,   /* corrupt or unreadable input file */
};

/*
 * Below the commands, functions return 0 or -errno, never an exit status;
 * a command maps what a stage returned with exit_status_of(). A stage that
 * fails in one of the ways the exit status tells apart says so with its
 * errno, having said why on stderr:
 *
 *   -ESRCH    no such target, or it was gone before the probes were in
 *   -ENOEXEC  a target that cannot be traced (not node, no libuv, unresolved)
 *   -EPERM    missing privileges
 *   -EINVAL   a configuration that does not load (the daemon's)
 *
 * Any other errno is a runtime failure.
 */
static inline int exit_status_of(int err)
{
	switch (err) {
	case 0:
		return EXIT_OK;
	case -ESRCH:
		return EXIT_NO_TARGET;
	case -ENOEXEC:
		return EXIT_UNSUPPORTED;
	case -EPERM:
		return EXIT_NOPERM;
	case -EINVAL:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

/* err as a runtime failure: -EIO if it would read as another kind above. */
static inline int exit_failure(int err)
{
	return err < 0 && exit_status_of(err) == EXIT_FAIL ? err : -EIO;
}

#endif /* __ASYNCSCOPE_EXIT_STATUS_H */
