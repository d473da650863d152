/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __ASYNCSCOPE_PRIVS_H
#define __ASYNCSCOPE_PRIVS_H

/*
 * 0 if this process may load BPF and attach uprobes (root, or CAP_BPF and
 * CAP_PERFMON, or CAP_SYS_ADMIN); -EPERM otherwise.
 */
int privs_check(void);

/*
 * The daemon after start-up: keeps CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH (those held of them), drops the rest from the bounding
 * set when it may, sets no_new_privs. 0 or -errno.
 */
int privs_drop_to_daemon(void);

#endif /* __ASYNCSCOPE_PRIVS_H */
