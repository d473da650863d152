// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* asyncscope: dispatches to a subcommand (bpftool-style table, prefix match). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "lib/log.h"

#include "lib/version.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{"trace", do_trace, "stream init/before/after/destroy events as JSON Lines"},
	{"record", do_record, "write a compact capture file (.asr) for later reports"},
	{"report", do_report, "read a capture: summary, top, leaks, tree, timeline, html, ..."},
	{"tree", do_tree, "print the trigger tree (live, or from a saved capture)"},
	{"timeline", do_timeline,
	 "which async id ran when, per thread (text or Perfetto/Chrome trace)"},
	{"top", do_top, "types and creation paths by callback time and queue delay"},
	{"leaks", do_leaks, "resources still alive at the end, by type and creation path"},
	{"stats", do_stats, "what a capture holds and what was not seen"},
	{"ci", do_ci, "CI: summarize a command's async behaviour; compare against a budget"},
	{"daemon", do_daemon, "watch every node/libuv process of the host; serve /metrics"},
	{"doctor", do_doctor, "show what was resolved in a target binary and whether it verified"},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: asyncscope [-v] COMMAND [OPTIONS]\n"
		     "\n"
		     "Observe async resource lifecycles (what async_hooks reports) in running\n"
		     "Node.js and libuv processes from outside, with eBPF uprobes. Nothing is\n"
		     "loaded into or changed in the target.\n"
		     "\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(out,
		"\n"
		"Examples:\n"
		"  sudo asyncscope trace -p 4242 -o events.jsonl\n"
		"  sudo asyncscope trace -o events.jsonl -- node app.js\n"
		"  sudo asyncscope tree -p 4242 --duration 10s\n"
		"  sudo asyncscope record -p 4242 -d 30s -o app.asr\n"
		"  asyncscope tree --input events.jsonl\n"
		"  asyncscope timeline --input events.jsonl --format chrome -o trace.json\n"
		"  sudo asyncscope doctor -p 4242\n"
		"  sudo asyncscope daemon --listen 127.0.0.1:9464\n"
		"\n"
		"Options:\n"
		"  -v, --verbose   more diagnostics on stderr (repeat: -vv debug, -vvv libbpf)\n"
		"  -h, --help      this help; COMMAND --help for a command's options\n"
		"  --version       print the version\n"
		"\n"
		"Exit status: 0 ok, 1 runtime failure, 2 usage, 3 no such process,\n"
		"4 unsupported target, 5 missing privileges, 6 bad input file.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("asyncscope %s\n", ASYNCSCOPE_VERSION);
			return EXIT_OK;
		} else if (!strcmp(a, "--verbose")) {
			log_verbosity++;
		} else if (a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
			log_verbosity += strlen(a + 1);
		} else {
			elog("unknown option '%s' (see asyncscope --help)", a);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	{
		const struct cmd *match = NULL;
		size_t len = strlen(argv[i]);
		int nmatch = 0;

		for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
			if (!strcmp(cmds[c].name, argv[i])) {
				match = &cmds[c];
				nmatch = 1;
				break;
			}
			if (!strncmp(cmds[c].name, argv[i], len)) {
				match = &cmds[c];
				nmatch++;
			}
		}
		if (nmatch != 1) {
			elog("%s command '%s' (see asyncscope --help)",
			     nmatch ? "ambiguous" : "unknown", argv[i]);
			return EXIT_USAGE;
		}
		return match->fn(argc - i, argv + i);
	}
}
