#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A real Prometheus (Debian's) scrapes the daemon while it watches a node
# service in a cgroup named like a systemd unit, which restarts once. With
# the default metrics_pid_label = off: the series carry service and exe, no
# pid, and no counter goes back across the restart (Prometheus' own
# resets() says so). Every recording and alerting rule in
# tools/operator/asyncscope-rules.yml evaluates with health ok, every
# recording rule and every panel query of the Grafana dashboard returns
# data, through Prometheus' HTTP API.
. "$(dirname "$0")/lib.sh"
require_bpf
command -v prometheus > /dev/null || { fail "prometheus not installed (make deps installs it)"; finish; }

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
SERVICE="asyncscope-e2e-$$.service"
CG="$CG2/$SERVICE"
mkdir "$CG" || { fail "cannot make a cgroup v2 group in $CG2"; finish; }
cleanup_cg() { for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p"; done; sleep 0.2; rmdir "$CG"; }
trap 'cleanup_cg; cleanup' EXIT

PORT=$((21000 + $$ % 1000))
PPORT=$((PORT + 1000))
printf 'state_dir = %s\nmode = exact\nexit_linger = 1s\n' "$TMP/state" > "$TMP/daemon.conf"
"$ASYNCSCOPE" daemon --config "$TMP/daemon.conf" --listen "127.0.0.1:$PORT" --ready-file "$TMP/ready" \
	2> "$TMP/daemon.err" &
BG_PIDS="$BG_PIDS $!"
wait_for "$TMP/ready" 30 || { fail "daemon did not start: $(head -c 300 "$TMP/daemon.err")"; finish; }

# the service: an HTTP server with a client, in the cgroup (a shell moves
# itself in, then becomes node)
start_service() {
	sh -c "echo \$\$ > '$CG/cgroup.procs' && exec node -e '
	  const http = require(\"http\");
	  const s = http.createServer((q, r) => require(\"fs\").stat(\"/\", () => r.end(\"ok\"))).listen(0, \"127.0.0.1\", () => {
	    setInterval(() => http.get({ port: s.address().port, host: \"127.0.0.1\" }, (r) => r.resume()), 20);
	  });'" > /dev/null 2>&1 &
	SERVICE_PID=$!
	BG_PIDS="$BG_PIDS $!"
}
start_service
first=$SERVICE_PID

mkdir -p "$TMP/prom"
cat > "$TMP/prom/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$TOP/tools/operator/asyncscope-rules.yml"]
scrape_configs:
  - job_name: asyncscope
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
YML
prometheus --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/prom/data" \
	--web.listen-address="127.0.0.1:$PPORT" > "$TMP/prom.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"
api() { # PATH-AND-QUERY: the JSON answer
	node -e 'require("http").get(process.argv[1], (r) => { let b = ""; r.on("data", (d) => b += d);
	  r.on("end", () => process.stdout.write(b)); }).on("error", (e) => { console.error(e.message); process.exit(1); })' \
		"http://127.0.0.1:$PPORT$1"
}
query() { api "/api/v1/query?query=$(node -p 'encodeURIComponent(process.argv[1])' "$1")"; }
has_data() { query "$1" | node -e 'let b = ""; process.stdin.on("data", (d) => b += d).on("end", () => {
	const j = JSON.parse(b); process.exit(j.status === "success" && j.data.result.length ? 0 : 1); })'; }
value() { query "$1" | node -e 'let b = ""; process.stdin.on("data", (d) => b += d).on("end", () => {
	const r = JSON.parse(b).data.result; console.log(r.length ? r[0].value[1] : "none"); })'; }
check "Prometheus scrapes the daemon (up == 1)" eventually 30 has_data 'up{job="asyncscope"} == 1'
check "the service's series: service label from its cgroup" \
	eventually 20 has_data "asyncscope_events_total{service=\"$SERVICE\",exe=~\".*node\",type=\"HTTPINCOMINGMESSAGE\"}"
no_pid_label() { ! has_data '{__name__=~"asyncscope_.*", pid!=""}'; }
check "no pid label by default" no_pid_label
sleep 4

# the restart: the first process ends (its series retire after exit_linger), another starts
kill "$first"
start_service
second=$SERVICE_PID
say "service restarted: pid $first, then $second"
check "the restart is counted as an exit" eventually 20 has_data \
	'asyncscope_processes_exited_total{exe=~".*node"} >= 1'
sleep 8
resets=$(value "sum(resets(asyncscope_events_total{service=\"$SERVICE\"}[5m]))")
check "no counter went back across the restart (resets() = $resets)" [ "$resets" = 0 ]
inits() { value "sum(asyncscope_events_total{service=\"$SERVICE\",event=\"init\"})"; }
before=$(inits)
grows() { [ "$(inits)" != "$before" ]; }
check "the counts went on growing after the restart ($before, then $(sleep 3; inits))" eventually 10 grows

# the rules: all evaluated without error; each recording rule has data
api /api/v1/rules > "$TMP/rules.json"
check "every rule evaluated, health ok ($(json_eval "$TMP/rules.json" 'd.data.groups.flatMap(g => g.rules).map(r => r.name + ":" + r.health).join(" ")'))" \
	[ "$(json_eval "$TMP/rules.json" 'd.data.groups.flatMap(g => g.rules).every(r => r.health === "ok") && d.data.groups.flatMap(g => g.rules).length')" = 9 ]
for rule in $(json_eval "$TMP/rules.json" 'd.data.groups.flatMap(g => g.rules).filter(r => r.type === "recording").map(r => r.name).join(" ")'); do
	check "recording rule $rule has data" eventually 10 has_data "$rule"
done

# every dashboard panel's query returns data ($service: all, $__rate_interval: 1m)
node -e 'const d = require(process.argv[1]);
  for (const p of d.panels) for (const t of p.targets)
    console.log(t.expr.replace(/\$service/g, ".*").replace(/\$__rate_interval/g, "1m").replace(/\n/g, " "));' \
	"$TOP/tools/operator/asyncscope-dashboard.json" > "$TMP/panels.txt"
say "$(wc -l < "$TMP/panels.txt") panel queries"
while IFS= read -r expr; do
	check "panel query has data: $expr" eventually 10 has_data "$expr"
done < "$TMP/panels.txt"
finish
