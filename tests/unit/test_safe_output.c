// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Output files in a sticky world-writable directory like /tmp: what another
 * user planted there (a link, a file, a FIFO, a second name of a file) is
 * refused and the file behind it left as it was; a new file and one's own
 * file are written. Planting as another user needs root (chown).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/safe_output.h"
#include "unit.h"

#define VICTIM_TEXT "the victim's own bytes\n"

static char dir[64], victim[128], path[128];

/* dir: a fresh 1777 directory like /tmp; victim: a file outside it */
static bool setup(const char *name)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/asyncscope-unit-out.XXXXXX");
	if (!mkdtemp(dir) || chmod(dir, 01777)) {
		UNIT_FAIL("temp dir: %s", strerror(errno));
		return false;
	}
	snprintf(victim, sizeof(victim), "%s.victim", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(victim, "w");
	if (!f || fputs(VICTIM_TEXT, f) < 0 || fclose(f)) {
		UNIT_FAIL("victim: %s", strerror(errno));
		return false;
	}
	return true;
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, victim);
	if (system(cmd))
		UNIT_FAIL("cleanup of %s", dir);
}

/* uid of user nobody, for planting; 0 (and the test skipped) if we cannot */
static uid_t other_uid(void)
{
	struct passwd *pw = getpwnam("nobody");

	if (geteuid() != 0 || !pw) {
		unit_skip("needs root and a user 'nobody' to plant files as another user");
		return 0;
	}
	return pw->pw_uid;
}

static bool file_is(const char *p, const char *want)
{
	char buf[256] = "";
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return !strcmp(buf, want);
}

/* Opening path must fail with want, leave the victim alone, and say why
 * in one line naming path. */
static void expect_refused(int want, const char *what)
{
	char why[512] = "";
	int fd = -1, err;

	err = safe_output_open(path, 0666, &fd, why, sizeof(why));
	ASSERT_EQ(err, want, what);
	ASSERT_EQ(fd, -1, "no fd");
	ASSERT_TRUE(strstr(why, "refusing") && strstr(why, path) && !strchr(why, '\n'),
		    "one line naming the path");
	ASSERT_TRUE(file_is(victim, VICTIM_TEXT), "victim untouched");
}

/* Another name for the victim: a link, or a second hard link (the second
 * name of a root-owned file is root's too: the link count tells). */
void test_safe_output__refuses_other_name(void)
{
	static const struct {
		const char *what;
		int (*plant)(const char *target, const char *name);
		int err;
	} cases[] = {
		{"a symbolic link is refused", symlink, -ELOOP},
		{"a file with two names is refused", link, -EMLINK},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!setup("ev.jsonl"))
			return;
		ASSERT_OK(cases[i].plant(victim, path), cases[i].what);
		expect_refused(cases[i].err, cases[i].what);
		teardown();
	}
}

void test_safe_output__refuses_dangling_symlink(void)
{
	char target[160];

	if (!setup("ev.jsonl"))
		return;
	/* O_CREAT through it would create the target */
	snprintf(target, sizeof(target), "%s/created", dir);
	ASSERT_OK(symlink(target, path), "plant link");
	expect_refused(-ELOOP, "a dangling link is refused");
	ASSERT_TRUE(access(target, F_OK) && errno == ENOENT, "nothing created");
	teardown();
}

/* The planter owns the link: the kernel may say EACCES itself; the reason
 * given is still ours. */
void test_safe_output__refuses_others_symlink(void)
{
	uid_t uid = other_uid();

	if (!uid || !setup("ev.jsonl"))
		return;
	ASSERT_OK(symlink(victim, path), "plant link");
	ASSERT_OK(lchown(path, uid, -1), "link owned by nobody");
	expect_refused(-ELOOP, "another user's link is refused");
	teardown();
}

void test_safe_output__refuses_others_file(void)
{
	uid_t uid = other_uid();
	FILE *f;

	if (!uid || !setup("ev.jsonl"))
		return;
	f = fopen(path, "w");
	ASSERT_TRUE(f && fputs("planted\n", f) >= 0 && !fclose(f), "plant file");
	ASSERT_OK(chown(path, uid, -1), "file owned by nobody");
	expect_refused(-EPERM, "another user's file in a sticky dir is refused");
	ASSERT_TRUE(file_is(path, "planted\n"), "planted file not truncated");
	teardown();
}

/* The planter reads the FIFO, waiting for what we would write. */
void test_safe_output__refuses_others_fifo(void)
{
	uid_t uid = other_uid();
	char buf[16];
	int reader;

	if (!uid || !setup("ev.jsonl"))
		return;
	ASSERT_OK(mkfifo(path, 0666), "plant FIFO");
	ASSERT_OK(chown(path, uid, -1), "FIFO owned by nobody");
	reader = open(path, O_RDONLY | O_NONBLOCK);
	ASSERT_TRUE(reader >= 0, "reader");
	expect_refused(-EPERM, "another user's FIFO in a sticky dir is refused");
	ASSERT_EQ(read(reader, buf, sizeof(buf)), 0, "nothing reached the reader");
	close(reader);
	teardown();
}

void test_safe_output__creates_new_file(void)
{
	char why[512] = "";
	mode_t old = umask(022);
	struct stat st;
	int fd = -1;

	if (!setup("ev.jsonl"))
		goto out;
	ASSERT_OK(safe_output_open(path, 0666, &fd, why, sizeof(why)), why);
	ASSERT_TRUE(fd >= 0 && write(fd, "new\n", 4) == 4, "written");
	ASSERT_TRUE(!fstat(fd, &st) && (st.st_mode & 0777) == 0644, "0666 less the umask");
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec");
	ASSERT_TRUE(!(fcntl(fd, F_GETFL) & O_NONBLOCK), "blocking");
	close(fd);
	ASSERT_TRUE(file_is(path, "new\n"), "new file holds what was written");
	teardown();
out:
	umask(old);
}

/* a character device is written: -o /dev/null */
void test_safe_output__char_device(void)
{
	char why[512] = "";
	int fd = -1;

	ASSERT_OK(safe_output_open("/dev/null", 0666, &fd, why, sizeof(why)), why);
	if (fd >= 0)
		close(fd);
}

/* stdio forgets a failed write once its buffer is dropped; the stream does not */
void test_safe_output__stream_keeps_write_error(void)
{
	static char big[100000];
	char why[512] = "";
	FILE *f;
	int fd = -1;

	if (!ASSERT_OK(safe_output_open("/dev/full", 0666, &fd, why, sizeof(why)), why))
		return;
	f = safe_output_stream(fd, true);
	if (!ASSERT_TRUE(f, "stream"))
		return;
	memset(big, 'x', sizeof(big));
	fwrite(big, 1, sizeof(big), f);
	fflush(f);
	ASSERT_EQ(safe_output_close(f), -ENOSPC, "the write's own errno at close");
}

/* one's own file, written again through a stream */
void test_safe_output__truncates_own_file(void)
{
	char why[512] = "";
	FILE *f;
	int fd = -1;

	if (!setup("ev.jsonl"))
		return;
	f = fopen(path, "w");
	ASSERT_TRUE(f && fputs("an older, longer capture\n", f) >= 0 && !fclose(f), "own file");
	if (ASSERT_OK(safe_output_open(path, 0666, &fd, why, sizeof(why)), why)) {
		f = safe_output_stream(fd, true);
		ASSERT_TRUE(f && fputs("line\n", f) >= 0, "written");
		ASSERT_OK(f ? safe_output_close(f) : -1, "closed");
		ASSERT_TRUE(file_is(path, "line\n"), "own file truncated and rewritten");
	}
	teardown();
}
