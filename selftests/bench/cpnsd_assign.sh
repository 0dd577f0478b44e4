#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# GKDK assignments per second through a real gateway (TLS 1.3 PSK
# handshake, GKDK Assignment Request, slot committed to SQLite with
# synchronous=FULL, response), with 1 and 50 concurrent clients, beside
# the peer: bare TLS 1.3 PSK handshakes against openssl s_server between
# the same two namespaces.  Goal: at least 0.5x the bare handshake rate.
. ./common.sh
. ./cpnsd_lib.sh
trap 'kill $srv 2>/dev/null; cpnsd_cleanup' EXIT
SECS=${SECS:-5}
peer=/ksft/cpns/cpnsd_peer

modprobe cpns
ns_add gw
ns_add cl
ns_veth gw v0 10.80.0.1 cl eth0 10.80.0.2
gw_conf gw 5 0.0.0.0:4433 '[limits]' 'rate = 100000' 'burst = 100000'
# The shipped build at its default log level: no per-step debug lines.
CPNSD_BIN=/bench/cpnsd CPNSD_DEBUG= daemon_start gw gw || exit 1
eu_key "$CPNSD_TMP/bench.key"
# One PNE a client thread: a gateway keeps one session per PNE.
for i in $(seq 0 49); do
	echo "pne add bench$i eu-key file $CPNSD_TMP/bench.key"
done >"$CPNSD_TMP/batch"
ctl gw -b "$CPNSD_TMP/batch" || exit 1
hex=$(od -An -tx1 "$CPNSD_TMP/bench.key" | tr -d ' \n')
ip netns exec gw openssl s_server -quiet -accept 4434 -tls1_3 -nocert \
	-psk_identity bench -psk "$hex" -num_tickets 0 >/dev/null 2>&1 </dev/null &
srv=$!
sleep 1

rate() {	# PORT ID THREADS [handshake]: the rate cpnsd_peer measured
	local port=$1 id=$2

	shift 2
	ip netns exec cl "$peer" bench "10.80.0.1:$port" "$id" \
		"$CPNSD_TMP/bench.key" "$1" "$SECS" $2 |
		sed -n 's/.*= \([0-9.]*\)\/s.*/\1/p'
}

# TAP like the other benchmarks: one result a row, not ok when nothing
# was measured; the numbers are comments.
echo "TAP version 13"
echo "1..2"
echo "# GKDK assignments through cpnsd vs bare TLS 1.3 PSK handshakes (openssl s_server), ${SECS} s each"
printf '# %-8s %14s %14s %8s\n' clients "assign/s" "handshake/s" ratio
n=0
for t in 1 50; do
	n=$((n + 1))
	a=$(rate 4433 'bench%' "$t")
	h=$(rate 4434 bench "$t" handshake)
	printf '# %-8s %14s %14s %8s\n' "$t" "$a" "$h" \
		"$(awk -v a="$a" -v h="$h" 'BEGIN { if (h > 0) printf "%.2fx", a / h; else print "-" }')"
	if [ -n "$a" ] && [ -n "$h" ] && awk -v a="$a" 'BEGIN { exit !(a > 0) }'; then
		echo "ok $n - $t client(s) measured"
	else
		echo "not ok $n - $t client(s): nothing measured"
	fi
done
kill "$srv"
exit 0
