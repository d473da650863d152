#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# ci compare's inputs, offline (no root, no BPF): a --budget that is not a
# budget (a directory, a missing, empty, blank or binary file) is refused
# with exit 6 and one line, never read as "no budget", since that would
# turn the CI gate off; a budget of comments only passes, with a warning
# that the gate is open; a summary naming a metric twice is refused. And
# a JSONL capture cut mid-line, as a killed writer leaves it, is read up
# to the cut with one warning, while a bad line before the end is refused.
# Summaries come from `ci run --input` on a golden capture.
. "$(dirname "$0")/lib.sh"
[ -x "$ASYNCSCOPE" ] || skip_or_fail "asyncscope not built (run make)"

capture="$TOP/tests/golden/demo-node22.jsonl"
"$ASYNCSCOPE" ci run -q --input "$capture" -o "$TMP/base.json"
check "ci run --input: a summary of the golden capture" grep -q '"count.TCPWRAP"' "$TMP/base.json"
cp "$TMP/base.json" "$TMP/head.json"
compare() { "$ASYNCSCOPE" ci compare "$TMP/base.json" "$TMP/head.json" "$@"; }

# --budget PATH that is no budget: exit 6, one line
expect_err "--budget /etc" 6 "cannot read /etc: Is a directory" compare --budget /etc
expect_err "--budget of a missing file" 6 "cannot read $TMP/none: No such file" \
	compare --budget "$TMP/none"
: > "$TMP/empty"
expect_err "an empty budget" 6 "empty: a budget without rules" compare --budget "$TMP/empty"
printf '\n  \n\t\n' > "$TMP/blank"
expect_err "a blank budget" 6 "no rules, only blank lines" compare --budget "$TMP/blank"
printf '\000leaks: 0\n' > "$TMP/nul"
expect_err "a budget whose first byte is NUL" 6 "nul:1: binary data \(byte 0x00\)" \
	compare --budget "$TMP/nul"
expect_err "a binary file as budget" 6 "binary data" compare --budget "$ASYNCSCOPE"

# rules commented out on purpose: compared, but said loudly
printf '# leaks: 0\n# count.*: +0%%\n' > "$TMP/comments"
expect_err "a budget of comments only: exit 0, the gate is open" 0 \
	"comments has only comments, no rules: .*the CI gate is open" compare --budget "$TMP/comments"
check "... and the report does not claim no budget was given" \
	grep -q "^no budget checks: no rule of the budget matched" "$TMP/out"
printf 'leaks: 0\n' > "$TMP/budget"
compare --budget "$TMP/budget" > "$TMP/out" 2> "$TMP/err"
check "a budget with a rule: checked, exit $?, no warning" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^all 1 budget checks passed" "$2" && [ ! -s "$3" ]' _ \
	"$?" "$TMP/out" "$TMP/err"

# a metric named twice has no one value
sed 's/"callbacks": \([0-9]*\),/"callbacks": \1, "callbacks": 0,/' "$TMP/base.json" \
	> "$TMP/twice.json"
expect_err "a summary naming a metric twice" 6 "twice.json: offset [0-9]+: a metric or leak named twice" \
	"$ASYNCSCOPE" ci compare "$TMP/base.json" "$TMP/twice.json"

# a JSONL capture cut mid-line (inside the summary line or an event line)
for cut in 40 300; do
	size=$(($(wc -c < "$capture") - cut))
	head -c "$size" "$capture" > "$TMP/cut.jsonl"
	line=$(wc -l < "$TMP/cut.jsonl")
	expect_err "JSONL cut $cut bytes before its end: read up to line $((line + 1))" 0 \
		"cut.jsonl has no summary: the capture may be truncated: line $((line + 1)) cut short" \
		"$ASYNCSCOPE" ci run --input "$TMP/cut.jsonl" -o "$TMP/cut.json"
	expect_err "... and report reads it too" 0 "line $((line + 1)) cut short" \
		"$ASYNCSCOPE" report "$TMP/cut.jsonl" --view stats
done
"$ASYNCSCOPE" record --input "$TMP/cut.jsonl" -o "$TMP/cut.asr" 2> "$TMP/err"
check "every event before the cut line is read ($line): $(tail -n 1 "$TMP/err")" \
	grep -q "^asyncscope: $line events recorded" "$TMP/err"
# the same cut line, followed by a whole one: corrupt, not cut
{ cat "$TMP/cut.jsonl" && echo && tail -n 1 "$capture"; } > "$TMP/mid.jsonl"
expect_err "JSONL with a cut line before the end" 6 "mid.jsonl:$((line + 1)): " \
	"$ASYNCSCOPE" report "$TMP/mid.jsonl"
finish
