// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "live/privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

int privs_check(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2] = {0};

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0 ? 0 : -EPERM;
	if (has_cap(data, CAP_SYS_ADMIN))
		return 0;
	if (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))
		return 0;
	return -EPERM;
}

/*
 * After start-up the daemon keeps only what attaching to new processes
 * needs: BPF and perf events (load, attach), ptrace-read access (their
 * /proc/PID/exe, maps and root) and reading files in containers.
 */
int privs_drop_to_daemon(void)
{
	static const int keep[] = {CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH};
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct have[2] = {0}, data[2] = {0};
	bool can_setpcap;

	if (syscall(SYS_capget, &hdr, have))
		return -errno;
	/* keep what is both wanted and held (a unit may have granted less) */
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		uint32_t bit = 1u << (keep[i] % 32);

		data[keep[i] / 32].permitted |= have[keep[i] / 32].permitted & bit;
		data[keep[i] / 32].effective |= have[keep[i] / 32].permitted & bit;
	}
	/* the bounding set too, so nothing exec'd could get the others back;
	 * that needs CAP_SETPCAP, which a systemd unit's bounding set (already
	 * narrowed) leaves out */
	can_setpcap = have[CAP_SETPCAP / 32].effective & (1u << (CAP_SETPCAP % 32));
	for (int cap = 0; can_setpcap && cap <= 63; cap++) {
		bool kept = false;

		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			kept |= keep[i] == cap;
		if (!kept && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}
