#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Figure a (GKDK assignment) between real daemons: a gateway and three
# PNEs, each in its own namespace joined by veth, each PNE's GKDK going
# into its own namespace's state of the real module.  Then what must not
# work: a wrong EU-Key, an unknown PNE, a revoked PNE; and what must
# survive: a second request, a gateway restart, the module reloaded
# under the PNEs.
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
plan 23

cpns_unload
modprobe cpns
GW=7

ns_add gw
for i in 1 2 3 4; do
	ns_add "p$i"
	ns_veth gw "v$i" "10.77.$i.1" "p$i" eth0 "10.77.$i.2"
done
gw_conf gw "$GW" 0.0.0.0:4433
check "the gateway starts" daemon_start gw gw || bail "the gateway did not start"
for i in 1 2 3; do
	pne_conf "pne$i" "10.77.$i.1:4433"
	ctl gw pne add "pne$i" eu-key file "$CPNSD_TMP/pne$i.key"
done
# pne4 is registered with one EU-Key and configured with another.
eu_key "$CPNSD_TMP/pne4.registered"
ctl gw pne add pne4 eu-key file "$CPNSD_TMP/pne4.registered"
pne_conf pne4 "10.77.4.1:4433"

for i in 1 2 3 4; do
	daemon_start "p$i" "pne$i" || echo "# pne$i did not start"
done

got=0
for i in 1 2 3; do
	wait_until 30 has_gkdk "p$i" "$GW" && got=$((got + 1))
done
check_eq "figure a: each of three PNEs gets its GKDK into its module" 3 "$got"

slots=""
agree=0
for i in 1 2 3; do
	read -r slot fp <<<"$(gkdk_of "p$i" "$GW")"
	slots+="$slot "
	[ -n "$fp" ] && [ "$(lib_gkdk gw "$slot")" = "$slot $fp" ] &&
		agree=$((agree + 1))
done
check_eq "the three PNEs hold the lowest three slots, one each" "0 1 2" \
	"$(echo "$slots" | tr ' ' '\n' | grep . | sort -n | paste -sd' ')"
check_eq "each module's GKDK is the library's GKDK of that slot" 3 "$agree"
check "the gateway's log reads like figure a (steps 2 to 5)" \
	bash -c "grep -q 'figure a step 2' '$CPNSD_TMP/gw.log' &&
		 grep -q 'figure a step 3' '$CPNSD_TMP/gw.log' &&
		 grep -q 'figure a step 4' '$CPNSD_TMP/gw.log' &&
		 grep -q 'figure a step 5' '$CPNSD_TMP/gw.log'"
check "a PNE's log has steps 1 and 5" \
	bash -c "grep -q 'figure a step 1' '$CPNSD_TMP/pne1.log' &&
		 grep -q 'figure a step 5' '$CPNSD_TMP/pne1.log'"

# The wrong EU-Key: the TLS handshake fails (the PSK binder does not
# verify); nothing is assigned.
check "a PNE with a wrong EU-Key is refused, and the gateway logs it by name" \
	wait_until 10 log_has gw 'pne4.*(handshake|binder|refused)'
check_eq "it gets no GKDK" none "$(gkdk_absent p4 "$GW")"
check_eq "and holds no slot on the gateway" "registered" \
	"$(ctl gw -j pne show pne4 | jq -r .state)"

# An unknown id: refused at the handshake.
ns_add p5
ns_veth gw v5 10.77.5.1 p5 eth0 10.77.5.2
pne_conf pne5 10.77.5.1:4433
daemon_start p5 pne5
check "an unknown PNE id is refused and logged" \
	wait_until 10 log_has gw 'pne5.*unknown PNE'
check_eq "it gets no GKDK" none "$(gkdk_absent p5 "$GW")"
daemon_stop pne5

# A second request: the same slot and so the same GKDK.
before=$(gkdk_of p1 "$GW")
daemon_stop pne1
ip netns exec p1 cpnsctl gkdk flush
daemon_start p1 pne1
wait_until 30 has_gkdk p1 "$GW"
check_eq "a PNE that asks again gets the same slot and GKDK" "$before" \
	"$(gkdk_of p1 "$GW")"

# gkdk del under a running PNE: its daemon sees the event and asks again.
ip netns exec p2 cpnsctl gkdk del gateway "$GW"
check "a PNE whose GKDK is deleted gets it back by itself" \
	wait_until 30 has_gkdk p2 "$GW"

# Revocation: the session ends, the slot is burnt, asking again fails.
ctl gw pne revoke pne3
ip netns exec p3 cpnsctl gkdk flush
check "a revoked PNE is refused" \
	wait_until 15 log_has pne3 'refused: revoked'
check_eq "and gets no GKDK" none "$(gkdk_absent p3 "$GW")"
check_eq "its slot stays burnt: the key set counts it revoked" "1" \
	"$(ctl gw -j keyset show | jq -r '.slots_revoked')"

# A gateway restart keeps the set, the slots and the registrations.
fp1=$(gkdk_of p1 "$GW")
daemon_stop gw
check "the gateway starts again" daemon_start gw gw
ip netns exec p1 cpnsctl gkdk flush
check "after a gateway restart a PNE asks again (backoff) and gets its GKDK" \
	wait_until 30 has_gkdk p1 "$GW"
check_eq "the same GKDK: the key material set survived the restart" "$fp1" \
	"$(gkdk_of p1 "$GW")"

# The module reloaded under the PNEs: every daemon notices the family
# go and come back, and reinstalls its GKDK.
fp2=$(gkdk_of p2 "$GW")
rmmod cpns
modprobe cpns
both_have() { has_gkdk p1 "$GW" && has_gkdk p2 "$GW"; }
check "after a module reload each PNE reinstalls its GKDK by itself" \
	wait_until 30 both_have
check_eq "the same GKDK as before" "$fp2" "$(gkdk_of p2 "$GW")"

# Configuration errors name the line.
printf '[cpnsd]\nrole = gateway\nstate-dir = relative/path\n' >"$CPNSD_TMP/bad.conf"
check_fails "--check-config names the line at fault" 1 \
	"bad.conf:3: state-dir: 'relative/path' is not an absolute path" \
	cpnsd -c "$CPNSD_TMP/bad.conf" --check-config
check "the daemons' logs carry no secret (no EU-Key bytes in hex)" \
	bash -c "! grep -rqiF \"\$(od -An -tx1 '$CPNSD_TMP/pne1.key' | tr -d ' \n')\" '$CPNSD_TMP'/*.log &&
		 [ -s '$CPNSD_TMP/gw.log' ]"

cpns_unload
finish
