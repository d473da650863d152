/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finds, in a node binary, everything the node-layer probes need: probe
 * sites, the argument slots they read, struct offsets (by matching code
 * patterns in the functions that use them) and the provider-name table.
 * Nothing is typed in per build; every fact is derived and cross-checked.
 */
#ifndef __ASYNCSCOPE_RESOLVE_NODE_H
#define __ASYNCSCOPE_RESOLVE_NODE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"

enum node_site_role {
	SITE_TRACE_ASYNC_START, /* init (preferred) */
	SITE_ASYNC_RESET,	/* init on builds without the above: AsyncReset entry ... */
	SITE_EMIT_ASYNC_INIT,	/* ... and EmitAsyncInit entry, which AsyncReset ends in */
	SITE_SCOPE_ENV,		/* before: InternalCallbackScope(Environment*, ...) */
	SITE_SCOPE_WRAP,	/* before: InternalCallbackScope(AsyncWrap*, int) if it inlines */
	SITE_POP_CONTEXT,	/* after */
	SITE_WRAP_DTOR,		/* destroy */
	SITE_EMIT_DESTROY,	/* destroy on reuse (HTTP parser) */
	SITE_MICROTASKS, /* JS layer: V8 running microtasks (TryRunMicrotasks), entry + return */
	SITE_PROMISE_REJECT, /* node::PromiseRejectCallback: rejections */
	SITE_ENV_CLEANUP,    /* an environment's teardown begins: later destroys are at_exit */
	SITE_ENV_STOP,	     /* an environment is asked to stop (worker.terminate()): the same */
	SITE_ENV_EXIT,	     /* process.exit() on the environment's thread: the same */
	SITE_IMMEDIATES,     /* native immediates run: async_hooks delivers queued destroys */
	SITE_COUNT,
};

struct node_site {
	bool used; /* attached for this build */
	char symbol[256];
	uint64_t addr; /* virtual address */
	uint64_t size;
	uint64_t file_off;   /* what the uprobe is attached at */
	bool emulated;	     /* first instruction emulated by the kernel (no single-step) */
	char first_insn[48]; /* hex bytes of the first instruction */
};

#define NODE_MAX_PROVIDERS     128
#define NODE_PROVIDER_NAME_MAX 40

struct node_layout {
	char path[PATH_MAX];
	char build_id[129];
	struct node_site sites[SITE_COUNT];
	struct node_offsets off;
	/* facts behind off, kept for doctor and for the cross-checks */
	uint32_t env_id_fields; /* env -> async_id_fields_ data, as AsyncReset reads it */
	bool scope_wrap_inlines;
	int nproviders;
	char providers[NODE_MAX_PROVIDERS][NODE_PROVIDER_NAME_MAX];
	char error[512]; /* what was missing or did not verify */
};

/*
 * Resolves path into *out. Returns 0, or a negative errno with out->error
 * naming what was not found or did not verify:
 *   -ENOENT   file missing, -ENOEXEC not an ELF file,
 *   -ESRCH    no node::AsyncWrap symbols (not node),
 *   -ENOTSUP  node, but a symbol or code pattern we rely on is absent
 *             (stripped, or a build we do not understand),
 *   -EPROTO   derived facts failed their cross-checks.
 */
int node_layout__resolve(const char *path, struct node_layout *out);

const char *node_site_role_name(enum node_site_role role);

/* Describes a site's first instruction (hex bytes, kernel-emulated or not)
 * from the code found at it. */
void node_site__describe_code(struct node_site *site, const uint8_t *code, size_t n);

/*
 * The node version the binary carries as a "vMAJOR.MINOR.PATCH" string in
 * .rodata (NODE_VERSION), into buf; -ENOENT if there is not exactly one.
 */
int node_binary_version(const char *path, char *buf, size_t cap);

/* Provider name for a ProviderType value, or NULL when out of range. */
const char *node_layout__provider_name(const struct node_layout *l, uint32_t provider);

#endif /* __ASYNCSCOPE_RESOLVE_NODE_H */
