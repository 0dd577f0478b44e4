#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Figure b end to end between real daemons (cpnsd_figb_lib.sh sets up
# the server, gateways A and B and their PNEs): every member installs
# the epoch and the non-members do not, each step logged; revocation with
# its exclusion notice; join; forged notifications refused with their
# reasons before the module sees them.
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
plan 22
. ./cpnsd_figb_lib.sh
echo "# set up in ${SECONDS}s"

check_eq "the server lists the four members" \
	"a1@gateway-a a2@gateway-a a3@gateway-a b1@gateway-b" \
	"$(ctl srv -j member show $G | jq -r '[.[] | "\(.pne)@\(.gateway)"] | sort | join(" ")')"

# --- figure b ------------------------------------------------------------
ctl srv group-key rotate $G >/dev/null || bail "rotate failed"
check "every member installs epoch 1 (A-1, A-2, A-3, B-1)" \
	wait_until 30 at_epoch 1 a1 a2 a3 b1
check "both gateways hold epoch 1 in the clear" at_epoch 1 gwa gwb
check "so does the server's own module" at_epoch 1 srv
check_eq "A-4 and B-2, outside the group, hold no key of it" "0 0" \
	"$(epoch_of a4) $(epoch_of b2)"
check "A-4's module said 'not a member'" \
	wait_until 10 log_has a4 "group $G epoch 1: not a member"
fp=$(fp_of srv 1)
check_eq "one key everywhere (fingerprints of server, gateways, members)" \
	"$fp $fp $fp $fp $fp $fp $fp" \
	"$(for n in srv gwa gwb a1 a2 a3 b1; do fp_of "$n" 1; done | paste -sd ' ')"
check "the server's report: every member acknowledged epoch 1" \
	wait_until 20 all_acked 1
steps_logged() {
	log_has srv "figure b step 1: group $G" &&
		log_has srv "figure b step 2: group $G epoch 1" &&
		log_has gwa "figure b step 3: group $G epoch 1" &&
		log_has gwa "figure b step 4: group $G epoch 1" &&
		log_has gwa "figure b step 5: group $G epoch 1" &&
		log_has gwa "figure b step 6: group $G epoch 1" &&
		log_has a1 "figure b step 7: group $G epoch 1" &&
		log_has a1 "figure b step 8: group $G epoch 1"
}
check "each step was logged: server 1-2, gateway 3-6, PNE 7-8" steps_logged
# The gateway sends each broadcast over IPv6 and IPv4: A-1 hears two.
copies() {
	[ "$(grep -c "epoch 1: notification of gateway 1 verified" "$CPNSD_TMP/a1.log")" = 1 ] &&
		log_has a1 "a copy of one answered, dropped"
}
check "A-1 verified epoch 1 once and dropped the copies unverified" copies

# --- revocation ----------------------------------------------------------
cap a1 "$CPNSD_TMP/e2.a.bin"
cap b2 "$CPNSD_TMP/e2.b.bin"
ctl srv member del $G a3@gateway-a || bail "member del failed"
check "removing A-3 starts epoch 2, installed by A-1, A-2, B-1" \
	wait_until 30 at_epoch 2 a1 a2 b1
check "A-3 gets an exclusion notice over its session" \
	wait_until 20 log_has a3 "group $G: excluded by the gateway from epoch 2"
check_eq "A-3 holds no key of the group any more, and not epoch 2" "0 " \
	"$(epoch_of a3) $(fp_of a3 2)"
wait "${CAP_PIDS[@]}"
[ -s "$CPNSD_TMP/e2.a.bin" ] && [ -s "$CPNSD_TMP/e2.b.bin" ] || {
	grep -h "step 6\|step 7\|broadcast" "$CPNSD_TMP/gwa.log" \
		"$CPNSD_TMP/a1.log" | tail -20 | sed 's/^/# /'
	bail "no broadcast of epoch 2 was captured"
}
check "A-3's module refuses epoch 2 as not a member" \
	wait_until 10 eval 'send_to a a3 "$CPNSD_TMP/e2.a.bin"; log_has a3 "group $G epoch 2: not a member"'

# --- join ----------------------------------------------------------------
ctl srv member add $G a4@gateway-a || bail "member add a4 failed"
check "a new member, A-4, gets the current epoch 2" \
	wait_until 30 at_epoch 2 a4
check_eq "and no other: its only key of the group is epoch 2's" "2" \
	"$(ip netns exec a4 cpnsctl -j key show group $G | jq -r '[.[].epoch] | join(" ")')"
check "the report lists A-4 as acknowledged" wait_until 20 all_acked 2

# --- forgeries (A-1 is at epoch 2) ---------------------------------------
python3 - "$CPNSD_TMP/e2.a.bin" "$CPNSD_TMP" <<'EOF'
import sys
m = bytearray(open(sys.argv[1], "rb").read())
d = sys.argv[2]
bad = bytearray(m); bad[-1] ^= 1                 # signature bit flipped
open(d + "/f.badsig", "wb").write(bad)
sp = bytearray(m); sp[24 + 64] ^= 1              # first cover entry
open(d + "/f.splice", "wb").write(sp)
EOF
before=$(ip netns exec a1 cpnsctl -j stats show | jq '.installs + .installs_repeated + .refused_stale')
send_to a a1 "$CPNSD_TMP/f.badsig"
check "a flipped signature bit is refused: bad signature" \
	wait_until 10 log_has a1 "refused: bad signature"
n=$(grep -c "refused: bad signature" "$CPNSD_TMP/a1.log")
send_to a a1 "$CPNSD_TMP/f.splice"
check "a spliced cover entry is refused: bad signature" \
	wait_until 10 eval '[ $(grep -c "refused: bad signature" "$CPNSD_TMP/a1.log") -gt $n ]'
send_to a a1 "$CPNSD_TMP/e2.b.bin"
check "gateway B's notification is refused by A-1: not its gateway" \
	wait_until 10 log_has a1 "refused: notification of gateway 2; ours is 1"
ctl srv group-key rotate $G >/dev/null
wait_until 30 at_epoch 3 a1 a2 a4 b1 || bail "epoch 3 did not arrive"
send_to a a1 "$CPNSD_TMP/e2.a.bin"
check "a replay of epoch 2 after epoch 3 is refused as older" \
	wait_until 10 log_has a1 "group $G epoch 2 is older than the installed epoch 3"
check_eq "none of them reached the module (no install, repeat or stale refusal)" \
	"$((before + 1))" \
	"$(ip netns exec a1 cpnsctl -j stats show | jq '.installs + .installs_repeated + .refused_stale')"


cpnsd_cleanup
trap - EXIT
cpns_unload
finish
