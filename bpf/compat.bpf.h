/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bridges between the libbpf we build against (Debian's 1.1) and newer idioms. */
#ifndef __ASYNCSCOPE_COMPAT_BPF_H
#define __ASYNCSCOPE_COMPAT_BPF_H

#include <bpf/bpf_tracing.h>

/* BPF_UPROBE arrived in libbpf 1.2; a uprobe sees the same pt_regs as a kprobe. */
#ifndef BPF_UPROBE
#define BPF_UPROBE(name, args...)    BPF_KPROBE(name, ##args)
#define BPF_URETPROBE(name, args...) BPF_KRETPROBE(name, ##args)
#endif

/* The sixth argument register, missing from libbpf 1.1's bpf_tracing.h. */
#ifndef PT_REGS_PARM6
#if defined(__TARGET_ARCH_x86)
#define PT_REGS_PARM6(x) (__PT_REGS_CAST(x)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM6(x) (__PT_REGS_CAST(x)->regs[5])
#endif
#endif

#endif /* __ASYNCSCOPE_COMPAT_BPF_H */
