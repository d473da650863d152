/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Diagnostics on stderr; data never goes through here. */
#ifndef __ASYNCSCOPE_LOG_H
#define __ASYNCSCOPE_LOG_H

#include <stdio.h>

extern int log_verbosity; /* -v count: 1 verbose, 2 debug, 3 adds libbpf debug */

void log_set_program(const char *name);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One-line error a user reads: "asyncscope: <what>". */
#define elog(fmt, ...) log_msg(-1, fmt, ##__VA_ARGS__)
#define wlog(fmt, ...) log_msg(0, "warning: " fmt, ##__VA_ARGS__)
#define ilog(fmt, ...) log_msg(0, fmt, ##__VA_ARGS__)
#define vlog(fmt, ...) log_msg(1, fmt, ##__VA_ARGS__)
#define dlog(fmt, ...) log_msg(2, fmt, ##__VA_ARGS__)

#endif /* __ASYNCSCOPE_LOG_H */
