#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A hostile client against a gateway serving three PNEs: messages that
# are truncated, oversized, of another version or of an unknown type
# (sent by an authenticated PNE, after the handshake), a slowloris that
# never finishes its handshake, and 500 connections held open.  Each gets
# an Error or is cut off, each refusal is logged with the peer and
# counted, and the three PNEs keep being served throughout.
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
plan 15

cpns_unload
modprobe cpns
GW=9
ns_add gw
for i in 1 2 3; do
	ns_add "p$i"
	ns_veth gw "v$i" "10.78.$i.1" "p$i" eth0 "10.78.$i.2"
done
ns_add evil
ns_veth gw v9 10.78.9.1 evil eth0 10.78.9.2
gw_conf gw "$GW" 0.0.0.0:4433 '[limits]' 'handshake-timeout = 2' \
	'idle-timeout = 6' 'keepalive = 2' 'rate = 5' 'burst = 10'
daemon_start gw gw || bail "the gateway did not start"
for i in 1 2 3; do
	pne_conf "pne$i" "10.78.$i.1:4433"
	ctl gw pne add "pne$i" eu-key file "$CPNSD_TMP/pne$i.key"
	daemon_start "p$i" "pne$i"
done
# The attacker holds a registered PNE's EU-Key: it gets past TLS.
eu_key "$CPNSD_TMP/evil.key"
ctl gw pne add evil eu-key file "$CPNSD_TMP/evil.key"
peer() {
	ip netns exec evil ./cpnsd_peer "$@"
}
raw() {	# HEX: reply to HEX sent by an authenticated client
	peer raw 10.78.9.1:4433 evil "$CPNSD_TMP/evil.key" "$1"
}

all_served() {
	local i
	for i in 1 2 3; do
		has_gkdk "p$i" "$GW" || return 1
	done
}
check "the three PNEs have their GKDKs" wait_until 30 all_served

# Header: version, type, flags (2), body length (4).
check_eq "a truncated message (body shorter than announced) is cut off at the idle timeout" \
	"closed" "$(raw 0101000000000010000100)"
check_eq "an oversized message gets Error malformed before its body is read" \
	"error malformed" "$(raw 0101000000100000 | cut -d' ' -f1,2)"
check_eq "another protocol version gets Error malformed" "error malformed" \
	"$(raw 0201000000000000 | cut -d' ' -f1,2)"
check_eq "an unknown message type gets Error malformed" "error malformed" \
	"$(raw 0163000000000000 | cut -d' ' -f1,2)"
check_eq "a message the gateway does not take gets Error unexpected" \
	"error unexpected" "$(raw 0108000000000008000c000400000001 | cut -d' ' -f1,2)"
check "a request naming another PNE than the session's is refused" \
	bash -c "ip netns exec evil ./cpnsd_peer raw 10.78.9.1:4433 evil '$CPNSD_TMP/evil.key' 010100000000000800010004706e6531 | grep -q '^error unknown_pne'"
check "each refusal is logged with the peer's address" \
	log_has gw '10\.78\.9\.2:[0-9]+ \(evil\): bad message header: unsupported message version'

# Slowloris: TCP, then one byte a second, never a whole ClientHello.
ip netns exec evil bash -c 'trap "" PIPE; exec 3<>/dev/tcp/10.78.9.1/4433;
	for i in 1 2 3 4 5 6; do printf "\x16" >&3 || exit 0; sleep 1; done; exit 1' &
slow=$!
wait "$slow"
check_eq "a slowloris is cut off at the handshake timeout" 0 "$?"
check "and logged as a handshake timeout" log_has gw '10\.78\.9\.2.*handshake timeout'

# 500 connections from one address: the rate limit refuses the flood at
# accept; those accepted die at the handshake timeout.
ip netns exec evil bash -c 'ulimit -n 2048; fds=();
	for i in $(seq 500); do exec {fd}<>/dev/tcp/10.78.9.1/4433 && fds+=($fd); done 2>/dev/null;
	sleep 4' &
flood=$!
sleep 1
ip netns exec p2 cpnsctl gkdk del gateway "$GW"
check "during the flood a PNE that lost its GKDK gets it back" \
	wait_until 20 has_gkdk p2 "$GW"
wait "$flood"
stats=$(ctl gw -j -s daemon show)
check "refused connections were counted (rate limit)" \
	test "$(echo "$stats" | jq '.stats.rate_limit')" -gt 0
check "malformed and oversized messages were counted" \
	test "$(echo "$stats" | jq '.stats.malformed + .stats.too_big')" -ge 3
check "handshake timeouts were counted" \
	test "$(echo "$stats" | jq '.stats.handshake_timeout')" -gt 0
check "the gateway is still running" kill -0 "$CPNSD_PID_gw"

cpnsd_cleanup
trap - EXIT
cpns_unload
finish
