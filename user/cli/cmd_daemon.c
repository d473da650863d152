// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* asyncscope daemon: command line of the host-wide aggregating daemon. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "daemon/daemon.h"
#include "daemon/daemon_config.h"
#include "lib/log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: asyncscope daemon [--config FILE] [--listen ADDR:PORT] [OPTIONS]\n"
		"\n"
		"Watches every node and libuv process on the host, those running now and each\n"
		"new one as it starts (containers included), until it exits. Probes go into\n"
		"each distinct node binary or libuv library once, for all its processes, and\n"
		"count in the kernel: per process and type, init/before/after/destroy, callback\n"
		"time and queue delay histograms and event-loop time in callbacks. No\n"
		"per-event record reaches user space. The counts are served in Prometheus text\n"
		"format on http://ADDR:PORT/metrics (default 127.0.0.1:9464), with the seconds\n"
		"each process was observed and the daemon's own figures (processes, probes,\n"
		"events lost, CPU, memory).\n"
		"\n"
		"By default (mode sampled) the probes are in for sample_window (500ms) once\n"
		"every sample_period (20s): events / observed seconds estimates each rate, at\n"
		"a fortieth of the cost. Mode exact keeps them in: every event counted, and\n"
		"resources alive. An exited process's final series stay for exit_linger (60s).\n"
		"\n"
		"Per-event capture of one process is switched on and off at run time with\n"
		"--ctl (a unix socket, <state_dir>/control): its events go to rotating .asr\n"
		"files in the state directory (capture-PID-SEQ.asr, 0600), the oldest deleted\n"
		"beyond capture_budget; 'asyncscope report FILE' reads them.\n"
		"\n"
		"SIGHUP reloads the config (a config that does not load is reported and the\n"
		"running one kept); SIGINT/SIGTERM stop it and remove every probe. After\n"
		"start-up it keeps only CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and\n"
		"CAP_DAC_READ_SEARCH.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE      config file (key = value lines; see --print-config)\n"
		"  -l, --listen ADDR:PORT where /metrics is served (overrides the config)\n"
		"  -m, --mode MODE        sampled or exact (overrides the config)\n"
		"      --ctl COMMAND      send COMMAND to the running daemon: 'capture PID on',\n"
		"                         'capture PID off' or 'status'\n"
		"      --print-config     print the effective config and exit\n"
		"      --ready-file FILE  write the daemon's pid to FILE once it serves\n"
		"      --keep-caps        do not drop capabilities after start-up\n"
		"  -h, --help             this help\n"
		"\n"
		"Config keys: listen, state_dir, include_exe, exclude_exe, include_cgroup,\n"
		"exclude_cgroup (globs; repeat a key to add one), capture_budget,\n"
		"capture_file_size, mode, sample_window, sample_period, exit_linger.\n"
		"\n"
		"Examples:\n"
		"  sudo asyncscope daemon\n"
		"  sudo asyncscope daemon --listen 127.0.0.1:9500 --config /etc/asyncscope.conf\n"
		"  sudo asyncscope daemon --mode exact\n"
		"  curl -s http://127.0.0.1:9464/metrics | grep asyncscope_events_total\n"
		"  sudo asyncscope daemon --ctl 'capture 4242 on'\n"
		"  sudo asyncscope daemon --ctl 'capture 4242 off'\n"
		"  asyncscope report /var/lib/asyncscope/capture-4242-0000.asr\n"
		"  sudo systemctl enable --now asyncscope   (tools/asyncscope.service)\n");
}

enum { OPT_PRINT_CONFIG = 7000, OPT_READY_FILE, OPT_KEEP_CAPS, OPT_CTL };

int do_daemon(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"listen", required_argument, NULL, 'l'},
		{"mode", required_argument, NULL, 'm'},
		{"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
		{"ready-file", required_argument, NULL, OPT_READY_FILE},
		{"keep-caps", no_argument, NULL, OPT_KEEP_CAPS},
		{"ctl", required_argument, NULL, OPT_CTL},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct daemon_opts o = {0};
	bool print_config = false;
	const char *ctl = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:l:m:h", longopts, NULL)) != -1) {
		enum daemon_mode mode;

		switch (opt) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'l':
			if (daemon_config_parse_listen(optarg, NULL)) {
				elog("--listen %s: expected ADDR:PORT, e.g. 127.0.0.1:9464",
				     optarg);
				return EXIT_USAGE;
			}
			o.listen = optarg;
			break;
		case 'm':
			if (daemon_config_parse_mode(optarg, &mode)) {
				elog("--mode %s: expected sampled or exact", optarg);
				return EXIT_USAGE;
			}
			o.mode = optarg;
			break;
		case OPT_PRINT_CONFIG:
			print_config = true;
			break;
		case OPT_READY_FILE:
			o.ready_file = optarg;
			break;
		case OPT_KEEP_CAPS:
			o.keep_caps = true;
			break;
		case OPT_CTL:
			ctl = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		elog("unexpected argument '%s' (see asyncscope daemon --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (ctl)
		return exit_status_of(daemon_control(o.config_path, ctl));
	if (print_config) {
		struct daemon_config c;

		if (daemon_read_config(o.config_path, &c))
			return EXIT_USAGE;
		if (o.listen)
			snprintf(c.listen, sizeof(c.listen), "%s", o.listen);
		if (o.mode)
			daemon_config_parse_mode(o.mode, &c.mode);
		daemon_config_print(&c, stdout);
		daemon_config_free(&c);
		return EXIT_OK;
	}
	return exit_status_of(daemon_run(&o));
}
