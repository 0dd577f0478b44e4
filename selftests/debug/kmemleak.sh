#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run last in the collection (selftests/Makefile lists it last): a
# kmemleak scan after every other test, which fails on any unreferenced
# object whose allocation backtrace names cpns, or names a module that
# is gone (cpns, unloaded by a test, leaves only raw addresses).
# Needs CONFIG_DEBUG_KMEMLEAK: the debug kernel of make check-debug.
. ./common.sh
kmemleak=/sys/kernel/debug/kmemleak
if [ ! -e "$kmemleak" ]; then
	echo "1..0 # SKIP no kmemleak (CONFIG_DEBUG_KMEMLEAK)"
	exit 4
fi
plan 2

# Loaded, so that its symbols resolve in the backtraces.
modprobe cpns
# An object is reported once it stayed unreferenced across scans and is
# older than kmemleak's minimum age (5 s).
check "kmemleak scans" bash -c "echo scan >$kmemleak && sleep 6 && echo scan >$kmemleak"
report=$(cat "$kmemleak")
ours=$(awk -v RS='unreferenced object' \
	'/cpns|\[<[0-9a-f]+>\] 0x[0-9a-f]+\n/ { print "unreferenced object" $0 }' \
	<<<"$report")
if [ -z "$ours" ]; then
	ok "no leak of cpns ($(grep -c '^unreferenced object' <<<"$report") other suspects)"
else
	not_ok "no leak of cpns"
	sed 's/^/# /' <<<"$ours" | head -80
fi
cpns_unload
finish
