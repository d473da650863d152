// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A rejection's context from the inits seen: the running resource's type and path. */
#include "model/exec_context.h"
#include "unit.h"

static void init(struct exec_context *c, uint64_t id, uint64_t trigger, const char *type)
{
	struct event e = {.pid = 1,
			  .tid = 1,
			  .kind = EV_INIT,
			  .layer = LAYER_NODE,
			  .id = id,
			  .trigger = trigger,
			  .type = intern(type)};
	struct event tmp;

	exec_context_add(c, &e, &tmp);
}

void test_exec_context__type_and_path(void)
{
	struct exec_context *c = exec_context_new();
	struct event r = {.pid = 1,
			  .tid = 1,
			  .kind = EV_REJECTION,
			  .layer = LAYER_NODE,
			  .rejection = REJECTION_UNHANDLED};
	const struct event *out;
	struct event tmp;

	init(c, 2, 1, "TCPSERVERWRAP");
	init(c, 3, 2, "TCPWRAP");
	for (uint64_t id = 4; id < 3000; id++) /* past several table growths */
		init(c, id, id - 1, id % 2 ? "FSREQCALLBACK" : "TickObject");
	r.exec = 3;
	out = exec_context_add(c, &r, &tmp);
	ASSERT_STREQ(out->type, "TCPWRAP", "running resource's type");
	ASSERT_STREQ(out->path, "main > TCPSERVERWRAP", "its creation path");
	r.exec = 2999;
	out = exec_context_add(c, &r, &tmp);
	ASSERT_STREQ(out->type, "FSREQCALLBACK", "deep resource");
	ASSERT_TRUE(!strncmp(out->path, "... > ", 6), out->path);
	r.exec = 1;
	ASSERT_STREQ(exec_context_add(c, &r, &tmp)->type, "main", "the main script");
	r.exec = 99999;
	out = exec_context_add(c, &r, &tmp);
	ASSERT_TRUE(out->type == NULL && out->path == NULL, "unknown: no context");
	exec_context_free(c);
}
