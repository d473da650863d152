#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Microtask counts, on every node version: a workload runs checkpoints of a
# known number of microtasks (queueMicrotask, promise reactions, chained
# thens, awaits, microtasks queued by microtasks; workloads/microtasks.js).
# Each checkpoint's "microtasks" event must carry exactly its count, with the
# JS layer on and off; report's stats and the timeline must show the same
# runs from the capture of that run; and a daemon (exact mode) must count
# exactly the plan's total in asyncscope_microtasks_total between a scrape
# before the workload starts and one after it is done.
. "$(dirname "$0")/lib.sh"
require_bpf
command -v curl > /dev/null || skip_or_fail "curl not installed"

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	for js in default off; do
		obs="$TMP/obs-$major-$js.jsonl"
		"$ASYNCSCOPE" trace -q --js "$js" -o "$obs" --record "$TMP/cap-$major-$js.asr" -- \
			"$node" "$WORKLOADS/microtasks.js" now "$TMP/truth-$major"
		check "node $major, --js $js: traced workload exits 0" [ $? -eq 0 ]
		if indented node "$E2E_DIR/microtasks_check.js" "$obs" "$TMP/truth-$major"; then
			ok "node $major, --js $js: every checkpoint's microtasks counted exactly"
		else
			fail "node $major, --js $js: microtask counts differ from the plan"
		fi
	done
	cap="$TMP/cap-$major-default.asr"
	obs="$TMP/obs-$major-default.jsonl"
	"$ASYNCSCOPE" report "$cap" --view stats --format json > "$TMP/stats-$major.json"
	want=$(node -e 'let t=0,r=0;for(const l of require("fs").readFileSync(process.argv[1],"utf8").split("\n")){if(!l)continue;const e=JSON.parse(l);if(e.event==="microtasks"){t+=e.count;r++}}console.log(t+" "+r)' "$obs")
	got=$(json_eval "$TMP/stats-$major.json" 'd.microtasks.total+" "+d.microtasks.runs')
	check "node $major: report stats total the capture's microtasks and runs ($got, JSONL $want)" [ "$got" = "$want" ]
	"$ASYNCSCOPE" report "$cap" --view timeline > "$TMP/timeline-$major.txt"
	check "node $major: the timeline shows the 100-microtask run" grep -q 'microtasks (100)' "$TMP/timeline-$major.txt"
	assert_no_probes_left "node $major"
done

# --- the daemon: asyncscope_microtasks_total per process ---
PORT=$((19000 + $$ % 1000))
CONF="$TMP/daemon.conf"
mkdir -p "$TMP/state"
printf 'state_dir = %s\nmode = exact\nexit_linger = 0\nmetrics_pid_label = on\n' "$TMP/state" > "$CONF"
daemon_start "$CONF" "$PORT" "$TMP/daemon.err" ||
	{ fail "daemon did not start: $(cat "$TMP/daemon.err")"; finish; }
microtasks_of() { # file pid
	awk -v p="pid=\"$2\"" '$1 ~ /^asyncscope_microtasks_total\{/ && index($1, p) { print $2 }' "$1"
}
for major in $(node_majors); do
	node=$(node_bin "$major") || continue
	"$node" "$WORKLOADS/microtasks.js" signal "$TMP/dtruth-$major" < /dev/null > "$TMP/app-$major" &
	app=$!
	BG_PIDS="$BG_PIDS $app"
	wait_for "$TMP/app-$major" 20 || { fail "node $major: workload did not start"; continue; }
	check "node $major: daemon watches the process" \
		eventually 20 grep -q "watching process $app " "$TMP/daemon.err"
	curl -sf --max-time 10 -o "$TMP/before-$major.prom" "http://127.0.0.1:$PORT/metrics"
	kill -USR2 "$app"
	eventually 20 grep -q '^done' "$TMP/app-$major" || fail "node $major: workload did not finish"
	curl -sf --max-time 10 -o "$TMP/after-$major.prom" "http://127.0.0.1:$PORT/metrics"
	# no series before the process's first microtask run: none counted yet
	before=$(microtasks_of "$TMP/before-$major.prom" "$app")
	before=${before:-0}
	after=$(microtasks_of "$TMP/after-$major.prom" "$app")
	want=$(json_eval "$TMP/dtruth-$major" 'd.counts.reduce((a,b)=>a+b,0)')
	check "node $major: daemon counted the plan's $want microtasks ($before -> $after)" \
		[ $((${after:-0} - before)) -eq "$want" ]
	kill "$app"
	wait "$app" 2> /dev/null
done
daemon_stop
finish
