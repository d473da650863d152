#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Prints a directory holding node_modules/playwright-core, installing it from
# the npm registry into the cache on first use. The HTML report test drives
# the machine's Chromium (/usr/bin/chromium, Debian package "chromium") with
# it, so only the driver library is installed: no browser is downloaded
# (playwright-core, unlike "playwright", has no install script that fetches one).
#
#   ASYNCSCOPE_PLAYWRIGHT=$(tools/fetch-playwright.sh)
#   node tests/e2e/html_check.js report.html shot.png
set -eu

# Pinned so that a test run does not change behaviour when a new release
# appears; any 1.x that can drive the installed Chromium over CDP will do.
version=1.65.1
cache="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/asyncscope"
dir="$cache/playwright"

installed() {
	[ -f "$dir/node_modules/playwright-core/package.json" ] &&
		[ "$(node -p 'require(process.argv[1]).version' \
			"$dir/node_modules/playwright-core/package.json" 2>/dev/null)" = "$version" ]
}

if ! installed; then
	mkdir -p "$cache"
	# install into a scratch directory and move it into place at the end, so
	# an interrupted install never leaves a half-filled cache that looks done
	tmp=$(mktemp -d "$cache/.playwright.XXXXXX")
	echo "fetch-playwright: installing playwright-core@$version into $dir" >&2
	# --prefix keeps npm from walking up to some unrelated package.json;
	# no audit/fund/scripts: nothing needs to run or phone home at install
	if ! (cd "$tmp" && echo '{"private":true}' > package.json &&
		npm install --prefix "$tmp" --no-audit --no-fund --ignore-scripts \
			--no-save --loglevel=error "playwright-core@$version" >/dev/null 2>&1 &&
		[ -f "$tmp/node_modules/playwright-core/package.json" ]); then
		rm -rf "$tmp"
		echo "fetch-playwright: could not install playwright-core@$version from the npm registry" >&2
		exit 1
	fi
	rm -rf "$dir"
	mv "$tmp" "$dir"
fi
echo "$dir"
