/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The service a process belongs to, named from its cgroup v2 path, for the
 * daemon's `service` label: series keyed by service and executable outlive
 * restarts, where a pid label makes a new series at every start.
 */
#ifndef __ASYNCSCOPE_SERVICE_NAME_H
#define __ASYNCSCOPE_SERVICE_NAME_H

#include <stddef.h>

/*
 * From a cgroup path ("/system.slice/api.service"): a container's scope
 * (docker-, cri-containerd-, crio-, libpod- <id>.scope, or a kubepods id)
 * as "container:<first 12 hex digits>"; else the innermost systemd
 * .service; else the innermost component (a session-N.scope, a slice);
 * "/" for the root cgroup or an unknown one.
 */
void service_from_cgroup(const char *cgroup, char *out, size_t cap);

#endif /* __ASYNCSCOPE_SERVICE_NAME_H */
