// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known shape: uv_async_send from another thread. The loop thread creates
 * an async handle; a thread sends to it; the async callback closes it.
 *   expected: 1 uv_async (trigger 0) with 2 callbacks (async, close) on the
 *   loop thread and a destroy; nothing on the sending thread.
 */
#include <stdio.h>
#include <uv.h>

static uv_async_t async;
static uv_thread_t thread;

static void on_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_async(uv_async_t *a)
{
	uv_close((uv_handle_t *)a, on_closed);
}

static void sender(void *arg)
{
	(void)arg;
	uv_async_send(&async);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();

	printf("ready %d\n", (int)uv_os_getpid());
	fflush(stdout);
	getchar();
	uv_async_init(loop, &async, on_async);
	uv_thread_create(&thread, sender, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_thread_join(&thread);
	return uv_loop_close(loop) ? 1 : 0;
}
