#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cpnsctl -b (one socket, stops at the first error with its line), -n
# against two namespaces, and monitor catching a scripted install and
# retire sequence in order.
. ./common.sh
plan 11

cpns_unload
modprobe cpns
tmp=$(mktemp -d)
umask 077
head -c 32 /dev/urandom >"$tmp/k"

cat >"$tmp/batch" <<EOB
group add 11
group add 12 grace 5	# a comment; the error is on line 3
group add 11

group add 13
EOB
check_fails "-b stops at the failing line and names it" 1 \
	'^cpnsctl: line 3: group add: File exists' cpnsctl -b "$tmp/batch"
check_eq "-b applied the lines before the error only" "11 12" \
	"$(cpnsctl -j group show | jq -r '[.[].id] | join(" ")')"
check_fails "-b with a usage error names the line" 2 \
	'^cpnsctl: line 1: group: unknown command "bogus"' \
	bash -c "echo 'group bogus' | cpnsctl -b -"
check_fails "-b names the line of a missing key file" 1 \
	'^cpnsctl: line 2: file /nonexistent: No such file or directory' \
	bash -c "printf 'group show\r\nkey add group 11 epoch 1 plain file /nonexistent\n' | cpnsctl -b -"
check_fails "-b - refuses key bytes from the same standard input" 2 \
	'line 1: key add: "file -": standard input is the batch' \
	bash -c "echo 'key add group 11 epoch 1 plain file -' | cpnsctl -b -"

ip netns add a
ip netns add b
cpnsctl -n a group add 21 >/dev/null
cpnsctl -n b group add 22 >/dev/null
check_eq "-n a sees only its group" "21" "$(cpnsctl -n a -j group show | jq -r '.[].id')"
check_eq "-n b sees only its group" "22" "$(cpnsctl -n b -j group show | jq -r '.[].id')"
check_eq "the initial namespace is untouched" "11 12" \
	"$(cpnsctl -j group show | jq -r '[.[].id] | join(" ")')"
ip netns del a
ip netns del b

# monitor: install e1, e2 (e1 becomes previous), wait out the grace period.
cpnsctl group add 30 grace 1 >/dev/null
cpnsctl -j monitor key >"$tmp/events" &
mon=$!
sleep 0.5
cpnsctl key add group 30 epoch 1 plain file "$tmp/k" >/dev/null
head -c 32 /dev/urandom >"$tmp/k"
cpnsctl key add group 30 epoch 2 plain file "$tmp/k" >/dev/null
sleep 2.5
cpnsctl group del 30
sleep 0.5
kill -INT $mon
wait $mon
status=$?
check_eq "monitor exits cleanly on SIGINT" 0 "$status"
check_eq "monitor saw install, install, grace retire, group-deleted retire in order" \
	"key-installed 1 current,key-installed 2 current,key-retired 1 grace,key-retired 2 group-deleted" \
	"$(jq -r '"\(.event) \(.epoch) \(.state // .reason)"' "$tmp/events" | paste -sd,)"
# All four events, each with a fingerprint and no key: a missing field
# or a jq error fails.
check "monitor events carry fingerprints, never keys" \
	jq -e -s 'length == 4 and all(.[]; (.fingerprint | type) == "string" and
		(.fingerprint | test("^[0-9a-f]{16}$")) and (has("key") | not))' \
	"$tmp/events"

rm -rf "$tmp"
cpns_unload
finish
