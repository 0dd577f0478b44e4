#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Figure b when things go wrong: a PNE away during the broadcast, a
# gateway killed in the middle of a delivery, 20 rotations in a row
# (cpnsd_figb_lib.sh sets up the actors).
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
plan 24
. ./cpnsd_figb_lib.sh
echo "# set up in ${SECONDS}s"
# Group 66 protects A-1 -> A-2 datagrams to port 5000 on the fast path;
# gateway A routes between its PN links.
for p in a1 a2; do
	ip netns exec "$p" cpnsctl group add $G dst 10.92.12.2/32 dport 5000 ||
		bail "group add on $p failed"
done
ip netns exec gwa sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
ip -n a1 route add default via 10.92.11.1
ip -n a2 route add default via 10.92.12.1
ctl srv group-key rotate $G >/dev/null || bail "rotate failed"
wait_until 30 at_epoch 1 a1 a2 a3 b1 || bail "epoch 1 was not delivered"

# --- a PNE away during the broadcast -------------------------------------
daemon_stop a2
ctl srv group-key rotate $G >/dev/null
check "with A-2 down, the others install epoch 2" \
	wait_until 30 at_epoch 2 a1 a3 b1
check_eq "A-2 is reported missing" "a2" \
	"$(ctl srv -j group-key show $G | jq -r '[.. | objects | select(has("missing")) | .missing[]] | join(" ")')"
daemon_start a2 a2 || bail "A-2 did not restart"
check "A-2 back gets epoch 2 over its session" wait_until 30 at_epoch 2 a2
check "and the report is complete again" wait_until 20 all_acked 2

# --- a gateway killed during a delivery ----------------------------------
kill -STOP "$CPNSD_PID_a1"
ctl srv group-key rotate $G >/dev/null
wait_until 30 at_epoch 3 a2 a3 || bail "epoch 3 did not reach A-2, A-3"
daemon_stop gwa KILL
check_eq "A-1 (stopped) had not answered when gateway A died" "a1" \
	"$(ctl srv -j group-key show $G | jq -r '[.. | objects | select(has("missing")) | .missing[]] | join(" ")')"
daemon_start gwa gwa || bail "gateway A did not restart"
kill -CONT "$CPNSD_PID_a1"
check "gateway A restarted completes the delivery: A-1 at epoch 3" \
	wait_until 60 at_epoch 3 a1
check "every member acknowledged epoch 3" wait_until 30 all_acked 3

# --- 20 rotations in a row, with traffic -------------------------------
# A-2 counts what it receives on port 5000; A-1 sends 20 datagrams a
# second through the rotations, then 50 marked ones after the last
# acknowledgement.
ip netns exec a2 python3 - "$CPNSD_TMP/rx" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5000))
s.settimeout(90)
n = {b"R": 0, b"F": 0}
try:
    while n[b"F"] < 50:
        d = s.recv(2048)
        n[d[:1]] = n.get(d[:1], 0) + 1
except socket.timeout:
    pass
open(sys.argv[1], "w").write("%d %d\n" % (n[b"R"], n[b"F"]))
EOF
rx=$!
send() {	# MARK COUNT RATE: COUNT datagrams, or fewer once $CPNSD_TMP/stop is
	ip netns exec a1 python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    if os.path.exists(sys.argv[4]):
        break
    s.sendto(sys.argv[1].encode() + b" datagram %d" % i, ("10.92.12.2", 5000))
    time.sleep(1.0 / float(sys.argv[3]))
' "$@" "$CPNSD_TMP/stop"
}
sleep 1
send R 100000 20 &
tx=$!
for i in $(seq 20); do
	ctl srv group-key rotate $G >/dev/null || bail "rotation $i failed"
done
check "after 20 rotations every member is on epoch 23" \
	wait_until 60 at_epoch 23 a1 a2 a3 b1
check "and the server's report says so" wait_until 30 all_acked 23
touch "$CPNSD_TMP/stop"
wait "$tx"
rm "$CPNSD_TMP/stop"
st() {	# NS: the counters the check below compares
	ip netns exec "$1" cpnsctl -j stats show |
		jq -r '"\(.tx_no_key) \(.key_missing) \(.rx_auth_failed)"'
}
b1=$(st a1) b2=$(st a2)
send F 50 50
wait "$rx"
check_eq "after the last acknowledgement all 50 datagrams arrive" "50" \
	"$(cut -d' ' -f2 "$CPNSD_TMP/rx")"
check_eq "none went out without a key or came in under a missing one" \
	"$b1 $b2" "$(st a1) $(st a2)"
check "they were sealed and opened by the fast path" \
	test "$(ip netns exec a2 cpnsctl -j stats show | jq .rx_opened)" -ge 50
echo "# during the rotations A-2 received $(cut -d' ' -f1 "$CPNSD_TMP/rx") datagrams"
# --- a PNE that missed the broadcast pulls on key-missing --------------
# A-2 drops every broadcast; A-1's traffic under the new epoch makes A-2's
# module report key-missing, and A-2 pulls the key over its session.
ip netns exec a2 nft -f - <<'EOF' || bail "nft failed"
table inet figb {
	chain in {
		type filter hook input priority 0;
		udp dport 5333 drop
	}
}
EOF
ctl srv group-key rotate $G >/dev/null || bail "rotation 24 failed"
wait_until 30 at_epoch 24 a1 || bail "epoch 24 did not reach A-1"
check_eq "A-2, deaf to broadcasts, is still at epoch 23" 23 "$(epoch_of a2)"
send R 40 20
check "its module's key-missing makes it pull epoch 24 from its gateway" \
	wait_until 20 at_epoch 24 a2
check "and the log says it pulled" log_has a2 "group $G: key missing \(epoch 24 seen, 23 held\); pulled from the gateway"
ip netns exec a2 nft delete table inet figb

# --- the server killed: its epochs go on ---------------------------------
daemon_stop srv KILL
daemon_start srv srv || bail "the server did not restart"
check_eq "the server killed and restarted issues epoch 25 next" \
	"group $G epoch 25" "$(ctl srv group-key rotate $G)"
check "and every member installs it" wait_until 60 at_epoch 25 a1 a2 a3 b1

# --- forged traffic under a future epoch: pulls stay few ----------------
# Anyone on the path can name a future epoch (the tag cannot be checked
# without the key): ten seconds of such datagrams at A-2 (from the
# gateway's namespace, whose group has no selector to seal them) make
# its module report key-missing about once a second; A-2's pulls back off.
pulls() { grep -c "key missing (epoch 1025 seen" "$CPNSD_TMP/a2.log"; }
answers() { grep -c "PNE a2: pulled group $G" "$CPNSD_TMP/gwa.log"; }
p0=$(pulls) a0=$(answers)
ip netns exec gwa python3 -c '
import os, socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 10
seq = 1
while time.time() < end:
    hdr = struct.pack(">BBHIQQI", 1, 0, 0, 66, 1025, 0x1234, seq)
    s.sendto(hdr + os.urandom(48), ("10.92.12.2", 5000))
    seq += 1
    time.sleep(0.05)
'
sleep 1
p1=$(pulls) a1=$(answers)
echo "# 10 s of forged future-epoch datagrams: $((p1 - p0)) pulls, $((a1 - a0)) answers"
check "A-2 pulled, but at most 5 times in 10 s (1 s, doubling)" \
	test $((p1 - p0)) -ge 1 -a $((p1 - p0)) -le 5
check_eq "its gateway answered each pull with one notification" \
	"$((p1 - p0))" "$((a1 - a0))"
check_eq "and A-2 stays at epoch 25" 25 "$(epoch_of a2)"

# --- a PNE that floods pulls itself ---------------------------------------
# A-3's key in another client: 20 pulls at once on one session, then 3 s
# of listening.  The gateway answers 4 at once and about 1 a second
# after (per session), each answer one notification.
daemon_stop a3
ip netns exec a3 ./cpnsd_peer pull 10.92.13.1:4433 a3 "$CPNSD_TMP/a3.key" \
	$G 20 3 >"$CPNSD_TMP/pull.out"
sed -n '$s/^/# 20 pulls at once: /p' "$CPNSD_TMP/pull.out"
n=$(sed -n 's/^answers \([0-9]*\) .*/\1/p' "$CPNSD_TMP/pull.out")
check "20 pulls at once get 4 answers, and at most 3 more in 3 s" \
	test "${n:-0}" -ge 4 -a "${n:-99}" -le 7
check_eq "every answer is one Group Key Notification" "$n" \
	"$(grep -c '^gk-bcast$' "$CPNSD_TMP/pull.out")"
check "the gateway logged the pulls over the rate" \
	log_has gwa "PNE a3: pull of group $G over its rate; ignored"

check_eq "A-4 and B-2 (not members) hold none of them" "0 0" \
	"$(epoch_of a4) $(epoch_of b2)"

cpnsd_cleanup
trap - EXIT
cpns_unload
finish
