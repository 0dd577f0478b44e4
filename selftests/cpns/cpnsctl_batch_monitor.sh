#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cpnsctl -b (one socket, stops at the first error with its line), -n
# against two namespaces, and monitor catching a scripted install and
# retire sequence in order, with ip's timestamps (-t, -ts) when asked.
. ./common.sh
plan 15

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
check_fails "-b stops at the failing line and names it" 2 \
	'^cpnsctl: line 3: group add: File exists' cpnsctl -b "$tmp/batch"
check_eq "-b applied the lines before the error only" "11 12" \
	"$(cpnsctl -j group show | jq -r '[.[].id] | join(" ")')"
check_fails "-b with a usage error names the line" 1 \
	'^cpnsctl: line 1: group: unknown command "bogus"' \
	bash -c "echo 'group bogus' | cpnsctl -b -"
check_fails "-b names the line of a missing key file" 2 \
	'^cpnsctl: line 2: file /nonexistent: No such file or directory' \
	bash -c "printf 'group show\r\nkey add group 11 epoch 1 plain file /nonexistent\n' | cpnsctl -b -"
check_fails "-b - refuses key bytes from the same standard input" 1 \
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
cpnsctl -t monitor key >"$tmp/events.t" &
mon_t=$!
cpnsctl -tshort monitor key >"$tmp/events.ts" &
mon_ts=$!
cpnsctl -json -timestamp monitor key >"$tmp/events.jt" &
mon_jt=$!
start=$(date +%s)
sleep 0.5
cpnsctl key add group 30 epoch 1 plain file "$tmp/k" >/dev/null
head -c 32 /dev/urandom >"$tmp/k"
cpnsctl key add group 30 epoch 2 plain file "$tmp/k" >/dev/null
sleep 2.5
cpnsctl group del 30
sleep 0.5
kill -INT $mon $mon_t $mon_ts $mon_jt
wait $mon
status=$?
wait $mon_t $mon_ts $mon_jt
end=$(date +%s)
check_eq "monitor exits cleanly on SIGINT" 0 "$status"
check_eq "monitor saw install, install, grace retire, group-deleted retire in order" \
	"key-installed 1 current,key-installed 2 current,key-retired 1 grace,key-retired 2 group-deleted" \
	"$(jq -r '"\(.event) \(.epoch) \(.state // .reason)"' "$tmp/events" | paste -sd,)"
# Every event, and there are some, has a fingerprint of 16 hex digits.
check_eq "monitor events carry fingerprints, never keys" "4 true" \
	"$(jq -r -s '[length, all(.[]; (.fingerprint // "") | test("^[0-9a-f]{16}$"))] | join(" ")' "$tmp/events")"

# ip -t: a "Timestamp:" line before each event; ip -ts: an ISO prefix.
ts_re='^Timestamp: [A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} 20[0-9]{2} [0-9]{1,6} usec$'
check_eq "-t: each of the 4 events after its Timestamp line" "4 4" \
	"$(grep -cE "$ts_re" "$tmp/events.t") $(grep -A1 -E "$ts_re" "$tmp/events.t" | grep -c '^\[key-')"
check_eq "-t: nothing else (events' own lines start with a tab)" 0 \
	"$(grep -cvE "$ts_re|^\[key-|^	" "$tmp/events.t")"
check_eq "-ts: each event line starts with its ISO 8601 time" 4 \
	"$(grep -cE '^\[20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\] \[key-(installed|retired)\] group 30 ' "$tmp/events.ts")"
check_eq "-j -t: Unix seconds with microseconds, in order, within the run" "4 true" \
	"$(jq -r -s --argjson s "$start" --argjson e "$((end + 1))" \
		'[length, (map(.timestamp) | all(type == "number" and . >= $s and . <= $e) and . == sort)] | join(" ")' \
		"$tmp/events.jt")"

rm -rf "$tmp"
cpns_unload
finish
