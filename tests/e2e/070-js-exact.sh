#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The JS layer in exact mode (--js exact: hardware watchpoints on each node
# thread's async_id_fields), on every node version, against async_hooks:
# >= 99% of JS inits recovered with id and trigger, >= 99% of JS before and
# after, visible resources typed right >= 95%. Results: out/js-exact-<major>.json.
# That needs hardware watchpoints that fire: the tests' own check
# (hw_watchpoints.c) says whether they do here. Where they do, full recall
# is asserted, and the refusal path too, by making asyncscope's self-check
# watch a decoy word (ASYNCSCOPE_TEST_WATCHPOINTS=dead); where they do not,
# the refusal is asserted on every version and recall is never claimed.
. "$(dirname "$0")/lib.sh"
require_bpf

wp=$(watchpoints_case)
say "case: hardware watchpoints $wp on this host ($(watchpoints_source))"
[ "$wp" = fire ] || [ "$wp" = dead ] || { fail "cannot tell whether watchpoints fire ($wp)"; finish; }
"$ASYNCSCOPE" doctor --binary "$(node_bin "$(node_majors | head -n 1)")" > "$TMP/doctor.txt" 2>&1
if [ "$wp" = fire ]; then
	check "doctor agrees: watchpoints fire" grep -q "^watchpoints fire on this machine" "$TMP/doctor.txt"
else
	check "doctor agrees: watchpoints unavailable" grep -q "^watchpoints UNAVAILABLE" "$TMP/doctor.txt"
fi

refused() { # major [VAR=value]: --js exact must refuse, attach nothing, write nothing
	what="node $1"
	node=$(node_bin "$1")
	shift
	rm -f "$TMP/refused.jsonl"
	env "$@" "$ASYNCSCOPE" trace -q --js exact -o "$TMP/refused.jsonl" -- \
		"$node" "$WORKLOADS/jsmix.js" > /dev/null 2> "$TMP/refused.err"
	assert_exact_refused "$what" "$TMP/refused.err" $?
	check "refused: no events written" [ ! -s "$TMP/refused.jsonl" ]
	assert_no_probes_left "the refusal"
}

if [ "$wp" = dead ]; then
	for major in $(node_majors); do
		refused "$major"
	done
	say "recall not measured: watchpoints never fire on this host"
	finish
fi
refused "$(node_majors | head -n 1)" ASYNCSCOPE_TEST_WATCHPOINTS=dead

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	gt="$TMP/gt-$major"
	obs="$TMP/obs-$major.jsonl"
	ASYNCSCOPE_GT="$gt" "$ASYNCSCOPE" trace -q --js exact -o "$obs" -- \
		"$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/jsmix.js" 2>"$TMP/err-$major"
	check "node $major: traced workload exits 0" [ $? -eq 0 ]
	check "node $major: every thread got its watchpoints" sh -c "! grep -q 'cannot watch' '$TMP/err-$major'"
	if indented node "$E2E_DIR/compare_js.js" "$obs" "$gt" --mode exact \
		--json "$OUT_DIR/js-exact-$major.json"; then
		ok "node $major: JS inits, befores and afters recovered exactly"
	else
		fail "node $major: exact-mode recovery below thresholds"
	fi
	check "node $major: summary counts what was written" node -e '
	  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	  const s = l.pop(); process.exit(s.events === l.length && s.init === l.filter(e => e.event === "init").length ? 0 : 1);' "$obs"
	check "node $major: every thread armed before it ran JS (summary)" node -e '
	  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
	  const s = JSON.parse(l.pop());
	  process.exit(s.js_unwatched_threads === 0 && s.js_ids_before_armed === 0 ? 0 : 1);' "$obs"
	assert_no_probes_left "node $major"
done
finish
