#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Debian package (make deb), as an operator uses it: lintian finds no
# error and no warning; dpkg -i installs it; `asyncscope --version` and
# `man asyncscope` (and a command's page) work; the daemon started with its
# unit file's own ExecStart line serves /metrics with a watched node
# process in it and stops on SIGTERM leaving no probe; dpkg -r removes it
# all but the conffile, and --purge that too.
. "$(dirname "$0")/lib.sh"
require_bpf

if dpkg-query -W -f='${Status}' asyncscope 2>/dev/null | grep -q "ok installed"; then
	fail "an asyncscope package is already installed on this machine: the test would replace it"
	finish
fi
make -C "$TOP" --no-print-directory -s deb > "$TMP/make.out" 2>&1 ||
	{ fail "make deb: $(tail -n 3 "$TMP/make.out")"; finish; }
deb=$(ls "$TOP"/.output/deb/asyncscope_*_amd64.deb)
say "package: $(basename "$deb"), Depends: $(dpkg-deb -f "$deb" Depends)"
lintian --allow-root --no-tag-display-limit "$deb" > "$TMP/lintian.txt" 2>&1
check "lintian: no error, no warning ($(grep -c '^[EW]:' "$TMP/lintian.txt") found) $(grep '^[EW]:' "$TMP/lintian.txt" | head -3)" \
	sh -c '! grep -q "^[EW]:" "$1"' _ "$TMP/lintian.txt"
check "Depends are the libraries the binary links dynamically" sh -c '
	d=$(dpkg-deb -f "$2" Depends)
	for p in libc6 libelf1 zlib1g; do echo "$d" | grep -q "$p (>= " || exit 1; done
	[ "$(echo "$d" | tr "," "\n" | wc -l)" -eq "$(ldd "$1" | grep -c "=> /")" ]' _ "$ASYNCSCOPE" "$deb"

dpkg -i "$deb" > "$TMP/dpkg.out" 2>&1
check "dpkg -i installs it ($(tail -n 1 "$TMP/dpkg.out"))" [ $? -eq 0 ]
check "asyncscope --version from /usr/sbin" sh -c '/usr/sbin/asyncscope --version | grep -q "^asyncscope [0-9]"'
check "man asyncscope" sh -c 'MANPAGER=cat man asyncscope 2>/dev/null | grep -Eq "asyncscope +- +observe Node.js"'
check "man asyncscope-trace lists its options and the exit status" \
	sh -c 'p=$(MANPAGER=cat man asyncscope-trace 2>/dev/null); echo "$p" | grep -q -- "--layers" && echo "$p" | grep -q "EXIT STATUS"'
check "the conffile and the unit are installed, the unit not enabled" sh -c '
	grep -qx /etc/asyncscope/asyncscope.conf /var/lib/dpkg/info/asyncscope.conffiles &&
	[ -f /lib/systemd/system/asyncscope.service ] && [ ! -e /etc/systemd/system/multi-user.target.wants/asyncscope.service ]'
check "bash completion completes a command's options" bash -c '
	. /usr/share/bash-completion/bash_completion; . /usr/share/bash-completion/completions/asyncscope
	COMP_WORDS=(asyncscope trace --lay); COMP_CWORD=2; COMP_LINE="asyncscope trace --lay"; COMP_POINT=${#COMP_LINE}
	_asyncscope asyncscope --lay trace; [ "${COMPREPLY[*]}" = --layers ]'

# the unit's ExecStart, as systemd would run it (no systemd in this VM), on a test port
execstart=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/asyncscope.service)
say "ExecStart: $execstart"
port=$((20000 + $$ % 20000))
node -e 'setInterval(() => require("fs").stat("/", () => {}), 10)' &
target=$!
BG_PIDS="$BG_PIDS $target"
# shellcheck disable=SC2086
$execstart --listen "127.0.0.1:$port" --mode exact --ready-file "$TMP/ready" 2> "$TMP/daemon.err" &
daemon=$!
BG_PIDS="$BG_PIDS $daemon"
wait_for "$TMP/ready" 15 || fail "the packaged daemon did not start: $(head -c 300 "$TMP/daemon.err")"
fetch_metrics() {
	node -e 'require("http").get(process.argv[1], (r) => { let b = ""; r.on("data", (d) => b += d);
	  r.on("end", () => { process.stdout.write(b); }); }).on("error", () => process.exit(1))' \
		"http://127.0.0.1:$port/metrics" > "$TMP/metrics.txt"
}
has_target() { fetch_metrics && grep -q "asyncscope_events_total{.*type=\"FSREQCALLBACK\"" "$TMP/metrics.txt"; }
check "the packaged daemon serves /metrics, the node process counted" eventually 15 has_target
kill -TERM "$daemon"
check "SIGTERM stops it" eventually 5 sh -c '! kill -0 "$1" 2>/dev/null' _ "$daemon"
wait "$daemon" 2>/dev/null
kill "$target"
assert_no_probes_left "the packaged daemon"

dpkg -r asyncscope > "$TMP/dpkg-r.out" 2>&1
check "dpkg -r removes it, the conffile stays" sh -c '[ ! -e /usr/sbin/asyncscope ] &&
	[ ! -e /usr/share/man/man8/asyncscope.8.gz ] && [ -f /etc/asyncscope/asyncscope.conf ]'
dpkg --purge asyncscope > "$TMP/dpkg-p.out" 2>&1
check "dpkg --purge removes the conffile too, nothing of the package is left" sh -c '
	[ ! -e /etc/asyncscope/asyncscope.conf ] && ! dpkg-query -W asyncscope >/dev/null 2>&1'
finish
