// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/service_name.h"

#define CONTAINER_ID_SHOWN 12

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* Length of the run of hex digits at s (at most len). */
static size_t hex_run(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && strchr("0123456789abcdef", s[n]) && s[n])
		n++;
	return n;
}

/*
 * A container id in one path component: "<runtime>-<64 hex>.scope" as the
 * systemd cgroup driver names it, or the bare 64 hex digits of the
 * cgroupfs driver (kubepods/.../<id>, docker/<id>).
 */
static bool container_id(const char *c, size_t len, const char **id)
{
	static const char *const prefixes[] = {"docker-", "cri-containerd-", "crio-", "libpod-"};

	if (ends_with(c, len, ".scope")) {
		len -= strlen(".scope");
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
			size_t p = strlen(prefixes[i]);

			if (len > p && !memcmp(c, prefixes[i], p) &&
			    hex_run(c + p, len - p) == len - p && len - p >= 32) {
				*id = c + p;
				return true;
			}
		}
		return false;
	}
	if (len >= 32 && hex_run(c, len) == len) {
		*id = c;
		return true;
	}
	return false;
}

void service_from_cgroup(const char *cgroup, char *out, size_t cap)
{
	const char *service = NULL, *inner = NULL, *id;
	size_t service_len = 0, inner_len = 0;

	for (const char *c = cgroup; c && *c;) {
		size_t len;

		while (*c == '/')
			c++;
		len = strcspn(c, "/");
		if (!len)
			break;
		if (container_id(c, len, &id)) {
			snprintf(out, cap, "container:%.*s", CONTAINER_ID_SHOWN, id);
			return;
		}
		if (ends_with(c, len, ".service")) {
			service = c;
			service_len = len;
		}
		inner = c;
		inner_len = len;
		c += len;
	}
	if (service)
		snprintf(out, cap, "%.*s", (int)service_len, service);
	else if (inner)
		snprintf(out, cap, "%.*s", (int)inner_len, inner);
	else
		snprintf(out, cap, "/");
}
