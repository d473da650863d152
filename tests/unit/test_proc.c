// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The /proc readers against this process itself: its mappings, its threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "resolve/proc.h"
#include "unit.h"

struct holder {
	uint64_t addr;
	struct proc_map found;
	int seen;
	uint64_t last_start;
	bool ordered;
};

static int find_holder(void *ctx, const struct proc_map *m)
{
	struct holder *h = ctx;

	h->ordered &= !h->seen || m->start >= h->last_start;
	h->last_start = m->start;
	h->seen++;
	if (h->addr < m->start || h->addr >= m->end)
		return 0;
	h->found = *m;
	return 1;
}

void test_proc__maps_code_mapping(void)
{
	struct holder h = {.addr = (uintptr_t)test_proc__maps_code_mapping, .ordered = true};
	char want[64];

	ASSERT_EQ(proc_maps_foreach(getpid(), find_holder, &h), 1, "stops where fn says");
	ASSERT_TRUE(h.ordered, "mappings in address order");
	ASSERT_STREQ(h.found.perms, "r-xp", "this code is in an r-xp mapping");
	if (!ASSERT_TRUE(h.found.file != NULL, "file-backed"))
		return;
	snprintf(want, sizeof(want), "/proc/%d/root/", getpid());
	ASSERT_TRUE(!strncmp(h.found.path, want, strlen(want)), "path through the root");
	ASSERT_STREQ(h.found.path + strlen(want) - 1, h.found.file, "path ends in the file");
}

void test_proc__maps_anonymous_and_missing(void)
{
	int on_stack = 0;
	struct holder h = {.addr = (uintptr_t)&on_stack, .ordered = true};

	ASSERT_EQ(proc_maps_foreach(getpid(), find_holder, &h), 1, "the stack is mapped");
	ASSERT_TRUE(h.found.file == NULL, "[stack] names no file");
	ASSERT_STREQ(h.found.path, "", "nor a path");
	h.addr = 0;
	ASSERT_EQ(proc_maps_foreach(getpid(), find_holder, &h), 0, "0 after the last mapping");
	ASSERT_EQ(proc_maps_foreach(1 << 30, find_holder, &h), -ENOENT, "no such process");
}

struct live_thread {
	pthread_barrier_t started, checked;
	pid_t tid;
};

static void *live_thread(void *arg)
{
	struct live_thread *lt = arg;

	lt->tid = gettid();
	pthread_barrier_wait(&lt->started);
	/* alive until the test has looked it up */
	pthread_barrier_wait(&lt->checked);
	return NULL;
}

void test_proc__tgid_of_process_and_thread(void)
{
	struct live_thread lt = {0};
	pid_t tgid = 0;
	pthread_t th;

	ASSERT_OK(proc_tgid(getpid(), &tgid), "own pid");
	ASSERT_EQ(tgid, getpid(), "a process is its own thread group");
	ASSERT_EQ(proc_tgid(1 << 30, &tgid), -ENOENT, "no such process");
	pthread_barrier_init(&lt.started, NULL, 2);
	pthread_barrier_init(&lt.checked, NULL, 2);
	if (!ASSERT_OK(pthread_create(&th, NULL, live_thread, &lt), "thread"))
		return;
	pthread_barrier_wait(&lt.started);
	tgid = 0;
	ASSERT_TRUE(lt.tid != getpid(), "a thread has its own id");
	ASSERT_OK(proc_tgid(lt.tid, &tgid), "thread id");
	ASSERT_EQ(tgid, getpid(), "a thread id resolves to its process");
	pthread_barrier_wait(&lt.checked);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&lt.started);
	pthread_barrier_destroy(&lt.checked);
}
