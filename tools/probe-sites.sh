#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Lists the first instruction of every probe site asyncscope attaches in a
# node binary, as objdump decodes it (independently of asyncscope's own
# decoder), and flags any the kernel cannot emulate and must single-step
# (a debug trap per hit, ~30x dearer). Exit status 1 if one is flagged or
# the two decoders disagree.
#
#   tools/probe-sites.sh [BINARY...]     default: every node in tests/node-versions
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then
	set --
	for m in $(awk '!/^#/ && NF >= 3 { print $1 }' "$top/tests/node-versions"); do
		set -- "$@" "$("$top/tools/fetch-node.sh" "$m")"
	done
fi
status=0
for bin in "$@"; do
	echo "$bin"
	json=$("$top/asyncscope" doctor --binary "$bin" --format json) || {
		echo "  cannot resolve: $(printf '%s' "$json" | head -c 200)"
		status=1
		continue
	}
	printf '%s' "$json" | node -e '
	  const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
	  for (const p of d.probes) console.log(p.addr, p.emulated ? 1 : 0, p.role, p.symbol);' |
	while read -r addr emulated role; do
		insn=$(objdump -d --no-show-raw-insn --start-address="$addr" --stop-address=$((addr + 16)) "$bin" |
			awk -F'\t' '/^ *[0-9a-f]+:\t/ { print $2; exit }' | sed 's/ \+/ /g')
		mnemonic=${insn%% *}
		# what arch/x86/kernel/uprobes.c emulates: push of a register, nops,
		# relative call/jmp/jcc
		case "$mnemonic" in
		push | nop | nopl | nopw | call | jmp | j*) kernel=1 ;;
		*) kernel=0 ;;
		esac
		case "$insn" in push*\$*) kernel=0 ;; esac # push of an immediate is stepped
		verdict=emulated
		[ "$kernel" = 0 ] && verdict="SINGLE-STEPPED"
		printf '  %-14s %-16s %s  %s\n' "$(printf '0x%x' "$addr")" "$insn" "$verdict" "${role%% _Z*}"
		if [ "$kernel" != "$emulated" ]; then
			echo "  ^ asyncscope's decoder says emulated=$emulated, objdump's mnemonic says $kernel"
			echo fail > "$top/.output/probe-sites.fail"
		fi
		[ "$kernel" = 0 ] && echo fail > "$top/.output/probe-sites.fail"
	done
done
if [ -e "$top/.output/probe-sites.fail" ]; then
	rm -f "$top/.output/probe-sites.fail"
	status=1
fi
exit $status
