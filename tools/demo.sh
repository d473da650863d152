#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# sudo make demo: trace the bundled demo service from its first instruction,
# show a few events of the stream, then the trigger tree built from it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${TMPDIR:-/tmp}/asyncscope-demo.jsonl
node=$(command -v node || true)
[ -n "$node" ] || { echo "demo: no node on PATH" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: attaching probes needs root: sudo make demo" >&2
	exit 1
fi
echo "\$ sudo ./asyncscope trace -o $out -- node tools/demo/app.js"
"$top/asyncscope" trace -o "$out" -- "$node" "$top/tools/demo/app.js"
echo
echo "\$ head -n 4 $out"
head -n 4 "$out"
echo "..."
tail -n 1 "$out"
echo
echo "\$ ./asyncscope tree --input $out"
"$top/asyncscope" tree --input "$out"
