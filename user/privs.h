/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __ASYNCSCOPE_PRIVS_H
#define __ASYNCSCOPE_PRIVS_H

/*
 * 0 if this process may load BPF and attach uprobes (root, or CAP_BPF and
 * CAP_PERFMON, or CAP_SYS_ADMIN); -EPERM otherwise.
 */
int privs_check(void);

#endif /* __ASYNCSCOPE_PRIVS_H */
