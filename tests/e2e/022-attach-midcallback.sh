#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Attaching with -p while a native callback runs: the callback's resource
# was opened before attach, so its id on the stack must not be taken for a
# JS resource (it used to come out as a JS TickObject init, then an
# unmatched after). A workload that is nearly always inside an fs or TCP
# callback (workloads/busy.js) runs with the in-process recorder as ground
# truth, and is attached to 5 times for 1 s, at random moments; no JS-layer
# init may name an id the recorder saw created as a native resource (pid,
# tid, id), while its timeouts must still be found.
. "$(dirname "$0")/lib.sh"
require_bpf

ATTACHES=5
for major in 20 22; do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	hs="$TMP/hs-$major"
	ASYNCSCOPE_GT="$TMP/gt-$major" "$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/busy.js" "$hs" &
	wl=$!
	BG_PIDS="$BG_PIDS $wl"
	wait_for "$hs" 10 || { fail "node $major: workload did not start"; continue; }
	caps=""
	i=1
	while [ $i -le $ATTACHES ]; do
		sleep "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')"
		obs="$TMP/obs-$major-$i.jsonl"
		"$ASYNCSCOPE" trace -q -p "$wl" -d 1s -o "$obs"
		rc=$?
		check "node $major: attach $i exits 0 (got $rc)" [ "$rc" -eq 0 ]
		caps="$caps $obs"
		i=$((i + 1))
	done
	kill -TERM "$wl"
	wait "$wl" 2>/dev/null
	# shellcheck disable=SC2086 # one argument per capture
	if indented node "$E2E_DIR/attach_truth.js" "$TMP/gt-$major" $caps; then
		ok "node $major: no JS init names a native resource in $ATTACHES attaches"
	else
		fail "node $major: JS inits of native resources (or no JS init right)"
	fi
	unmatched=$(cat $caps | grep -c '"unmatched":true')
	say "node $major: $unmatched of $ATTACHES attaches landed inside a callback (unmatched afters)"
	check "node $major: at least one attach landed inside a callback" [ "$unmatched" -gt 0 ]
	assert_no_probes_left "node $major attaches"
done
finish
