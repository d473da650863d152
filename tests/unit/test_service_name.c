// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's service label from cgroup v2 paths, as systemd, Docker,
 * containerd, CRI-O, Podman and Kubernetes lay them out. */
#include "daemon/service_name.h"
#include "unit.h"

void test_service_name__cgroup_paths(void)
{
	static const struct {
		const char *cgroup, *want;
	} cases[] = {
		{"/system.slice/api.service", "api.service"},
		{"/system.slice/api.service/", "api.service"},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/web.service",
		 "web.service"},
		{"/user.slice/user-0.slice/session-3.scope", "session-3.scope"},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope",
		 "user@1000.service"},
		{"/system.slice/"
		 "docker-3f1b2c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b."
		 "scope",
		 "container:3f1b2c4d5e6f"},
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/"
		 "cri-containerd-aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899."
		 "scope",
		 "container:aabbccddeeff"},
		{"/kubepods/burstable/pod1234/"
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		 "container:0123456789ab"},
		{"/machine.slice/libpod-"
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope/container",
		 "container:0123456789ab"},
		{"/docker-notanid.scope", "docker-notanid.scope"},
		{"/init.scope", "init.scope"},
		{"/", "/"},
		{"", "/"},
	};
	char out[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		service_from_cgroup(cases[i].cgroup, out, sizeof(out));
		ASSERT_STREQ(out, cases[i].want, cases[i].cgroup);
	}
}
