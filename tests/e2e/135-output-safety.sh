#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Output files in a sticky world-writable directory, whatever
# fs.protected_symlinks says: a link user nobody planted at the -o name of
# trace, record, ci run, report and timeline is refused with one line and
# exit 1, the file behind it unchanged, the command never started and no
# probe left; so is a file nobody planted there, and a second name of a
# root file. A new file, one's own file and /dev/null are written, and a
# write error (/dev/full) is said in one line.
. "$(dirname "$0")/lib.sh"
require_bpf
id nobody > /dev/null 2>&1 || skip_or_fail "no user 'nobody' to plant files as"
command -v runuser > /dev/null || skip_or_fail "no runuser to plant files as nobody"

node=$(node_bin 22) || { fail "node 22 unavailable"; finish; }
capture="$TOP/tests/golden/node22-fidelity.asr"
sticky="$TMP/sticky"
mkdir "$sticky" && chmod 1777 "$sticky"
victim="$TMP/victim"
echo "the victim's own bytes" > "$victim"
cp "$victim" "$TMP/victim.orig"
as_nobody() { runuser -u nobody -- "$@"; }

# refused CASE WHY-PATTERN asyncscope ARGS...: exit 1, one stderr line
# matching WHY-PATTERN, the victim and the planted name as they were, the
# traced command (which touches $TMP/ran) never run, no probe left
refused() {
	case_=$1 pattern=$2
	shift 2
	rm -f "$TMP/ran"
	before=$(ls -l "$sticky" | sort)
	timeout -k 5 60 "$@" > "$TMP/out" 2> "$TMP/err"
	rc=$?
	check "$case_: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "$case_: one line on stderr ($(head -c 200 "$TMP/err"))" \
		sh -c '[ "$(wc -l < "$1")" -eq 1 ] && grep -q -- "$2" "$1"' _ "$TMP/err" "$pattern"
	check "$case_: victim unchanged" cmp -s "$victim" "$TMP/victim.orig"
	check "$case_: planted names as they were" [ "$(ls -l "$sticky" | sort)" = "$before" ]
	check "$case_: nothing on stdout" [ ! -s "$TMP/out" ]
	check "$case_: the command was never started" [ ! -e "$TMP/ran" ]
	assert_no_probes_left "$case_"
}
run_js="require('fs').writeFileSync('$TMP/ran', '')"

as_nobody ln -s "$victim" "$sticky/ev.jsonl"
link="refusing to write through symbolic link $sticky/ev.jsonl"
refused "trace -o link" "$link" "$ASYNCSCOPE" trace -q -o "$sticky/ev.jsonl" -- "$node" -e "$run_js"
refused "trace --record link" "$link" \
	"$ASYNCSCOPE" trace -q -o /dev/null --record "$sticky/ev.jsonl" -- "$node" -e "$run_js"
refused "record -o link" "$link" "$ASYNCSCOPE" record -q -o "$sticky/ev.jsonl" -- "$node" -e "$run_js"
refused "ci run -o link" "$link" "$ASYNCSCOPE" ci run -q -o "$sticky/ev.jsonl" -- "$node" -e "$run_js"
refused "report -o link" "$link" "$ASYNCSCOPE" report -q "$capture" -o "$sticky/ev.jsonl"
refused "timeline -o link" "$link" "$ASYNCSCOPE" timeline -q --input "$capture" -o "$sticky/ev.jsonl"
refused "tree -o link" "$link" "$ASYNCSCOPE" tree -q --input "$capture" -o "$sticky/ev.jsonl"

# a regular file nobody planted, with what nobody wants to read back
as_nobody sh -c 'echo planted > "$1"' _ "$sticky/planted.jsonl"
refused "trace -o nobody's file" "refusing to write $sticky/planted.jsonl: owned by uid" \
	"$ASYNCSCOPE" trace -q -o "$sticky/planted.jsonl" -- "$node" -e "$run_js"
check "nobody's file not truncated" grep -qx planted "$sticky/planted.jsonl"
# a second name of a root file (root made it: nobody may not, here)
ln "$victim" "$sticky/hard.jsonl"
refused "report -o hard link" "refusing to write $sticky/hard.jsonl: it has 2 hard links" \
	"$ASYNCSCOPE" report -q "$capture" -o "$sticky/hard.jsonl"

# what stays legitimate
# legit CASE asyncscope ARGS...: exit 0, nothing on stderr
legit() {
	case_=$1
	shift
	timeout -k 5 60 "$@" > "$TMP/out" 2> "$TMP/err"
	rc=$?
	check "$case_: exit 0 (got $rc), nothing said ($(head -c 200 "$TMP/err"))" \
		sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ]' _ "$rc" "$TMP/err"
}
legit "report -o a new file in the sticky dir" "$ASYNCSCOPE" report -q "$capture" -o "$sticky/own.txt"
check "report -o a new file: written" [ -s "$sticky/own.txt" ]
legit "report -o one's own existing file" "$ASYNCSCOPE" report -q "$capture" -o "$sticky/own.txt"
legit "report -o /dev/null" "$ASYNCSCOPE" report -q "$capture" -o /dev/null
legit "report -o -" "$ASYNCSCOPE" report -q "$capture" --view stats -o -
check "report -o -: on stdout" [ -s "$TMP/out" ]
legit "trace to stdout" "$ASYNCSCOPE" trace -q -- "$node" -e "$run_js"
check "trace to stdout: the events, then the summary line" \
	sh -c '[ -e "$1" ] && tail -n 1 "$2" | grep -q "\"summary\""' _ "$TMP/ran" "$TMP/out"
assert_no_probes_left "trace to stdout"

# a write error is said, once
"$ASYNCSCOPE" report -q "$capture" --format html -o /dev/full 2> "$TMP/err"
rc=$?
check "report --format html -o /dev/full: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "report --format html -o /dev/full: one line ($(head -c 200 "$TMP/err"))" \
	sh -c '[ "$(wc -l < "$1")" -eq 1 ] &&
		grep -qx "asyncscope: writing /dev/full: No space left on device" "$1"' _ "$TMP/err"
"$ASYNCSCOPE" report -q "$capture" --format jsonl > /dev/full 2> "$TMP/err"
rc=$?
check "report to a full stdout: exit 1, one line" \
	sh -c '[ "$1" -eq 1 ] && [ "$(wc -l < "$2")" -eq 1 ] &&
		grep -q "writing stdout: No space left on device" "$2"' _ "$rc" "$TMP/err"
finish
