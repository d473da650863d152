// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A long-running libuv program to attach to: a timer every 5 ms, for the
 * number of milliseconds given (default 3000), then exits.
 */
#include <stdlib.h>
#include <uv.h>

static uv_timer_t tick, stop;

static void on_tick(uv_timer_t *t)
{
	(void)t;
}

static void on_stop(uv_timer_t *t)
{
	uv_close((uv_handle_t *)&tick, NULL);
	uv_close((uv_handle_t *)t, NULL);
}

int main(int argc, char **argv)
{
	uv_loop_t *loop = uv_default_loop();

	uv_timer_init(loop, &tick);
	uv_timer_init(loop, &stop);
	uv_timer_start(&tick, on_tick, 5, 5);
	uv_timer_start(&stop, on_stop, argc > 1 ? strtoul(argv[1], NULL, 10) : 3000, 0);
	return uv_run(loop, UV_RUN_DEFAULT);
}
