/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output files opened the way a root tool must: never through a symbolic
 * link, never into a file someone else could have planted (as in /tmp,
 * where fs.protected_symlinks and protected_regular may be off); and
 * streams that keep the first write error, which stdio forgets.
 */
#ifndef __ASYNCSCOPE_SAFE_OUTPUT_H
#define __ASYNCSCOPE_SAFE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Opens path write-only and close-on-exec, creating it with mode (less the
 * umask) or truncating it. Refused, with nothing written or truncated:
 *   -ELOOP   the last component is a symbolic link, whoever owns it;
 *   -EPERM   an existing file in a sticky directory others (or the group)
 *            may write to, like /tmp, owned by another user than the caller;
 *   -EMLINK  an existing regular file with more than one hard link;
 *   -EINVAL  anything but a regular file, a character device or a FIFO.
 * A FIFO with no reader fails with -ENXIO rather than block.
 * 0 with *fd, or -errno with a one-line reason naming path in why
 * ("refusing to write through symbolic link /tmp/ev.jsonl").
 */
int safe_output_open(const char *path, mode_t mode, int *fd, char *why, size_t whylen);

/*
 * A buffered stream writing to fd, closed with it when own_fd. A failed
 * write is remembered for safe_output_close(): once stdio has dropped a
 * buffer it could not write, its own fflush() and fclose() succeed.
 * NULL with errno set on failure (fd is then left open).
 */
FILE *safe_output_stream(int fd, bool own_fd);

/* Flushes and closes f (from safe_output_stream): 0, or -errno of the first
 * write, flush or close that failed. */
int safe_output_close(FILE *f);

#endif /* __ASYNCSCOPE_SAFE_OUTPUT_H */
