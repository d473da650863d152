// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Target options shared by the live commands (trace, tree, doctor). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "proc.h"
#include "session.h"

enum { OPT_RINGBUF = 1000, OPT_INPUT, OPT_FORMAT, OPT_JS };

int parse_target_opts(int argc, char **argv, const struct target_opts_spec *spec,
		      struct session_opts *so)
{
	const char *cmd = spec->cmd, **output = spec->output, **input = spec->input,
		   **format = spec->format;
	const struct option *extra = spec->extra;
	struct option opts[32] = {
		{"pid", required_argument, NULL, 'p'},
		{"output", required_argument, NULL, 'o'},
		{"duration", required_argument, NULL, 'd'},
		{"ringbuf-size", required_argument, NULL, OPT_RINGBUF},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"input", required_argument, NULL, OPT_INPUT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"js", required_argument, NULL, OPT_JS},
	};
	int nopts = 9, opt;
	bool have_pid = false;

	for (int i = 0; extra && extra[i].name && nopts < 31; i++)
		opts[nopts++] = extra[i];
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+p:o:d:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (proc_parse_pid(optarg, &so->pid)) {
				elog("%s: invalid pid '%s'", cmd, optarg);
				return EXIT_USAGE;
			}
			have_pid = true;
			break;
		case 'o':
			if (!output)
				goto unknown;
			*output = optarg;
			break;
		case 'd':
			if (parse_duration(optarg, &so->duration_ns) || !so->duration_ns) {
				elog("%s: invalid duration '%s' (e.g. 10s, 500ms, 2m)", cmd,
				     optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_RINGBUF:
			if (parse_size(optarg, &so->ringbuf_bytes)) {
				elog("%s: invalid --ringbuf-size '%s' (4K..2G, e.g. 64M)", cmd,
				     optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			so->quiet = true;
			break;
		case 'h':
			spec->usage(stdout);
			return EXIT_OK;
		case OPT_INPUT:
			if (!input)
				goto unknown;
			*input = optarg;
			break;
		case OPT_JS:
			if (!strcmp(optarg, "default"))
				so->js = JS_DEFAULT;
			else if (!strcmp(optarg, "off"))
				so->js = JS_OFF;
			else if (!strcmp(optarg, "exact"))
				so->js = JS_EXACT;
			else {
				elog("%s: --js takes default, off or exact (not '%s')", cmd,
				     optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_FORMAT:
			if (!format)
				goto unknown;
			*format = optarg;
			break;
		case '?':
			if (optopt)
				elog("%s: option -%c needs a value or is unknown (see %s --help)",
				     cmd, optopt, cmd);
			else
				elog("%s: unknown option '%s' (see %s --help)", cmd,
				     argv[optind - 1], cmd);
			return EXIT_USAGE;
		case ':':
			elog("%s: option '%s' needs a value", cmd, argv[optind - 1]);
			return EXIT_USAGE;
		default:
			if (spec->extra_fn) {
				int st = spec->extra_fn(opt, optarg, spec->ctx);

				if (st >= 0)
					return st;
				break;
			}
		unknown:
			elog("%s: unknown option '%s' (see %s --help)", cmd, argv[optind - 1], cmd);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--")) {
			elog("%s: unexpected argument '%s' (a command goes after --)", cmd,
			     argv[optind]);
			return EXIT_USAGE;
		}
		so->argv = argv + optind;
	}
	if (have_pid && so->argv) {
		elog("%s: give either -p PID or -- COMMAND, not both", cmd);
		return EXIT_USAGE;
	}
	if (input && *input && **input && (have_pid || so->argv)) {
		elog("%s: --input replays a file; it does not go with -p or a command", cmd);
		return EXIT_USAGE;
	}
	if (!have_pid && !so->argv && !(input && *input && **input) && !spec->target_optional) {
		elog("%s: no target: give -p PID, -- COMMAND%s (see %s --help)", cmd,
		     input ? " or --input FILE" : "", cmd);
		return EXIT_USAGE;
	}
	return -1;
}
