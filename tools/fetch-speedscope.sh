#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Prints a directory holding speedscope's built web app (index.html and its
# assets), unpacked from the npm package "speedscope" into the cache on first
# use. The timeline test loads asyncscope's Chrome/Perfetto trace into it, a
# real consumer of the Trace Event Format, in Debian's Chromium.
#
#   ASYNCSCOPE_SPEEDSCOPE=$(tools/fetch-speedscope.sh)
set -eu
# pinned, so that a new release does not change a test run
version=1.25.0
cache="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/asyncscope"
dir="$cache/speedscope-$version"
if [ ! -f "$dir/index.html" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.speedscope.XXXXXX")
	echo "fetch-speedscope: fetching speedscope@$version into $dir" >&2
	if ! (cd "$tmp" && npm pack --silent "speedscope@$version" >/dev/null 2>&1 &&
		tar xzf "speedscope-$version.tgz" && [ -f package/dist/release/index.html ]); then
		rm -rf "$tmp"
		echo "fetch-speedscope: could not fetch speedscope@$version from the npm registry" >&2
		exit 1
	fi
	rm -rf "$dir"
	mv "$tmp/package/dist/release" "$dir"
	rm -rf "$tmp"
fi
echo "$dir"
