#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The include rule of user/ (run by make before compiling): each folder is a
# stage, and a file may include its own folder and those listed for it
# below, nothing else. Dependencies point one way:
#
#   lib <- event <- resolve, model <- out        (pure: no libbpf)
#   lib, event, resolve, model <- live <- daemon <- cli
#
# "bpf" is the wire format in bpf/ shared with the BPF programs (events.h,
# double_id.h), "bpf-maps" the types of the maps user space reads
# (bpf/maps.h); bpf/*.bpf.h is BPF-only state no user file includes.
# "libbpf" is <bpf/...> and the generated skeletons (*.skel.h), which only
# live/ and daemon/ may use, so reconstruction and output never depend on
# BPF.
# Includes of user/ headers name their folder ("lib/log.h").
#   tools/check-layout.sh     exits 1, naming each include that breaks the rule
cd "$(dirname "$0")/.." || exit 1
rules='
lib:
event: lib bpf
resolve: lib event bpf
model: lib event
out: lib event resolve model
live: lib event resolve model bpf bpf-maps libbpf
daemon: lib event resolve model live bpf bpf-maps libbpf
cli: lib event resolve model out live daemon
'
dirs=$(echo "$rules" | sed -n 's/^\([a-z]*\):.*/\1/p')
bad=0
for dir in $dirs; do
	allowed=" $dir $(echo "$rules" | sed -n "s/^$dir://p") "
	for f in user/"$dir"/*.[ch]; do
		[ -e "$f" ] || continue
		out=$(awk -v dir="$dir" -v allowed="$allowed" -v dirs=" $(echo $dirs) " '
		/^[ \t]*#[ \t]*include/ {
			line = $0
			sub(/^[ \t]*#[ \t]*include[ \t]*/, "", line)
			name = substr(line, 2)
			sub(/[">].*/, "", name)
			if (line ~ /^</) {
				if (name !~ /^bpf\//)
					next
				what = "libbpf"
			} else if (name ~ /\.skel\.h$/) {
				what = "libbpf"
			} else if (name ~ /^bpf\/.*\.bpf\.h$/) {
				printf "%s:%d: %s: BPF-only, not for user space\n", FILENAME,
					FNR, name
				next
			} else if (name == "bpf/maps.h") {
				what = "bpf-maps"
			} else if (name ~ /\//) {
				what = name
				sub(/\/.*/, "", what)
				if (what != "bpf" && index(dirs, " " what " ") == 0) {
					printf "%s:%d: %s: no such folder\n", FILENAME, FNR, name
					next
				}
			} else {
				printf "%s:%d: \"%s\": name its folder (\"lib/log.h\")\n",
					FILENAME, FNR, name
				next
			}
			if (index(allowed, " " what " ") == 0)
				printf "%s:%d: %s/ may not include %s\n", FILENAME, FNR,
					dir, name
		}' "$f")
		if [ -n "$out" ]; then
			echo "$out" >&2
			bad=1
		fi
	done
done
for d in user/*/; do
	case " $(echo $dirs) " in
	*" $(basename "$d") "*) ;;
	*)
		echo "$d: not a stage folder (add it to tools/check-layout.sh)" >&2
		bad=1
		;;
	esac
done
for f in user/*.[ch] user/*/*/*.[ch]; do
	[ -e "$f" ] || continue
	echo "$f: not in a stage folder of user/ (see tools/check-layout.sh)" >&2
	bad=1
done
[ "$bad" -eq 0 ] || echo "check-layout: user/ breaks the include rule (tools/check-layout.sh)" >&2
exit "$bad"
