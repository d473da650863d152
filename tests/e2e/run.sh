#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs the end-to-end tests (tests/e2e/[0-9]*.sh), or those whose names
# contain one of the arguments. Prints one line per test and a total.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
pass=0 failed=0 skipped=0 failed_names=""
for t in "$dir"/[0-9]*.sh; do
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		match=0
		for want in "$@"; do case "$name" in *"$want"*) match=1 ;; esac; done
		[ "$match" = 1 ] || continue
	fi
	echo "e2e: $name"
	start=$(date +%s)
	timeout -k 10 900 sh "$t"
	rc=$?
	took=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); echo "e2e: $name PASS (${took}s)" ;;
	77) skipped=$((skipped + 1)); echo "e2e: $name SKIP" ;;
	*) failed=$((failed + 1)); failed_names="$failed_names $name"; echo "e2e: $name FAIL (rc $rc, ${took}s)" ;;
	esac
done
echo "e2e: $pass passed, $failed failed, $skipped skipped"
[ -n "$failed_names" ] && echo "e2e: failed:$failed_names"
[ "$failed" -eq 0 ] || exit 1
if [ "$skipped" -gt 0 ] && [ "${CI:-}" = true ]; then
	echo "e2e: skips are failures under CI=true"
	exit 1
fi
exit 0
