#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Regenerates vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# The build never reads the host's BTF: the checked-in header is what CO-RE
# programs compile against, and libbpf relocates field offsets at load time.
set -eu
arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
btf=${1:-/sys/kernel/btf/vmlinux}
out=$(dirname "$0")/$arch/vmlinux.h
[ -r "$btf" ] || { echo "gen-vmlinux-h: $btf not readable (kernel without BTF?)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
