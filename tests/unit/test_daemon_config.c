// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* daemon config: the file format, its errors, reloads, process selection. */
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>

#include "daemon/daemon_config.h"
#include "unit.h"

/* text into a fresh temp file; its path in path (unlink when done) */
static bool write_temp(const char *text, char *path, size_t len)
{
	size_t n = strlen(text);
	int fd;

	snprintf(path, len, "/tmp/asyncscope-unit-config.XXXXXX");
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return false;
	if (!ASSERT_EQ(write(fd, text, n), n, "temp file written")) {
		close(fd);
		unlink(path);
		return false;
	}
	close(fd);
	return true;
}

static int load_text(const char *text, struct daemon_config *c, char *err, size_t errlen,
		     char *path, size_t pathlen)
{
	int ret;

	if (!write_temp(text, path, pathlen))
		return -EIO;
	ret = daemon_config_load(path, c, err, errlen);
	unlink(path);
	return ret;
}

void test_daemon_config__defaults(void)
{
	struct daemon_config c;

	daemon_config_defaults(&c);
	ASSERT_STREQ(c.listen, "127.0.0.1:9464", "listen");
	ASSERT_STREQ(c.state_dir, "/var/lib/asyncscope", "state_dir");
	ASSERT_EQ(c.capture_budget, 256ULL << 20, "budget 256 MiB");
	ASSERT_EQ(c.capture_file_size, 16ULL << 20, "file size 16 MiB");
	ASSERT_EQ(c.mode, DAEMON_SAMPLED, "sampled by default");
	ASSERT_EQ(c.sample_window_ns, 500000000ULL, "window 0.5 s");
	ASSERT_EQ(c.sample_period_ns, 20000000000ULL, "period 20 s");
	ASSERT_EQ(c.exit_linger_ns, 60000000000ULL, "linger 60 s");
	ASSERT_TRUE(!c.ninclude_exe && !c.nexclude_exe && !c.ninclude_cgroup && !c.nexclude_cgroup,
		    "no globs");
	ASSERT_TRUE(daemon_config_wants(&c, "/usr/bin/node", "/system.slice/a.service"),
		    "everything watched");
	ASSERT_TRUE(daemon_config_wants(&c, NULL, NULL), "even unknown exe and cgroup");
	daemon_config_free(&c);
}

void test_daemon_config__full_file(void)
{
	struct daemon_config c;
	char err[512] = "", path[64];

	daemon_config_defaults(&c);
	if (!ASSERT_OK(load_text("# asyncscope daemon\n"
				 "\n"
				 "   listen = 0.0.0.0:9100   # all interfaces\n"
				 "state_dir=/srv/asyncscope\r\n"
				 "capture_budget = 1G\n"
				 "capture_file_size = 64K\n"
				 "\t# indented comment\n"
				 "include_exe = /usr/bin/node*\n"
				 "include_exe = \"/opt/my app/bin/node\"  # quoted: spaces kept\n"
				 "exclude_exe = /opt/legacy#1/node\n"
				 "exclude_exe = \"#odd \\\"name\\\" \\\\ \"\n"
				 "include_cgroup = /system.slice/app-*.service\n"
				 "exclude_cgroup = /system.slice/app-batch.service\n",
				 &c, err, sizeof(err), path, sizeof(path)),
		       err))
		goto out;
	ASSERT_STREQ(c.listen, "0.0.0.0:9100", "listen, inline comment cut");
	ASSERT_STREQ(c.state_dir, "/srv/asyncscope", "no spaces around '=', CRLF");
	ASSERT_EQ(c.capture_budget, 1ULL << 30, "1G");
	ASSERT_EQ(c.capture_file_size, 64ULL << 10, "64K, the minimum");
	if (ASSERT_EQ(c.ninclude_exe, 2, "two include_exe")) {
		ASSERT_STREQ(c.include_exe[0], "/usr/bin/node*", "glob kept");
		ASSERT_STREQ(c.include_exe[1], "/opt/my app/bin/node", "quotes stripped");
	}
	if (ASSERT_EQ(c.nexclude_exe, 2, "two exclude_exe")) {
		ASSERT_STREQ(c.exclude_exe[0], "/opt/legacy#1/node", "'#' not after a blank kept");
		ASSERT_STREQ(c.exclude_exe[1], "#odd \"name\" \\ ", "escapes in quotes");
	}
	if (ASSERT_EQ(c.ninclude_cgroup, 1, "include_cgroup"))
		ASSERT_STREQ(c.include_cgroup[0], "/system.slice/app-*.service", "cgroup glob");
	if (ASSERT_EQ(c.nexclude_cgroup, 1, "exclude_cgroup"))
		ASSERT_STREQ(c.exclude_cgroup[0], "/system.slice/app-batch.service", "cgroup");
out:
	daemon_config_free(&c);
}

void test_daemon_config__sizes_and_later_lines_win(void)
{
	struct daemon_config c;
	char err[512] = "", path[64];

	daemon_config_defaults(&c);
	if (ASSERT_OK(load_text("capture_budget = 3m\ncapture_budget = 100M\n"
				"capture_file_size = 1048576\n"
				"listen = 127.0.0.1:1\nlisten = 10.0.0.1:65535\n",
				&c, err, sizeof(err), path, sizeof(path)),
		      err)) {
		ASSERT_EQ(c.capture_budget, 100ULL << 20, "the last capture_budget");
		ASSERT_EQ(c.capture_file_size, 1ULL << 20, "plain bytes");
		ASSERT_STREQ(c.listen, "10.0.0.1:65535", "the last listen");
		ASSERT_STREQ(c.state_dir, "/var/lib/asyncscope", "default where not given");
	}
	daemon_config_free(&c);
}

void test_daemon_config__errors_name_the_line(void)
{
	static const struct {
		const char *text, *want; /* want: err after the path */
	} cases[] = {
		{"listen = 127.0.0.1:9464\n\nfoo = 1\n", ":3: unknown key 'foo'"},
		{"# comment\nlisten 127.0.0.1:9464\n", ":2: expected 'key = value'"},
		{"listen 127.0.0.1 = 9464\n", ":1: expected 'key = value'"},
		{"\n= /x\n", ":2: no key before '='"},
		{"state_dir =\n", ":1: no value for 'state_dir'"},
		{"state_dir =   # nothing\n", ":1: no value for 'state_dir'"},
		{"include_exe = \"\"\n", ":1: no value for 'include_exe'"},
		{"state_dir = var/lib/asyncscope\n", ":1: state_dir must be an absolute path"},
		{"capture_budget = 12X\n", ":1: capture_budget: expected a byte count"},
		{"capture_budget = 12KB\n", ":1: capture_budget: expected a byte count"},
		{"capture_budget = -1\n", ":1: capture_budget: expected a byte count"},
		{"capture_budget = 1.5G\n", ":1: capture_budget: expected a byte count"},
		{"capture_budget = 99999999999999999999\n", ":1: capture_budget: expected"},
		{"capture_budget = 17179869184G\n", ":1: capture_budget: expected"},
		{"capture_file_size = 63K\n", ":1: capture_file_size must be at least 64K"},
		{"listen = localhost:9464\n", ":1: listen: expected an IPv4 address"},
		{"listen = 127.0.0.1:0\n", ":1: listen: expected an IPv4 address"},
		{"listen = 127.0.0.1:65536\n", ":1: listen: expected an IPv4 address"},
		{"listen = 127.0.0.1\n", ":1: listen: expected an IPv4 address"},
		{"include_exe = \"/usr/bin/node\n", ":1: unterminated quoted value"},
		{"include_exe = \"/usr/bin/node\" x\n", ":1: text after the closing quote"},
		{"\n\ncapture_budget = 1M\n",
		 ":3: capture_file_size (16M) is larger than capture_budget (1M)"},
		{"capture_file_size = 8M\n\ncapture_budget = 4M\n",
		 ":3: capture_file_size (8M) is larger than capture_budget (4M)"},
		{"capture_budget = 4M\ncapture_file_size = 8M\n#\n",
		 ":2: capture_file_size (8M) is larger than capture_budget (4M)"},
		{"mode = fast\n", ":1: mode: expected sampled or exact, not 'fast'"},
		{"sample_window = 5\n", ":1: sample_window: expected a duration in ms, s or m"},
		{"sample_window = 1.5s\n", ":1: sample_window: expected a duration"},
		{"sample_window = 1h\n", ":1: sample_window: expected a duration"},
		{"sample_window = -1s\n", ":1: sample_window: expected a duration"},
		{"sample_period = 61m\n", ":1: sample_period: expected a duration in ms, s or m up "
					  "to 1 hour"},
		{"exit_linger = 99999999999999999999ms\n", ":1: exit_linger: expected a duration"},
		{"sample_window = 0\n", ":1: sample_window must be at least 10ms"},
		{"sample_window = 9ms\n", ":1: sample_window must be at least 10ms"},
		{"sample_window = 30s\n", ":1: sample_window (30s) must be shorter than "
					  "sample_period (20s)"},
		{"sample_period = 2s\n\nsample_window = 2000ms\n",
		 ":3: sample_window (2s) must be shorter than sample_period (2s)"},
		{"sample_window = 3s\nsample_period = 1s\n",
		 ":2: sample_window (3s) must be shorter than sample_period (1s)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct daemon_config c;
		char err[512] = "", path[64];
		size_t plen;

		daemon_config_defaults(&c);
		ASSERT_EQ(load_text(cases[i].text, &c, err, sizeof(err), path, sizeof(path)),
			  -EINVAL, cases[i].text);
		plen = strlen(path);
		if (ASSERT_TRUE(!strncmp(err, path, plen), err))
			ASSERT_TRUE(!strncmp(err + plen, cases[i].want, strlen(cases[i].want)),
				    err);
		daemon_config_free(&c);
	}
}

void test_daemon_config__sampling_keys(void)
{
	struct daemon_config c, d;
	char err[512] = "", path[64], *text = NULL;
	size_t len = 0;
	FILE *f;

	daemon_config_defaults(&c);
	daemon_config_defaults(&d);
	if (!ASSERT_OK(load_text("mode = exact\nsample_window = 250ms\nsample_period = 1m\n"
				 "exit_linger = 0\n",
				 &c, err, sizeof(err), path, sizeof(path)),
		       err))
		goto out;
	ASSERT_EQ(c.mode, DAEMON_EXACT, "exact");
	ASSERT_EQ(c.sample_window_ns, 250000000ULL, "250ms");
	ASSERT_EQ(c.sample_period_ns, 60000000000ULL, "1m");
	ASSERT_EQ(c.exit_linger_ns, 0, "bare 0: no linger");
	f = open_memstream(&text, &len);
	daemon_config_print(&c, f);
	fclose(f);
	ASSERT_TRUE(strstr(text, "\nmode = exact\n") != NULL, text);
	ASSERT_TRUE(strstr(text, "\nsample_window = 250ms\n") != NULL, text);
	ASSERT_TRUE(strstr(text, "\nsample_period = 1m\n") != NULL, text);
	ASSERT_TRUE(strstr(text, "\nexit_linger = 0\n") != NULL, text);
	/* what --print-config writes loads back the same */
	if (ASSERT_OK(load_text(text, &d, err, sizeof(err), path, sizeof(path)), err)) {
		ASSERT_EQ(d.mode, DAEMON_EXACT, "mode back");
		ASSERT_EQ(d.sample_window_ns, c.sample_window_ns, "window back");
		ASSERT_EQ(d.sample_period_ns, c.sample_period_ns, "period back");
		ASSERT_EQ(d.exit_linger_ns, 0, "linger back");
	}
	if (ASSERT_OK(load_text("sample_window = 1500ms\nsample_period = 90s\nexit_linger = 60m\n",
				&c, err, sizeof(err), path, sizeof(path)),
		      err)) {
		ASSERT_EQ(c.mode, DAEMON_SAMPLED, "back to the default mode");
		ASSERT_EQ(c.sample_window_ns, 1500000000ULL, "1500ms");
		ASSERT_EQ(c.sample_period_ns, 90000000000ULL, "90s");
		ASSERT_EQ(c.exit_linger_ns, 3600000000000ULL, "60m, the maximum");
	}
out:
	free(text);
	daemon_config_free(&c);
	daemon_config_free(&d);
}

void test_daemon_config__failure_keeps_old_config(void)
{
	struct daemon_config c;
	char err[512] = "", path[64];
	char **old_include;

	daemon_config_defaults(&c);
	if (!ASSERT_OK(load_text("listen = 127.0.0.1:9500\ninclude_exe = */node\n"
				 "capture_budget = 64M\n",
				 &c, err, sizeof(err), path, sizeof(path)),
		       err))
		goto out;
	old_include = c.include_exe;
	ASSERT_EQ(load_text("listen = 127.0.0.1:9600\ninclude_exe = */deno\nbogus\n", &c, err,
			    sizeof(err), path, sizeof(path)),
		  -EINVAL, "bad reload");
	ASSERT_STREQ(c.listen, "127.0.0.1:9500", "listen kept");
	ASSERT_EQ(c.capture_budget, 64ULL << 20, "budget kept");
	ASSERT_TRUE(c.include_exe == old_include && c.ninclude_exe == 1, "list kept");
	ASSERT_STREQ(c.include_exe[0], "*/node", "glob kept");

	ASSERT_EQ(daemon_config_load("/nonexistent/asyncscope.conf", &c, err, sizeof(err)), -ENOENT,
		  "missing file");
	ASSERT_STREQ(err, "/nonexistent/asyncscope.conf: No such file or directory", "message");
	ASSERT_EQ(daemon_config_load("/tmp", &c, err, sizeof(err)), -EISDIR, "a directory");
	ASSERT_STREQ(err, "/tmp: Is a directory", "message");
	ASSERT_STREQ(c.listen, "127.0.0.1:9500", "still kept");

	/* a good reload starts from the defaults, not from the old config */
	if (ASSERT_OK(load_text("include_cgroup = /a\n", &c, err, sizeof(err), path, sizeof(path)),
		      err)) {
		ASSERT_STREQ(c.listen, "127.0.0.1:9464", "listen back to default");
		ASSERT_EQ(c.ninclude_exe, 0, "old list gone");
		ASSERT_EQ(c.ninclude_cgroup, 1, "new list");
	}
out:
	daemon_config_free(&c);
}

void test_daemon_config__wants(void)
{
	struct daemon_config c;
	char err[512] = "", path[64];

	daemon_config_defaults(&c);
	if (!ASSERT_OK(load_text("include_exe = */node\ninclude_exe = /opt/*\n"
				 "exclude_exe = /opt/legacy/*\n"
				 "include_cgroup = /system.slice/*\n"
				 "exclude_cgroup = *batch*\n",
				 &c, err, sizeof(err), path, sizeof(path)),
		       err))
		goto out;
	ASSERT_TRUE(daemon_config_wants(&c, "/usr/bin/node", "/system.slice/web.service"),
		    "both included");
	ASSERT_TRUE(daemon_config_wants(&c, "/opt/x/node", "/system.slice/a/b/c"),
		    "'*' crosses '/'");
	ASSERT_TRUE(!daemon_config_wants(&c, "/usr/bin/python3", "/system.slice/web.service"),
		    "exe not included");
	ASSERT_TRUE(!daemon_config_wants(&c, "/opt/legacy/node", "/system.slice/web.service"),
		    "exclusion wins over two includes");
	ASSERT_TRUE(!daemon_config_wants(&c, "/usr/bin/node", "/system.slice/batch.service"),
		    "cgroup exclusion wins");
	ASSERT_TRUE(!daemon_config_wants(&c, "/usr/bin/node", "/user.slice/x"),
		    "cgroup not included");
	ASSERT_TRUE(!daemon_config_wants(&c, "/usr/bin/node", NULL),
		    "unknown cgroup matches no include");
	ASSERT_TRUE(!daemon_config_wants(&c, "/usr/bin/node", ""), "empty cgroup is unknown");
	ASSERT_TRUE(!daemon_config_wants(&c, NULL, "/system.slice/web.service"),
		    "unknown exe matches no include");

	/* excludes only: an unknown cgroup is not excluded */
	daemon_config_free(&c);
	if (!ASSERT_OK(load_text("exclude_cgroup = *\nexclude_exe = */bash\n", &c, err, sizeof(err),
				 path, sizeof(path)),
		       err))
		goto out;
	ASSERT_TRUE(daemon_config_wants(&c, "/usr/bin/node", NULL), "cgroup excludes do not apply");
	ASSERT_TRUE(daemon_config_wants(&c, "/usr/bin/node", ""), "nor to an empty cgroup");
	ASSERT_TRUE(!daemon_config_wants(&c, "/usr/bin/node", "/"), "'*' excludes any known one");
	ASSERT_TRUE(!daemon_config_wants(&c, "/bin/bash", NULL), "exe exclusion");
out:
	daemon_config_free(&c);
}

void test_daemon_config__parse_listen(void)
{
	static const char *const bad[] = {
		"127.0.0.1:0",
		"127.0.0.1:65536",
		"127.0.0.1:99999999999999999999",
		"127.0.0.1",
		"127.0.0.1:",
		":9464",
		"localhost:9464",
		"1.2.3:9464",
		"256.0.0.1:9464",
		"127.0.0.1:-1",
		"127.0.0.1:+80",
		"127.0.0.1:80x",
		"127.0.0.1: 80",
		" 127.0.0.1:80",
		"[::1]:9464",
		"::1:9464",
		"",
	};
	struct sockaddr_in sin;

	if (ASSERT_OK(daemon_config_parse_listen("127.0.0.1:9464", &sin), "default")) {
		ASSERT_EQ(sin.sin_family, AF_INET, "family");
		ASSERT_EQ(ntohs(sin.sin_port), 9464, "port");
		ASSERT_EQ(ntohl(sin.sin_addr.s_addr), 0x7f000001, "address");
	}
	if (ASSERT_OK(daemon_config_parse_listen("0.0.0.0:65535", &sin), "any, top port"))
		ASSERT_EQ(ntohs(sin.sin_port), 65535, "65535");
	if (ASSERT_OK(daemon_config_parse_listen("10.1.2.3:1", &sin), "port 1")) {
		ASSERT_EQ(ntohs(sin.sin_port), 1, "1");
		ASSERT_EQ(ntohl(sin.sin_addr.s_addr), 0x0a010203, "10.1.2.3");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(daemon_config_parse_listen(bad[i], &sin), -EINVAL, bad[i]);
	ASSERT_EQ(daemon_config_parse_listen(NULL, &sin), -EINVAL, "NULL");
}

static bool same_list(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

void test_daemon_config__print_round_trips(void)
{
	struct daemon_config a, b;
	char err[512] = "", path[64], *text = NULL;
	size_t len = 0;
	FILE *f;

	daemon_config_defaults(&a);
	daemon_config_defaults(&b);
	f = open_memstream(&text, &len);
	daemon_config_print(&a, f);
	fclose(f);
	ASSERT_TRUE(strstr(text, "\nlisten = 127.0.0.1:9464\n") != NULL, text);
	ASSERT_TRUE(strstr(text, "\ncapture_budget = 256M\n") != NULL, text);
	ASSERT_TRUE(strstr(text, "\ncapture_file_size = 16M\n") != NULL, text);
	free(text);
	text = NULL;

	if (!ASSERT_OK(load_text("state_dir = \"/srv/as # scope \"\n"
				 "capture_budget = 1000000\ncapture_file_size = 96K\n"
				 "include_exe = \" lead\"\ninclude_exe = a\\b\n"
				 "exclude_exe = \"q\\\"uote\"\ninclude_cgroup = \"\\\"x\"\n"
				 "exclude_cgroup = /c#d\n",
				 &a, err, sizeof(err), path, sizeof(path)),
		       err))
		goto out;
	f = open_memstream(&text, &len);
	daemon_config_print(&a, f);
	fclose(f);
	if (!ASSERT_OK(load_text(text, &b, err, sizeof(err), path, sizeof(path)), err))
		goto out;
	ASSERT_STREQ(b.state_dir, "/srv/as # scope ", "state_dir back");
	ASSERT_EQ(b.capture_budget, 1000000, "bytes back");
	ASSERT_EQ(b.capture_file_size, 96 << 10, "96K back");
	ASSERT_TRUE(same_list(a.include_exe, a.ninclude_exe, b.include_exe, b.ninclude_exe),
		    "include_exe back");
	ASSERT_TRUE(same_list(a.exclude_exe, a.nexclude_exe, b.exclude_exe, b.nexclude_exe),
		    "exclude_exe back");
	ASSERT_TRUE(
		same_list(a.include_cgroup, a.ninclude_cgroup, b.include_cgroup, b.ninclude_cgroup),
		"include_cgroup back");
	ASSERT_TRUE(
		same_list(a.exclude_cgroup, a.nexclude_cgroup, b.exclude_cgroup, b.nexclude_cgroup),
		"exclude_cgroup back");
	ASSERT_STREQ(b.include_exe[1], "a\\b", "unquoted backslash literal");
out:
	free(text);
	daemon_config_free(&a);
	daemon_config_free(&b);
}
