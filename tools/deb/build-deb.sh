#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Builds asyncscope_<version>_amd64.deb with dpkg-deb from the project's own
# files: the binary (libbpf linked in), the systemd unit (disabled until an
# operator enables it), the daemon's config as a conffile, man pages made
# from --help (gen-man.sh), bash completion, and the operator files
# (Prometheus rules, Grafana dashboard). Depends is what the binary links
# dynamically, as dpkg knows the packages that ship those libraries.
#
#   tools/deb/build-deb.sh ./asyncscope OUTDIR     -> OUTDIR/asyncscope_<v>_amd64.deb
set -eu
bin=$1 outdir=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
deb=$top/tools/deb
version=$("$bin" --version | awk '{ print $2 }')
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$bin" "$root/usr/sbin/asyncscope"
strip --strip-unneeded "$root/usr/sbin/asyncscope"
install -D -m 0644 "$deb/asyncscope.service" "$root/lib/systemd/system/asyncscope.service"
install -D -m 0644 "$top/tools/asyncscope.conf" "$root/etc/asyncscope/asyncscope.conf"
install -D -m 0644 "$deb/asyncscope.bash-completion" \
	"$root/usr/share/bash-completion/completions/asyncscope"
for f in "$top"/tools/operator/*; do
	[ -e "$f" ] && install -D -m 0644 "$f" "$root/usr/share/asyncscope/$(basename "$f")"
done
"$deb/gen-man.sh" "$bin" "$root/usr/share/man/man8"
gzip -9n "$root"/usr/share/man/man8/*.8
install -D -m 0644 "$deb/copyright" "$root/usr/share/doc/asyncscope/copyright"
install -D -m 0644 "$top/README.md" "$root/usr/share/doc/asyncscope/README.md"
for f in "$top"/docs/*.md; do
	install -D -m 0644 "$f" "$root/usr/share/doc/asyncscope/docs/$(basename "$f")"
done
gzip -9n "$root/usr/share/doc/asyncscope/README.md" "$root"/usr/share/doc/asyncscope/docs/*.md
sed "s/@VERSION@/$version/; s/@DATE@/$(date -R -d "@$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)")/" \
	"$deb/changelog.in" | gzip -9n > "$root/usr/share/doc/asyncscope/changelog.gz"
chmod 0644 "$root/usr/share/doc/asyncscope/changelog.gz"

# Depends: the package of each library the binary needs, at the installed version or later
# (with merged /usr, dpkg knows each file under /lib or /usr/lib: ask for both)
owner() {
	for p in "$1" "/usr${1#/usr}" "${1#/usr}" "$(readlink -f "$1")"; do
		dpkg -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1 | grep . && return
	done
	echo "build-deb: no package owns $1" >&2
	return 1
}
depends=$(ldd "$bin" | awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
	pkg=$(owner "$lib") || exit 1
	echo "$pkg (>= $(dpkg-query -W -f='${Version}' "$pkg" | sed 's/-[^-]*$//'))"
done | sort -u | paste -sd, - | sed 's/,/, /g')
[ -n "$depends" ] || { echo "build-deb: no runtime libraries found by ldd" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed "s/@VERSION@/$version/; s/@ARCH@/$arch/; s/@SIZE@/$size/; s/@DEPENDS@/$depends/" \
	"$deb/control.in" > "$root/DEBIAN/control"
echo /etc/asyncscope/asyncscope.conf > "$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$deb/$s" "$root/DEBIAN/$s"; done
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
	> "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/conffiles" "$root/DEBIAN/control"
find "$root" -type d -exec chmod 0755 {} +

mkdir -p "$outdir"
out="$outdir/asyncscope_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
