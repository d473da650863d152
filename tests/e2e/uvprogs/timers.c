// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known shape: a chain of 5 timers, each started from the previous one's
 * callback (so each is triggered by the one before), and a repeating timer
 * that fires 3 times and is then closed with a close callback.
 *   expected: 6 uv_timer; chain timer k+1 triggered by timer k; the first
 *   and the repeater triggered by nothing (0); 5 + 3 timer callbacks, 1
 *   close callback; 6 destroys (every timer closed with a callback).
 */
#include <stdio.h>
#include <uv.h>

#define CHAIN 5

static uv_timer_t chain[CHAIN], rep;
static int next, fired;

static void on_close(uv_handle_t *h)
{
	(void)h;
}

static void on_chain(uv_timer_t *t)
{
	uv_close((uv_handle_t *)t, on_close);
	if (++next < CHAIN) {
		uv_timer_init(t->loop, &chain[next]);
		uv_timer_start(&chain[next], on_chain, 2, 0);
	}
}

static void on_rep(uv_timer_t *t)
{
	if (++fired == 3)
		uv_close((uv_handle_t *)t, on_close);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();

	/* handshake: a tracer attaches with -p before any libuv call */
	printf("ready %d\n", (int)uv_os_getpid());
	fflush(stdout);
	getchar();
	uv_timer_init(loop, &chain[0]);
	uv_timer_start(&chain[0], on_chain, 2, 0);
	uv_timer_init(loop, &rep);
	uv_timer_start(&rep, on_rep, 3, 3);
	uv_run(loop, UV_RUN_DEFAULT);
	return uv_loop_close(loop) ? 1 : 0;
}
