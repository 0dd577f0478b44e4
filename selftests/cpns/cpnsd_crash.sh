#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Crash safety of the gateway's state: three clients stream GKDK
# Assignment Requests for 120 PNEs while the gateway is killed with
# SIGKILL at 50 random moments and started again.  Afterwards every
# assignment a client saw acknowledged is in the store with the same
# slot, no slot is held by two PNEs, the revoked PNEs' slots never came
# back, and the master secret is the one from before the first kill.
#
# The gateway here is the unsanitized build (the benchmark's): ASan's
# start-up under TCG takes seconds, and 50 restarts of it do not fit the
# test's time; what this test checks is the database, not memory.
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
plan 7

cpns_unload
modprobe cpns
ns_add gw
ns_add cl
ns_veth gw v0 10.79.0.1 cl eth0 10.79.0.2
gw_conf gw 11 0.0.0.0:4433 '[limits]' 'rate = 10000' 'burst = 10000'
sed -i 's/^height = 4$/height = 8/' "$CPNSD_TMP/gw.conf"
export CPNSD_BIN=/bench/cpnsd CPNSD_DEBUG=
daemon_start gw gw || bail "the gateway did not start"

keys=$CPNSD_TMP/keys
mkdir -p "$keys"
for s in A B C R; do
	for n in $(seq 0 39); do
		eu_key "$keys/pne$s$n"
		echo "pne add pne$s$n eu-key file $keys/pne$s$n"
	done
done >"$CPNSD_TMP/batch"
ctl gw -b "$CPNSD_TMP/batch"
peer() {
	ip netns exec cl ./cpnsd_peer "$@"
}

# Two PNEs get slots and are revoked: those slots are burnt for good.
peer stream 10.79.0.1:4433 pneR "$keys" 0 1 20 >"$CPNSD_TMP/revoked.acks"
ctl gw pne revoke pneR0
ctl gw pne revoke pneR1
burnt=$(awk '{ print $3 }' "$CPNSD_TMP/revoked.acks" | sort -n | paste -sd' ')
master_before=$(lib_gkdk gw 0)

for s in A B C; do
	# The deadline is for a gateway that stopped answering; on the
	# debug kernel a handshake takes seconds, not milliseconds.
	peer stream 10.79.0.1:4433 "pne$s" "$keys" 0 39 900 \
		>"$CPNSD_TMP/$s.acks" 2>/dev/null &
	eval "stream_$s=\$!"
done
kills=0
for k in $(seq 50); do
	sleep "0.$((RANDOM % 40))"
	daemon_stop gw KILL
	kills=$((kills + 1))
	daemon_start gw gw >/dev/null || break
done
status=0
for s in A B C; do
	pid_var="stream_$s"
	wait "${!pid_var}" || status=1
done
check_eq "the gateway was killed 50 times during the stream" 50 "$kills"
check_eq "every PNE of the three streams got an acknowledged assignment" \
	"0 120" "$status $(cat "$CPNSD_TMP"/[ABC].acks | wc -l)"

ctl gw -j pne show >"$CPNSD_TMP/pnes.json"
lost=0
while read -r _ id slot _; do
	got=$(jq -r --arg id "$id" '.[] | select(.id == $id) | .slot' \
		"$CPNSD_TMP/pnes.json")
	[ "$got" = "$slot" ] || { lost=$((lost + 1)); echo "# $id: acked slot $slot, store says '$got'"; }
done < <(cat "$CPNSD_TMP"/[ABC].acks)
check_eq "no acknowledged assignment was lost" 0 "$lost"
check_eq "no slot is held by two PNEs" "true" \
	"$(jq '[.[] | select(.state == "assigned") | .slot] |
		length > 0 and length == (unique | length)' "$CPNSD_TMP/pnes.json")"
check_eq "the revoked PNEs stayed revoked" "revoked revoked" \
	"$(jq -r '[.[] | select(.id == "pneR0" or .id == "pneR1") | .state] | join(" ")' \
		"$CPNSD_TMP/pnes.json")"
reused=0
for b in $burnt; do
	grep -q " $b 1\$" "$CPNSD_TMP"/[ABC].acks && reused=$((reused + 1))
done
check_eq "no revoked slot ($burnt) was handed out again" 0 "$reused"
check_eq "the master secret is unchanged (slot 0's GKDK)" "$master_before" \
	"$(lib_gkdk gw 0)"

cpnsd_cleanup
trap - EXIT
cpns_unload
finish
