#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fast path as an operator sees it through cpnsctl: two namespaces
# with the same Service Group and key exchange sealed datagrams (bash's
# /dev/udp sends them), stats show both sides' counters, monitor catches
# the key-missing event of a sender that rolled over first, and selector
# refusals name the argument.
. ./common.sh
plan 8

cpns_unload
modprobe cpns
tmp=$(mktemp -d)
umask 077
head -c 32 /dev/urandom >"$tmp/k1"
head -c 32 /dev/urandom >"$tmp/k2"
ip netns add fa
ip netns add fb
ip link add va netns fa type veth peer name vb netns fb
ip -n fa addr add 10.77.0.1/24 dev va
ip -n fb addr add 10.77.0.2/24 dev vb
ip -n fa link set va up
ip -n fb link set vb up
for n in fa fb; do
	cpnsctl -n $n group add 5 dst 10.77.0.2/32 dport 7000 >/dev/null
	cpnsctl -n $n key add group 5 epoch 1 plain file "$tmp/k1" >/dev/null
done

send() {	# send N datagrams from fa to 10.77.0.2:7000, within milliseconds
	ip netns exec fa bash -c \
		'for i in $(seq "$1"); do echo hello >/dev/udp/10.77.0.2/7000; done' _ "$1"
}

send 3
check_eq "sender: three sealed" "3 0" \
	"$(cpnsctl -n fa -j stats group 5 | jq -r '"\(.tx_sealed) \(.tx_no_key)"')"
check_eq "receiver: three opened, nothing dropped" "3 0 0 0" \
	"$(cpnsctl -n fb -j stats group 5 | jq -r '"\(.rx_opened) \(.rx_malformed) \(.rx_auth_failed) \(.key_missing)"')"
check_eq "stats text has the fast path lines" "tx: sealed 3 no-key 0 dropped 0" \
	"$(cpnsctl -n fa stats | grep '^tx:')"

# The sender moves to epoch 2 first: the receiver asks for it.
ip netns exec fb cpnsctl -j monitor missing >"$tmp/events" &
mon=$!
sleep 0.5
cpnsctl -n fa key add group 5 epoch 2 plain file "$tmp/k2" >/dev/null
send 5
sleep 0.5
kill -INT $mon
wait $mon
check_eq "one key-missing event for epoch 2 however many datagrams" \
	"key-missing 5 2" \
	"$(jq -r '"\(.event) \(.group) \(.epoch)"' "$tmp/events" | paste -sd,)"
check_eq "each of them counted" "5" \
	"$(cpnsctl -n fb -j stats group 5 | jq -r .key_missing)"
cpnsctl -n fb key add group 5 epoch 2 plain file "$tmp/k2" >/dev/null
send 1
check_eq "with the key, datagrams open again" "4" \
	"$(cpnsctl -n fb -j stats group 5 | jq -r .rx_opened)"

check_fails "a second group with the same selector names the argument" 2 \
	'group add: Address already in use: cpns: another Service Group has this traffic selector \(argument "dst"\)' \
	cpnsctl -n fa group add 6 dst 10.77.0.2/32 dport 7000
check_fails "host bits past the prefix are refused" 2 \
	'group add: Invalid argument: cpns: selector daddr has bits set past prefix-len' \
	cpnsctl -n fa group add 6 dst 10.77.0.2/24

ip netns del fa
ip netns del fb
rm -rf "$tmp"
cpns_unload
finish
