// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known shape: a work-queue fan-out: one timer whose callback queues 8
 * work requests; each after_work_cb runs on the loop thread.
 *   expected: 1 uv_timer (trigger 0, 1 callback, closed with a callback),
 *   8 uv_work all triggered by the timer, each with 1 callback and a destroy.
 */
#include <stdio.h>
#include <uv.h>

#define N 8

static uv_work_t work[N];
static uv_timer_t timer;

static void do_work(uv_work_t *w)
{
	(void)w; /* runs on a threadpool thread */
}

static void after_work(uv_work_t *w, int status)
{
	(void)w;
	(void)status;
}

static void on_close(uv_handle_t *h)
{
	(void)h;
}

static void on_timer(uv_timer_t *t)
{
	for (int i = 0; i < N; i++)
		uv_queue_work(t->loop, &work[i], do_work, after_work);
	uv_close((uv_handle_t *)t, on_close);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();

	printf("ready %d\n", (int)uv_os_getpid());
	fflush(stdout);
	getchar();
	uv_timer_init(loop, &timer);
	uv_timer_start(&timer, on_timer, 1, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	return uv_loop_close(loop) ? 1 : 0;
}
