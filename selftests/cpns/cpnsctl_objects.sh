#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cpnsctl gkdk, group, key and stats through the real binary: happy paths
# with their exact text and JSON, the refusals with the kernel's reason
# and the argument at fault, and key bytes kept off the command line.
. ./common.sh
plan 49

cpns_unload
modprobe cpns
tmp=$(mktemp -d)
umask 077

hex2bin() {	# HEX FILE
	printf '%b' "$(echo "$1" | sed 's/../\\x&/g')" >"$2"
}

# The first openable record of the shared vectors: a GKDK and its blob.
rec=$(awk 'BEGIN { RS = "" } /result = ok/ { print; exit }' vectors/cs-open.vec)
field() { echo "$rec" | sed -n "s/^$1 = //p"; }
hex2bin "$(field gkdk)" "$tmp/gkdk"
hex2bin "$(field blob)" "$tmp/blob"
gk_fp=$(field gk_fp)
gkdk_fp=$(field gkdk_fp)
blob_group=$((16#$(field blob | cut -c33-40)))
valid_from=$((16#$(field blob | cut -c65-80)))

# Groups
check "group add with every option" \
	cpnsctl group add 7 grace 600 lifetime 3600 replay-window 128 expiry-notice 60 dst 239.1.2.3/32 dport 5000
check_eq "group show: text" \
	"group 7 grace 600s lifetime 3600s replay-window 128 expiry-notice 60s
	dst 239.1.2.3/32 dport 5000" "$(cpnsctl group show 7)"
check_eq "group show: JSON" \
	'{"id":7,"grace":600,"lifetime":3600,"replay_window":128,"expiry_notice":60,"selector":{"dst":"239.1.2.3/32","dport":5000}}' \
	"$(cpnsctl -j group show 7)"
check "group add with defaults" cpnsctl group add 8
check_eq "group list: JSON array of both" "7 8" \
	"$(cpnsctl -j group list | jq -r '[.[].id] | join(" ")')"
check_fails "group add of an existing id: kernel reason and argument" 2 \
	'group add: File exists: cpns: Service Group already exists \(argument "ID"\)' \
	cpnsctl group add 7
check_fails "group add 0: the policy's refusal names the argument" 2 \
	'group add: Numerical result out of range.*\(argument "ID"\)' \
	cpnsctl group add 0
check_fails "group add with a bad number names it" 1 \
	'grace: "soon" is not a number' cpnsctl group add 9 grace soon
check_fails "group add with a value too large names it" 1 \
	'replay-window: "5000" is larger than 4096' cpnsctl group add 9 replay-window 5000
check_fails "group add: unknown keyword" 1 'unknown argument "color"' \
	cpnsctl group add 9 color red
check_fails "group del of an unknown id" 2 \
	'group del: No such file or directory: cpns: unknown Service Group' \
	cpnsctl group del 99

# Plain keys
head -c 32 /dev/urandom >"$tmp/k1"
head -c 32 /dev/urandom >"$tmp/k2"
check "key add plain from a file" cpnsctl key add group 7 epoch 1 plain file "$tmp/k1"
check "key add plain from stdin" bash -c "cpnsctl key add group 7 epoch 2 plain file - <'$tmp/k2'"
json=$(cpnsctl -j key show group 7)
check_eq "key show: current and previous" "2 current plain,1 previous plain" \
	"$(echo "$json" | jq -r '[.[] | "\(.epoch) \(.state) \(.source)"] | join(",")')"
# Not vacuous: the output has both keys, and neither key's bytes.
all_keys=$(cpnsctl -j key show)
check_eq "key show: no key bytes in the output" "2 0 0" \
	"$(echo "$all_keys" | jq length) $(echo "$all_keys" | grep -ic "$(od -An -tx1 "$tmp/k1" | tr -d ' \n')") $(echo "$all_keys" | grep -ic "$(od -An -tx1 "$tmp/k2" | tr -d ' \n')")"
# The local fingerprint of a key file is the module's, in text and JSON.
check_eq "key fingerprint of the files: key show's fingerprints" \
	"$(echo "$json" | jq -r '.[] | select(.epoch == 1) | .fingerprint') $(echo "$json" | jq -r '.[] | select(.epoch == 2) | .fingerprint')" \
	"$(cpnsctl key fingerprint file "$tmp/k1" | sed -n 's/^fingerprint \([0-9a-f]\{16\}\)$/\1/p') $(cpnsctl -j key fingerprint file - <"$tmp/k2" | jq -r .fingerprint)"
check "key show: text has fingerprint, install time and expiry" \
	bash -c "cpnsctl key show group 7 epoch 2 | grep -qE '^group 7 epoch 2 current plain fingerprint [0-9a-f]{16}$' &&
		 cpnsctl key show group 7 epoch 2 | grep -qE '^	installed 20[0-9-]+T[0-9:]+Z expires 20[0-9-]+T[0-9:]+Z \(in (59m[0-9]+s|1h0m)\)$'"
check_fails "key add: an older epoch is refused" 2 \
	'key add: Stale file handle: cpns: epoch older than the group.s newest \(rollback\)' \
	cpnsctl key add group 7 epoch 1 plain file "$tmp/k1"
check_fails "key add: the same epoch with other bytes is refused" 2 \
	'key add: File exists: cpns: epoch already installed with another key' \
	cpnsctl key add group 7 epoch 2 plain file "$tmp/k1"
check_fails "key add: key bytes on the command line are refused" 1 \
	'key bytes are never taken from the command line' \
	cpnsctl key add group 7 epoch 3 plain "$(od -An -tx1 "$tmp/k1" | tr -d ' \n')"
chmod 644 "$tmp/k1"
check_fails "key add: a world-readable key file is warned about" 2 \
	"warning: file $tmp/k1 is accessible by group or others" \
	cpnsctl key add group 7 epoch 2 plain file "$tmp/k1"
check_fails "key add: a short key file is refused with the argument" 2 \
	'key add: Numerical result out of range.*\(argument "plain"\)' \
	bash -c "head -c 31 '$tmp/k2' | cpnsctl key add group 7 epoch 3 plain file -"
check "key del" cpnsctl key del group 7 epoch 1
check_fails "key del of a gone epoch" 2 'no key with this epoch in the group' \
	cpnsctl key del group 7 epoch 1
check "key flush of a group" bash -c "cpnsctl key flush group 7 && [ \"\$(cpnsctl -j key show group 7)\" = '[]' ]"

# GKDK and a wrapped key: the shared vector opened by the kernel.
check "gkdk set from a file" cpnsctl gkdk set file "$tmp/gkdk"
check_eq "gkdk show: fingerprint of the vector's GKDK" "$gkdk_fp" \
	"$(cpnsctl -j gkdk show | jq -r '.[0].fingerprint')"
gw=$(field gkdk | cut -c17-32)
check_eq "gkdk show gateway: text" \
	"gateway 0x$gw slot $(field slot) height $(field height) scheme complete-subtree set $((16#$(field gkdk | cut -c9-16))) fingerprint $gkdk_fp" \
	"$(cpnsctl gkdk show gateway "0x$gw")"
check_eq "gkdk fingerprint of the file: the same line as gkdk show" \
	"$(cpnsctl gkdk show gateway "0x$gw")" "$(cpnsctl gkdk fingerprint file "$tmp/gkdk")"
check_fails "gkdk fingerprint of a truncated file says why" 2 \
	'gkdk fingerprint: file -: not a GKDK: ' \
	bash -c "head -c 83 '$tmp/gkdk' | cpnsctl gkdk fingerprint file -"
check_fails "key fingerprint of a GKDK file: not a plain Group Key" 2 \
	"key fingerprint: file $tmp/gkdk: [0-9]+ bytes, a plain Group Key has 32" \
	cpnsctl key fingerprint file "$tmp/gkdk"
check_fails "key fingerprint takes a file, never key bytes" 1 \
	'key fingerprint: expected "file PATH"' \
	cpnsctl key fingerprint "$(od -An -tx1 "$tmp/k2" | tr -d ' \n')"
check_fails "gkdk del of an unknown gateway names it" 2 \
	'gkdk del: No such file or directory: cpns: no GKDK for this gateway' \
	cpnsctl gkdk del gateway 0x42
check_fails "gkdk set: key bytes on the command line are refused" 1 \
	'expected "file PATH" \(key bytes are never taken from the command line\)' \
	cpnsctl gkdk set "$(field gkdk)"
check_fails "gkdk set with a trailing byte: the reference's reason" 2 \
	'gkdk set: Bad message: cpns: trailing bytes after the structure \(argument "file"\)' \
	bash -c "cat '$tmp/gkdk' <(echo) | cpnsctl gkdk set file -"
check_fails "gkdk set of a truncated GKDK: the policy's refusal" 2 \
	'gkdk set: Numerical result out of range.*\(argument "file"\)' \
	bash -c "head -c 83 '$tmp/gkdk' | cpnsctl gkdk set file -"
clock=$(date +%s)
date -s "@$((valid_from + 60))" >/dev/null
cpnsctl group add "$blob_group" >/dev/null 2>&1
check "key add wrapped from the vector's blob" \
	cpnsctl key add group "$blob_group" wrapped file "$tmp/blob"
check_eq "the kernel opened it to the reference's Group Key" "$gk_fp wrapped" \
	"$(cpnsctl -j key show group "$blob_group" | jq -r '.[0] | "\(.fingerprint) \(.source)"')"
check_fails "a wrapped key for another group is refused" 2 \
	'key add: Invalid argument: cpns: blob is for another Service Group \(argument "wrapped"\)' \
	cpnsctl key add group 8 wrapped file "$tmp/blob"

date -s "@$((clock + 5))" >/dev/null
head -c 65531 /dev/zero >"$tmp/big"
check_fails "the largest wrapped key reaches the kernel whole" 2 \
	'key add: Protocol not supported: cpns: unsupported format version \(argument "wrapped"\)' \
	cpnsctl key add group 8 wrapped file "$tmp/big"
head -c 65532 /dev/zero >"$tmp/big"
check_fails "a larger key file is refused before sending" 2 \
	"key add: file $tmp/big is larger than 65531 bytes" \
	cpnsctl key add group 8 wrapped file "$tmp/big"

# Counters
check_eq "stats: JSON counters (groups gkdks stale conflict)" "3 1 1 2" \
	"$(cpnsctl -j stats | jq -r '"\(.groups) \(.gkdks) \(.refused_stale) \(.refused_conflict)"')"
check_eq "stats group: text" "group 7:
keys 0
installs 2 repeated 0 retired 2 expiries 0
refused: stale 1 conflict 2 malformed 0 no-gkdk 0 not-member 0 expired 0
decrypt-failures 0
tx: sealed 0 no-key 0 dropped 0
rx: opened 0 malformed 0 auth-failed 0 replayed 0 key-missing 0 dropped 0
fwd: verified 0" "$(cpnsctl stats group 7)"
check_fails "stats of an unknown group names it" 2 \
	'stats: No such file or directory: cpns: unknown Service Group \(argument "group"\)' \
	cpnsctl stats group 99
check_eq "-s group show adds counters" "2" \
	"$(cpnsctl -j -s group show 7 | jq '.stats.installs')"
check "group flush and gkdk flush leave nothing" \
	bash -c "cpnsctl group flush && cpnsctl gkdk flush && [ \"\$(cpnsctl -j group show)\" = '[]' ] && [ \"\$(cpnsctl -j gkdk show)\" = '[]' ]"

check "every object has help" bash -c "cpnsctl help && cpnsctl gkdk help && cpnsctl group help && cpnsctl key help && cpnsctl stats help && cpnsctl monitor help"
check_fails "an unknown command names it" 1 'group: unknown command "create"' \
	cpnsctl group create 5
check_eq "--version" "cpnsctl 0.1.0" "$(cpnsctl --version)"

rm -rf "$tmp"
cpns_unload
finish
