#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's first wrapped Group Key install in a network namespace,
# the step that made the fan-out benchmark's first rotation slow: in each
# of N fresh namespaces a GKDK (the shared vector's), then the group,
# then the wrapped key, each timed, first one namespace at a time, then
# N at once as the fan-out's PNEs do.  The shipped cpnsctl
# (/demo/cpnsctl), not the sanitized one.
. ./common.sh
N=${FIRST_N:-40}
CTL=/demo/cpnsctl
[ -x "$CTL" ] || CTL=cpnsctl
tmp=$(mktemp -d)
trap 'for i in $(seq $((2 * N))); do ip netns del fi$i 2>/dev/null; done; rm -rf "$tmp"' EXIT

modprobe cpns || { echo "not ok 1 no cpns module"; exit 1; }
rec=$(awk 'BEGIN { RS = "" } /result = ok/ { print; exit }' /ksft/cpns/vectors/cs-open.vec)
field() { echo "$rec" | sed -n "s/^$1 = //p"; }
hex2bin() { printf '%b' "$(echo "$1" | sed 's/../\\x&/g')" >"$2"; }
hex2bin "$(field gkdk)" "$tmp/gkdk"
hex2bin "$(field blob)" "$tmp/blob"
chmod 600 "$tmp/gkdk" "$tmp/blob"
group=$((16#$(field blob | cut -c33-40)))
valid_from=$((16#$(field blob | cut -c65-80)))
clock=$(date +%s)
date -s "@$((valid_from + 60))" >/dev/null

ms() { echo $(( (${EPOCHREALTIME/./} - $1) / 1000 )); }

# one NS: gkdk set, group add, key add wrapped; "gkdk group key" in ms.
one() {
	local ns=$1 t a b c

	t=${EPOCHREALTIME/./}
	ip netns exec "$ns" "$CTL" gkdk set file "$tmp/gkdk" || return 1
	a=$(ms "$t")
	t=${EPOCHREALTIME/./}
	ip netns exec "$ns" "$CTL" group add "$group" || return 1
	b=$(ms "$t")
	t=${EPOCHREALTIME/./}
	ip netns exec "$ns" "$CTL" key add group "$group" wrapped file "$tmp/blob" ||
		return 1
	c=$(ms "$t")
	echo "$a $b $c"
}

stats() {	# column: min/median/max
	cut -d' ' -f"$1" | sort -n | awk '{ v[NR] = $1 }
		END { printf "%d/%d/%d", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo "TAP version 13"
echo "1..2"
for i in $(seq $((2 * N))); do echo "netns add fi$i"; done | ip -b - ||
	{ echo "not ok 1 namespaces"; exit 1; }
: >"$tmp/seq"
for i in $(seq "$N"); do
	one "fi$i" >>"$tmp/seq" || { echo "not ok 1 install in fi$i"; exit 1; }
done
echo "# one namespace at a time, $N namespaces, min/median/max ms:" \
	"gkdk set $(stats 1 <"$tmp/seq"), group add $(stats 2 <"$tmp/seq")," \
	"first wrapped key $(stats 3 <"$tmp/seq")"
echo "ok 1 one at a time"
t0=${EPOCHREALTIME/./}
for i in $(seq $((N + 1)) $((2 * N))); do
	one "fi$i" >"$tmp/par.$i" &
done
wait
cat "$tmp"/par.* >"$tmp/par"
echo "# $N namespaces at once (all done in $(ms "$t0") ms), min/median/max ms:" \
	"gkdk set $(stats 1 <"$tmp/par"), group add $(stats 2 <"$tmp/par")," \
	"first wrapped key $(stats 3 <"$tmp/par")"
date -s "@$((clock + 5))" >/dev/null
[ "$(wc -l <"$tmp/par")" = "$N" ] && echo "ok 2 $N at once" ||
	{ echo "not ok 2 $N at once: $(wc -l <"$tmp/par") finished"; exit 1; }
