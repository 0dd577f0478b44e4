#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Figure b when things go wrong: a PNE away during the broadcast, a
# gateway killed in the middle of a delivery, 20 rotations in a row
# (cpnsd_figb_lib.sh sets up the actors).
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
plan 10
. ./cpnsd_figb_lib.sh
echo "# set up in ${SECONDS}s"
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

# --- 20 rotations in a row -----------------------------------------------
for i in $(seq 20); do
	ctl srv group-key rotate $G >/dev/null || bail "rotation $i failed"
done
check "after 20 rotations every member is on epoch 23" \
	wait_until 60 at_epoch 23 a1 a2 a3 b1
check "and the server's report says so" wait_until 30 all_acked 23
check_eq "A-4 and B-2 (not members) hold none of them" "0 0" \
	"$(epoch_of a4) $(epoch_of b2)"
