#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Golden replays of recorded captures (no root needed): every
# tests/golden/NAME.asr goes through `asyncscope report` in each view and
# format below, under LC_ALL=C TZ=UTC, and must give the checked-in
# tests/golden/expected/NAME.VIEW.FORMAT byte for byte. The captures were
# recorded from real runs (README.md here says how); the expected files were
# made by this script with --update and read by hand before being checked in.
#   tests/golden/run.sh [--update]
set -u
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../.." && pwd)
asyncscope="$top/asyncscope"
update=0
[ "${1:-}" = --update ] && update=1
export LC_ALL=C TZ=UTC
mkdir -p "$dir/expected"
views="stats.text stats.json top.text top.json leaks.text leaks.json tree.text tree.json
timeline.text summary.text tree.folded"
pass=0 failed=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for capture in "$dir"/*.asr; do
	name=$(basename "$capture" .asr)
	for vf in $views; do
		view=${vf%.*} format=${vf#*.}
		want="$dir/expected/$name.$vf"
		if ! "$asyncscope" report -q "$capture" --view "$view" --format "$format" \
			--limit 0 > "$tmp" 2>&1; then
			echo "golden: $name $vf: report failed: $(head -n 1 "$tmp")"
			failed=$((failed + 1))
			continue
		fi
		if [ "$update" = 1 ]; then
			cp "$tmp" "$want"
		elif ! cmp -s "$tmp" "$want"; then
			echo "golden: $name $vf differs from expected/$name.$vf:"
			diff "$want" "$tmp" | head -n 10
			failed=$((failed + 1))
			continue
		fi
		pass=$((pass + 1))
	done
done
echo "golden: $pass identical, $failed differ"
[ "$failed" -eq 0 ]
