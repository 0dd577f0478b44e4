#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A PN as a LAN: the gateway and its PNEs on one bridge.  With a tree of
# height 2 (4 slots), a revocation burns a slot, the set fills, and the
# next request starts key material set 2: the PNEs holding GKDKs of set
# 1 are told to ask again and get set 2's.  A set full of live PNEs is
# not renewed (that would fill again at once): the next PNE is refused
# as busy.
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT

cpns_unload
modprobe cpns
GW=12
ns_add gw
if ! ip -n gw link add br0 type bridge 2>/dev/null; then
	echo "1..0 # SKIP no bridge in this kernel (CONFIG_BRIDGE)"
	exit 4
fi
ip -n gw addr add 10.81.0.1/24 dev br0
ip -n gw link set br0 up
for i in 1 2 3 4 5 6; do
	ns_add "p$i"
	ip link add "b$i" netns gw type veth peer name eth0 netns "p$i"
	ip -n gw link set "b$i" master br0 up
	ip -n "p$i" addr add "10.81.0.1$i/24" dev eth0
	ip -n "p$i" link set eth0 up
done
plan 9
gw_conf gw "$GW" 10.81.0.1:4433
sed -i 's/^height = 4$/height = 2/' "$CPNSD_TMP/gw.conf"
daemon_start gw gw || bail "the gateway did not start"
for i in 1 2 3 4 5 6; do
	pne_conf "pne$i" 10.81.0.1:4433
	ctl gw pne add "pne$i" eu-key file "$CPNSD_TMP/pne$i.key"
done
peer() {	# N: a one-shot assignment from PNE N's namespace
	ip netns exec "p$1" ./cpnsd_peer assign 10.81.0.1:4433 "pne$1" \
		"$CPNSD_TMP/pne$1.key"
}
set_of() {	# NS: "set slot" of the GKDK there
	ip netns exec "$1" cpnsctl -j gkdk show |
		jq -r --arg gw "$(printf '0x%016x' "$GW")" \
			'.[] | select(.gateway == $gw) | "\(.set_id) \(.slot)"'
}

daemon_start p1 pne1
wait_until 30 has_gkdk p1 "$GW"
daemon_start p2 pne2
wait_until 30 has_gkdk p2 "$GW"
check_eq "two PNEs across the bridge get slots 0 and 1 of set 1" "1 0,1 1" \
	"$(set_of p1),$(set_of p2)"
check_eq "a third gets slot 2" "slot 2 set 1" "$(peer 3)"
ctl gw pne revoke pne3
daemon_start p4 pne4
wait_until 30 has_gkdk p4 "$GW"
check_eq "a fourth gets slot 3, the last" "1 3" "$(set_of p4)"
check_eq "the fifth finds the set full with a burnt slot: set 2 starts" \
	"slot 0 set 2" "$(peer 5)"
in_set2() { [ "$(set_of "$1" | cut -d' ' -f1)" = 2 ]; }
renewed=0
for i in 1 2 4; do
	wait_until 30 in_set2 "p$i" && renewed=$((renewed + 1))
done
check_eq "the three live PNEs were told and now hold GKDKs of set 2" 3 "$renewed"
check_eq "in slots 1 to 3" "1 2 3" \
	"$(for i in 1 2 4; do set_of "p$i" | cut -d' ' -f2; done | sort -n | paste -sd' ')"
check_eq "the key set shows set 2, nothing free, nothing revoked" "2 0 4 0" \
	"$(ctl gw -j keyset show | jq -r '"\(.set_id) \(.slots_free) \(.slots_assigned) \(.slots_revoked)"')"
check_eq "a set full of live PNEs is not renewed: the sixth is refused as busy" \
	"error busy" "$(peer 6 | cut -d' ' -f1,2)"
check "and the gateway says why" log_has gw 'set 2 is full with 4 live PNEs'

cpnsd_cleanup
trap - EXIT
cpns_unload
finish
