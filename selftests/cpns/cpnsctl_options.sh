#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cpnsctl's global options as ip(8) spells them (one or two dashes, any
# prefix of the word, the value in the next argument), none misread, and
# ip's exit status: 1 for a syntax error, 2 when the kernel refused.
. ./common.sh
plan 16

cpns_unload
modprobe cpns
tmp=$(mktemp -d)

n=0
for o in -j -js -jso -json --j --js --json; do
	cpnsctl "$o" info 2>&1 | jq -e '.version == "0.1.0"' >/dev/null && n=$((n + 1))
done
check_eq "every spelling of -json prints JSON" 7 "$n"

n=0
for o in -p -pr -pretty --pretty; do
	out=$(cpnsctl -j "$o" info)
	[ "$(echo "$out" | wc -l)" -gt 3 ] && echo "$out" | jq -e .family_version >/dev/null &&
		n=$((n + 1))
done
check_eq "every spelling of -pretty indents" 4 "$n"

# Two namespaces whose names would catch a misreading: "-netns ns1" read
# as getopt's "-n etns" lands in etns.
ip netns add ns1
ip netns add etns
cpnsctl -n ns1 group add 41 >/dev/null
cpnsctl -n etns group add 42 >/dev/null
n=0
for o in -n -ne -net -netns --n --netns; do
	[ "$(cpnsctl "$o" ns1 -j group show 2>&1 | jq -r '.[].id')" = 41 ] && n=$((n + 1))
done
check_eq "every spelling of -netns NAME enters NAME" 6 "$n"
check_eq "-netns=NAME and --netns=NAME too" "41 41" \
	"$(cpnsctl -netns=ns1 -j group show | jq -r '.[].id') $(cpnsctl --netns=ns1 -j group show | jq -r '.[].id')"
check_fails "-nNAME glued is refused, not read as -n NAME" 1 \
	'unknown option "-nns1"' cpnsctl -nns1 group show
check_fails "-n without a value" 1 'option "-n" needs a value' cpnsctl -n

n=0
for o in -s -st -stats -statistics --stat --statistics; do
	[ "$(cpnsctl -n ns1 -j "$o" group show 41 2>&1 | jq -r '.stats.installs')" = 0 ] && n=$((n + 1))
done
check_eq "every spelling of -statistics adds counters" 6 "$n"

echo "group show" >"$tmp/batch"
n=0
for o in -b -ba -batch --batch; do
	[ "$(cpnsctl -n ns1 -j "$o" "$tmp/batch" 2>&1 | jq -r '.[].id')" = 41 ] && n=$((n + 1))
done
[ "$(cpnsctl -n ns1 -j --batch="$tmp/batch" 2>&1 | jq -r '.[].id')" = 41 ] && n=$((n + 1))
check_eq "every spelling of -batch FILE" 5 "$n"

n=0
for o in -V -Version --V --Version --version; do
	[ "$(cpnsctl "$o")" = "cpnsctl 0.1.0" ] && n=$((n + 1))
done
check_eq "every spelling of -Version" 5 "$n"
check "-help and --help print the usage" \
	bash -c "cpnsctl -help | grep -q '^Usage: cpnsctl' && cpnsctl --h | grep -q '^Usage: cpnsctl'"
check_fails "bundled one-letter options are refused, as ip does" 1 \
	'unknown option "-jp"' cpnsctl -jp info
check_fails "an unknown option is a syntax error: status 1" 1 \
	'unknown option "--colour"' cpnsctl --colour info
check "-- ends the options" bash -c "cpnsctl -j -- info | jq -e .version"
ip netns del ns1
ip netns del etns

# ip's exit status: a kernel refusal is 2, a syntax error 1.
check_fails "the kernel's refusal: status 2" 2 \
	'group del: No such file or directory' cpnsctl group del 4242
check_fails "a syntax error: status 1" 1 'group: unknown command "remove"' \
	cpnsctl group remove 4242
check_fails "a batch line with a syntax error: status 1" 1 \
	'line 2: group add: missing ID' \
	bash -c "printf 'group show\ngroup add\n' | cpnsctl -b -"

rm -rf "$tmp"
cpns_unload
finish
