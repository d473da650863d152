// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known shape: a spawned child (/bin/true) whose exit callback closes the
 * process handle.
 *   expected: 1 uv_process (trigger 0) with 2 callbacks (exit, close) and a
 *   destroy after the close callback.
 */
#include <stdio.h>
#include <uv.h>

static uv_process_t proc;

static void on_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_exit_cb(uv_process_t *p, int64_t status, int signal)
{
	(void)status;
	(void)signal;
	uv_close((uv_handle_t *)p, on_closed);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	char *args[] = {"/bin/true", NULL};
	uv_process_options_t opt = {.exit_cb = on_exit_cb, .file = args[0], .args = args};

	printf("ready %d\n", (int)uv_os_getpid());
	fflush(stdout);
	getchar();
	if (uv_spawn(loop, &proc, &opt))
		return 2;
	uv_run(loop, UV_RUN_DEFAULT);
	return uv_loop_close(loop) ? 1 : 0;
}
