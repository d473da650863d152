#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Promise rejections, on every node version: workloads/rejections.js makes 3
# rejections that are never handled, 2 handled late and 4 handled in time
# (synchronously, in a microtask, a nextTick, a later microtask), each in an
# fs.stat callback. asyncscope must report exactly what Node itself reports
# ('unhandledRejection': 5, the late ones included; 'rejectionHandled': 2),
# each in the right context (rejections_check.js); report's stats must count
# them; a CI budget `rejections.unhandled: +0` must catch one more unhandled
# rejection; an exact-mode daemon must export the same counts in
# asyncscope_promise_rejections_total{kind}.
. "$(dirname "$0")/lib.sh"
require_bpf
command -v curl > /dev/null || skip_or_fail "curl not installed"
WL="$WORKLOADS/rejections.js"

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	obs="$TMP/obs-$major.jsonl"
	"$ASYNCSCOPE" trace -q -o "$obs" --record "$TMP/cap-$major.asr" -- "$node" "$WL" "$TMP/truth-$major"
	check "node $major: traced workload exits 0" [ $? -eq 0 ]
	if indented node "$E2E_DIR/rejections_check.js" "$obs" "$TMP/truth-$major"; then
		ok "node $major: every rejection Node reported, in its context, and nothing else"
	else
		fail "node $major: rejections differ from Node's own"
	fi
	"$ASYNCSCOPE" report "$TMP/cap-$major.asr" --view stats --format json > "$TMP/stats-$major.json"
	got=$(json_eval "$TMP/stats-$major.json" 'd.rejections.unhandled+" "+d.rejections.handled_late')
	want=$(json_eval "$TMP/truth-$major" 'd.unhandled.length+" "+d.handled_late.length')
	check "node $major: report stats count $got (node: $want)" [ "$got" = "$want" ]
	assert_no_probes_left "node $major"
done

# --- CI: a budget forbids new unhandled rejections ---
node=$(node_bin "$(node_majors | tail -n 1)")
printf 'rejections.unhandled: +0\nrejections.handled_late: +0\n' > "$TMP/budget.txt"
"$ASYNCSCOPE" ci run -q -o "$TMP/base.json" -- "$node" "$WL" "$TMP/ci-truth"
check "ci run (base) exits 0" [ $? -eq 0 ]
"$ASYNCSCOPE" ci run -q -o "$TMP/same.json" -- "$node" "$WL" "$TMP/ci-truth"
"$ASYNCSCOPE" ci compare "$TMP/base.json" "$TMP/same.json" --budget "$TMP/budget.txt" > "$TMP/same.txt"
check "same workload: within budget" [ $? -eq 0 ]
EXTRA_UNHANDLED=1 "$ASYNCSCOPE" ci run -q -o "$TMP/head.json" -- "$node" "$WL" "$TMP/ci-truth"
"$ASYNCSCOPE" ci compare "$TMP/base.json" "$TMP/head.json" --budget "$TMP/budget.txt" > "$TMP/head.txt"
rc=$?
sed 's/^/    /' "$TMP/head.txt"
check "one more unhandled rejection: over budget (exit $rc)" [ "$rc" -eq 1 ]
check "the failing rule is rejections.unhandled 5 -> 6" \
	grep -Eq 'rejections\.unhandled.* 5 .* 6 ' "$TMP/head.txt"
check "rejections.handled_late stays within budget" \
	sh -c '! grep -E "FAIL|over" "$1" | grep -q handled_late' _ "$TMP/head.txt"

# --- the daemon: asyncscope_promise_rejections_total{kind} per process ---
PORT=$((19000 + $$ % 1000))
CONF="$TMP/daemon.conf"
mkdir -p "$TMP/state"
printf 'state_dir = %s\nmode = exact\nexit_linger = 0\nmetrics_pid_label = on\n' "$TMP/state" > "$CONF"
daemon_start "$CONF" "$PORT" "$TMP/daemon.err" ||
	{ fail "daemon did not start: $(cat "$TMP/daemon.err")"; finish; }
rejections_of() { # file pid kind
	awk -v p="pid=\"$2\"" -v k="kind=\"$3\"" \
		'$1 ~ /^asyncscope_promise_rejections_total\{/ && index($1, p) && index($1, k) { print $2 }' "$1"
}
for major in $(node_majors); do
	node=$(node_bin "$major") || continue
	START_ON_SIGNAL=1 "$node" "$WL" "$TMP/dtruth-$major" < /dev/null > "$TMP/app-$major" &
	app=$!
	BG_PIDS="$BG_PIDS $app"
	wait_for "$TMP/app-$major" 20 || { fail "node $major: workload did not start"; continue; }
	check "node $major: daemon watches the process" \
		eventually 20 grep -q "watching process $app " "$TMP/daemon.err"
	kill -USR2 "$app"
	eventually 20 grep -q '^done' "$TMP/app-$major" || fail "node $major: workload did not finish"
	# every verdict came before "done": each with the callback after its own
	curl -sf --max-time 10 -o "$TMP/d-$major.prom" "http://127.0.0.1:$PORT/metrics"
	u=$(rejections_of "$TMP/d-$major.prom" "$app" unhandled)
	h=$(rejections_of "$TMP/d-$major.prom" "$app" handled_late)
	want=$(json_eval "$TMP/dtruth-$major" 'd.unhandled.length+" "+d.handled_late.length')
	check "node $major: daemon counted ${u:-none} unhandled, ${h:-none} handled late (node: $want)" \
		[ "${u:-x} ${h:-x}" = "$want" ]
	kill "$app"
	wait "$app" 2> /dev/null
done
daemon_stop
finish
