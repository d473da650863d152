// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known shape: an fs chain open -> write -> fstat -> close -> unlink, each
 * request submitted from the previous one's callback, plus one synchronous
 * stat (NULL callback: not an async request, not reported).
 *   expected: 5 uv_fs, each triggered by the one before (the first by 0),
 *   each with exactly 1 callback and a destroy after it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

static uv_fs_t req[5], sync_req;
static char path[] = "/tmp/asyncscope-uv-fschain.XXXXXX";
static uv_buf_t buf;

static void on_unlink(uv_fs_t *r)
{
	uv_fs_req_cleanup(r);
}

static void on_close(uv_fs_t *r)
{
	uv_fs_req_cleanup(r);
	uv_fs_unlink(r->loop, &req[4], path, on_unlink);
}

static void on_fstat(uv_fs_t *r)
{
	uv_fs_req_cleanup(r);
	uv_fs_close(r->loop, &req[3], (uv_file)req[0].result, on_close);
}

static void on_write(uv_fs_t *r)
{
	uv_fs_req_cleanup(r);
	uv_fs_fstat(r->loop, &req[2], (uv_file)req[0].result, on_fstat);
}

static void on_open(uv_fs_t *r)
{
	buf = uv_buf_init("hello\n", 6);
	uv_fs_write(r->loop, &req[1], (uv_file)r->result, &buf, 1, 0, on_write);
}

int main(void)
{
	uv_loop_t *loop = uv_default_loop();
	int fd = mkstemp(path);

	printf("ready %d\n", (int)uv_os_getpid());
	fflush(stdout);
	getchar();
	close(fd);
	uv_fs_stat(loop, &sync_req, path, NULL); /* synchronous */
	uv_fs_req_cleanup(&sync_req);
	uv_fs_open(loop, &req[0], path, O_WRONLY, 0, on_open);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_fs_req_cleanup(&req[0]);
	return uv_loop_close(loop) ? 1 : 0;
}
