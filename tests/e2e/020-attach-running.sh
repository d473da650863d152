#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Attach to an already running service (-p), on every node version: events
# for work done after attach, the listening socket created before attach
# shown as a placeholder whose id is the server's own getAsyncId(), a clean
# detach on SIGINT with a summary line, no probes left, and the service
# still answering afterwards. `tree -p --duration` works live too.
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	hs="$TMP/hs-$major.json"
	"$node" "$WORKLOADS/server.js" "$hs" &
	srv=$!
	BG_PIDS="$BG_PIDS $srv"
	wait_for "$hs" 10 || { fail "node $major: server did not start"; continue; }
	port=$(json_eval "$hs" d.port)
	server_id=$(json_eval "$hs" d.server_async_id)

	"$ASYNCSCOPE" trace -p "$srv" -o "$TMP/obs-$major.jsonl" 2>"$TMP/err-$major" &
	tr=$!
	wait_attached "$TMP/err-$major"
	node "$WORKLOADS/client.js" "$port" 10
	kill -INT "$tr"
	wait "$tr"
	rc=$?
	check "node $major: trace -p exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
	check "node $major: summary line written" grep -q '"event":"summary"' "$TMP/obs-$major.jsonl"
	obs="$TMP/obs-$major.jsonl"
	res=$(node -e '
	  const fs = require("fs");
	  const ev = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	  const sum = ev.pop();
	  const inits = ev.filter((e) => e.event === "init");
	  const tcp = inits.filter((e) => e.type === "TCPWRAP");
	  const fsr = inits.filter((e) => e.type === "FSREQCALLBACK");
	  const parsers = inits.filter((e) => e.type === "HTTPINCOMINGMESSAGE");
	  console.log([tcp.length, tcp.length ? tcp[0].trigger : -1, fsr.length, parsers.length,
	    ev.filter((e) => e.event === "before").length, sum.lost].join(" "));' "$obs")
	set -- $res
	say "node $major: TCPWRAP $1 (trigger $2, server id $server_id), FSREQCALLBACK $3, parsers $4, befores $5, lost $6"
	check "node $major: one accepted connection" [ "$1" -eq 1 ]
	check "node $major: its trigger is the pre-attach server's async id" [ "$2" = "$server_id" ]
	check "node $major: one fs.stat per request" [ "$3" -eq 10 ]
	check "node $major: no events lost" [ "$6" -eq 0 ]
	"$ASYNCSCOPE" tree -q --format json -o "$TMP/tree-$major.json" --input "$obs"
	ph=$(json_eval "$TMP/tree-$major.json" "d.nodes.filter(n => n.kind === 'placeholder' && n.id === $server_id).length")
	check "node $major: server appears as a placeholder in the tree" [ "$ph" = 1 ]
	assert_no_probes_left "trace -p (node $major)"
	check "node $major: target still running after detach" kill -0 "$srv"
	check "node $major: target still serves requests" node "$WORKLOADS/client.js" "$port" 3

	# live tree for a fixed duration, while requests arrive
	clients_until "$port" "$TMP/tree-$major.done" &
	cl=$!
	"$ASYNCSCOPE" tree -q -p "$srv" --duration 2s > "$TMP/tree-$major.txt"
	rc=$?
	touch "$TMP/tree-$major.done"
	wait "$cl"
	check "node $major: tree -p --duration exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "node $major: live tree shows the connection under the placeholder server" \
		grep -q "? $server_id (not seen created" "$TMP/tree-$major.txt"
	check "node $major: live tree shows the requests' fs work" grep -q "FSREQCALLBACK" "$TMP/tree-$major.txt"
	kill -TERM "$srv"
	wait "$srv" 2>/dev/null
done
finish
