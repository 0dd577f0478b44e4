#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Objects that vanish while cpnsctl works on a list of them: a flush
# racing another deleter, and -s group show (a dump, then one request per
# group) when groups are deleted under it.  Like ip, cpnsctl skips what
# is gone instead of failing the whole command.
. ./common.sh
plan 6

cpns_unload
modprobe cpns
tmp=$(mktemp -d)
umask 077
busybox=/bin/busybox

hex2bin() {	# HEX FILE
	printf '%b' "$(echo "$1" | sed 's/../\\x&/g')" >"$2"
}

# 64 GKDKs, one per gateway: the vector's GKDK with gateway ids 1..64.
rec=$(awk 'BEGIN { RS = "" } /result = ok/ { print; exit }' vectors/cs-open.vec)
gkdk=$(echo "$rec" | sed -n 's/^gkdk = //p')
for i in $(seq 64); do
	hex2bin "${gkdk:0:16}$(printf '%016x' "$i")${gkdk:32}" "$tmp/g$i"
	echo "gkdk set file $tmp/g$i"
done >"$tmp/set"

wait_wchan() {	# PID PATTERN: until PID sleeps in a function matching PATTERN
	for _ in $(seq 100); do
		grep -qE "$2" "/proc/$1/wchan" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# gkdk flush lists the GKDKs, then deletes them one by one.  It crawls
# (nice 10 against a busy loop: a tenth of the CPU, enough to start and
# list within the budget on a debug kernel, while the monitor's and the
# shell's wakeups still preempt it); the first deletion's event stops it,
# a second flush takes the rest, and the first one resumes to find the
# GKDKs it listed gone.
cpnsctl -b "$tmp/set" >/dev/null
coproc MON { exec cpnsctl monitor gkdk-del; }
mon=$MON_PID
wait_wchan "$mon" poll
while :; do :; done &
hog=$!
(
	$busybox renice -n 10 -p "$BASHPID" >/dev/null
	exec cpnsctl gkdk flush
) 2>"$tmp/flush.err" &
flusher=$!
read -r -t 300 first <&"${MON[0]}"
kill -STOP "$flusher"
kill "$hog"
wait "$hog" 2>/dev/null
left=$(cpnsctl -j gkdk show | jq length)
cpnsctl gkdk flush
kill -CONT "$flusher"
$busybox renice -n 0 -p "$flusher" >/dev/null
wait "$flusher"
status=$?
kill -INT "$mon"
wait "$mon"
echo "# the first flush had deleted $((64 - ${left:-64})) when it was stopped"
check_eq "the race happened: the first flush had deleted some, not all" yes \
	"$([ "${left:-0}" -gt 0 ] && [ "$left" -lt 64 ] &&
	   [[ $first == "[gkdk-del]"* ]] && echo yes || echo "no ($left left, event '$first')")"
check_eq "gkdk flush skips GKDKs another deleter took" "0 ''" \
	"$status '$(cat "$tmp/flush.err")'"
check_eq "and nothing is left" 0 "$(cpnsctl -j gkdk show | jq length)"

# -s group show lists the groups, then asks each one's counters.  Its
# output goes to a pipe read one 4 KiB block at a time, so it can be
# stopped in a write at a chosen block: 16 blocks fill the pipe and the
# print that fills block 17 + r waits until r blocks are read.  A dry run
# says which block boundary falls in some group G's line (before its
# counters are printed); stopped there, G and the next group are deleted.
for i in $(seq 400); do
	echo "group add $((1000000 + i)) dst 10.9.$((i / 250)).$((i % 250 + 1))/32"
done | cpnsctl -b - >/dev/null
cpnsctl -s group show >"$tmp/dry"
read -r k g next <<<"$(awk -v first=17 '
	/^group / { id[++n] = $2; gs[n] = off; pend = 1 }
	pend && /^\tdst / { ge[n] = off + length($0); pend = 0 }
	{ off += length($0) + 1 }
	END {
		for (k = first; k * 4096 < off; k++)
			for (i = 1; i < n; i++)
				if (k * 4096 >= gs[i] && k * 4096 < ge[i]) {
					print k, id[i], id[i + 1]
					exit
				}
	}' "$tmp/dry")"
$busybox mkfifo "$tmp/fifo"
cpnsctl -s group show >"$tmp/fifo" 2>"$tmp/show.err" &
lister=$!
exec 3<"$tmp/fifo"
for _ in $(seq 17 $((k - 1))); do
	dd bs=4096 count=1 iflag=fullblock <&3 >>"$tmp/show.out" 2>/dev/null
done
sleep 1
check "the lister is stopped in a write, at group $g" wait_wchan "$lister" pipe_write
cpnsctl group del "$g"
cpnsctl group del "$next"
cat <&3 >>"$tmp/show.out"
exec 3<&-
wait "$lister"
status=$?
check_eq "-s group show skips the groups deleted under it" "0 ''" \
	"$status '$(cat "$tmp/show.err")'"
check_eq "it listed every group but the one deleted before its turn" \
	"399 0 399" \
	"$(grep -c '^group ' "$tmp/show.out") $(grep -c "^group $next " "$tmp/show.out") $(grep -c '^	fwd: verified 0$' "$tmp/show.out")"
cpnsctl group flush

rm -rf "$tmp"
cpns_unload
finish
