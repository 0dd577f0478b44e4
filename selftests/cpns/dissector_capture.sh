#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Captures for the Wireshark dissector's host test
# (selftests/wireshark/check-dissector.sh): a CPNS Server, gateway 1 and
# PNEs a1, a2 (real daemons, SSLKEYLOGFILE set), and cpnsd_peer as PNEs
# x1..x3, play every CPNS message type while tcpdump listens on every
# link of the gateway: figure a (gkdk-req, gkdk-resp), figure b twice
# (gk-notify, gk-resp, the broadcast gk-bcast), a gk-pull answered by a
# gk-bcast, one answered by a gk-exclude, Errors (not_member, malformed,
# revoked), keepalives, a gkdk-renew when the key material set fills,
# and fast-path datagrams a1 -> a2 in both epochs.  The capture, the key
# log, the server's database (the Group Keys) and what the test saw
# (facts) go to the host as "# CPNS-FILE NAME BASE64" lines
# (selftests/wireshark/extract.py reads them back).
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
T=$CPNSD_TMP
G=66
PORT=5066
plan 19

cpns_unload
modprobe cpns || bail "modprobe cpns failed"
command -v tcpdump >/dev/null || bail "no tcpdump in the image"

# --- certificates, namespaces, links ------------------------------------
umask 077
cpnsd_pki "$T/pki" cpns-server:serverAuth gateway-a:clientAuth
for ns in srv gw a1 a2; do
	ns_add "$ns"
	ip netns exec "$ns" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad &&
		echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad'
done
ns_veth srv sa 10.91.1.1 gw up0 10.91.1.2
ns_veth gw pa1 10.92.11.1 a1 pn0 10.92.11.2
ns_veth gw pa2 10.92.12.1 a2 pn0 10.92.12.2
ip -n a1 route add default via 10.92.11.1
ip -n a2 route add default via 10.92.12.1
ip netns exec gw sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'

# --- the capture, before any daemon: TLS needs the handshakes ------------
ip netns exec gw tcpdump -i any -U -Z root -w "$T/cpns.pcap" \
	"tcp port 4433 or udp port 5333 or udp port $PORT" 2>"$T/tcpdump.log" &
TCPDUMP=$!
wait_until 30 grep -q "listening on" "$T/tcpdump.log" ||
	bail "tcpdump did not start: $(cat "$T/tcpdump.log")"

# --- the daemons --------------------------------------------------------
# The server and the gateway both listen on 4433 (the dissector's
# default), in their own namespaces; keepalives every 2 s so that some
# are captured.
export SSLKEYLOGFILE=$T/keylog
# The key log's 0600 must be the daemon's doing, not the umask's.
umask 022
mkdir -p "$T/srv.state" "$T/gw.state"
{
	printf '[cpnsd]\nrole = server\nstate-dir = %s\ncontrol = %s\n' \
		"$T/srv.state" "$T/srv.ctl"
	printf '[server]\nlisten = 0.0.0.0:4433\n'
	printf '[limits]\nkeepalive = 2\n'
	tls cpns-server
} >"$T/srv.conf"
{
	printf '[cpnsd]\nrole = gateway\nstate-dir = %s\ncontrol = %s\n' \
		"$T/gw.state" "$T/gw.ctl"
	printf '[gateway]\nid = 1\nlisten = 0.0.0.0:4433\nheight = 2\n'
	printf 'server = 10.91.1.1:4433\npn-interface = pa1\npn-interface = pa2\n'
	printf '[limits]\nretry-min = 1\nretry-max = 4\nkeepalive = 2\n'
	tls gateway-a
	printf 'server-name = cpns-server\n'
} >"$T/gw.conf"
daemon_launch srv srv
daemon_launch gw gw
daemon_ready srv gw || bail "the server or the gateway did not start"
for p in a1 a2 x1 x2 x3; do
	eu_key "$T/$p.key"
	ctl gw pne add "$p" eu-key file "$T/$p.key" || bail "pne add $p failed"
done
for p in a1 a2; do
	{
		printf '[cpnsd]\nrole = pne\ncontrol = %s\n' "$T/$p.ctl"
		printf '[pne]\nid = %s\neu-key-file = %s\ngateway = 10.92.1%s.1:4433\n' \
			"$p" "$T/$p.key" "${p#a}"
		printf 'pn-interface = pn0\n'
		printf '[limits]\nretry-min = 1\nretry-max = 2\nkeepalive = 2\n'
	} >"$T/$p.conf"
	daemon_launch "$p" "$p"
done
daemon_ready a1 a2 || bail "a PNE did not start"

# --- figure a -----------------------------------------------------------
wait_until 30 has_gkdk a1 1 && wait_until 30 has_gkdk a2 1 ||
	bail "a PNE got no GKDK"
up_as() {	# CN: the server has a session up with it
	[ "$(ctl srv -j daemon show |
	     jq -r --arg cn "$1" '[.peers[] | select(.id == $cn and .state == "up")] | length')" = 1 ]
}
wait_until 30 up_as gateway-a || bail "the gateway has no session to the server"
peer() {	# ID VERB [ARGS]: cpnsd_peer from a1's link as PNE ID
	local id=$1 verb=$2

	shift 2
	ip netns exec a1 ./cpnsd_peer "$verb" 10.92.11.1:4433 "$id" "$T/$id.key" "$@"
}
x1_slot=$(peer x1 assign)
a1_slot=$(gkdk_of a1 1 | cut -d' ' -f1)
a2_slot=$(gkdk_of a2 1 | cut -d' ' -f1)
check_eq "figure a: a1 and a2 hold slots 0 and 1 of set 1; x1 gets slot 2" \
	"0 1 slot 2 set 1" "$a1_slot $a2_slot $x1_slot"

# --- figure b: epoch 1 for a1, a2, x1; datagrams a1 -> a2 -----------------
for n in a1 a2 gw; do
	ip netns exec "$n" cpnsctl group add $G dst 10.92.12.2/32 dport $PORT ||
		bail "group add in $n failed"
done
for m in a1 a2 x1; do
	ctl srv member add $G "$m@gateway-a" || bail "member add $m failed"
done
epoch_of() {	# NS
	ip netns exec "$1" cpnsctl -j group show $G 2>/dev/null |
		jq -r '.current_epoch // 0'
}
at_epoch() {	# EPOCH NS...
	local e=$1 p

	shift
	for p in "$@"; do
		[ "$(epoch_of "$p")" = "$e" ] || return 1
	done
}
fp_of() {	# NS EPOCH: the fingerprint of group 66's key of EPOCH there
	ip netns exec "$1" cpnsctl -j key show group $G |
		jq -r --argjson e "$2" '.[] | select(.epoch == $e) | .fingerprint'
}
stat_of() {	# NS FIELD
	ip netns exec "$1" cpnsctl -j stats group $G | jq -r ".$2"
}
acked() {	# EPOCH PNE...: the gateway heard each one's Group Key Response
	local e=$1 p

	shift
	for p in "$@"; do
		log_has gw "figure b step 7: PNE $p installed group $G epoch $e$" || return 1
	done
}
send() {	# EPOCH: three datagrams a1 -> a2, their payloads in facts
	local i

	for i in 1 2 3; do
		ip netns exec a1 bash -c 'echo "cpns dissector epoch $1 datagram $2" \
			>/dev/udp/10.92.12.2/'$PORT _ "$1" "$i"
		printf 'cpns dissector epoch %s datagram %s\n' "$1" "$i" | od -An -tx1 |
			tr -d ' \n' >>"$T/dgram_$1"
		echo >>"$T/dgram_$1"
	done
}
members() {	# the members of group 66 the server lists
	ctl srv -j member show $G | jq -r '[.[].pne] | sort | join(" ")'
}
members_1=$(members)
ctl srv group-key rotate $G >/dev/null || bail "rotate failed"
check "epoch 1: a1 and a2 install it and answer (gk-notify, gk-bcast, gk-resp)" \
	wait_until 30 eval 'at_epoch 1 a1 a2 && acked 1 a1 a2'
fp_1=$(fp_of a2 1)
send 1
check_eq "3 datagrams sealed by a1, verified by the gateway, opened by a2" "3 3 3" \
	"$(stat_of a1 tx_sealed) $(stat_of gw fwd_verified) $(stat_of a2 rx_opened)"

# --- pulls and Errors over PNE x1's sessions -------------------------------
# Messages by hand (Documentation/protocol.rst): gk-pull (01 0a, flags 0,
# body length) with group 66 (attribute 5) and epoch 1 (attribute 6).
# x1 is a member: it gets a gk-bcast.
check_eq "x1's gk-pull (with epoch) is answered by a gk-bcast" "gk-bcast" \
	"$(peer x1 raw 010a0000000000140005000400000042000600080000000000000001)"
ctl srv member del $G x1@gateway-a || bail "member del x1 failed"
members_2=$(members)
check "epoch 2 (x1 removed): a1 and a2 install it" \
	wait_until 30 eval 'at_epoch 2 a1 a2 && acked 2 a1 a2'
fp_2=$(fp_of a2 2)
send 2
check_eq "3 more datagrams, sealed under epoch 2, opened by a2" "6 6" \
	"$(stat_of a1 tx_sealed) $(stat_of a2 rx_opened)"
check_eq "x1's gk-pull (no epoch) is answered by a gk-exclude" "gk-exclude" \
	"$(peer x1 raw 010a0000000000080005000400000042)"
check_eq "a gk-pull of a group x1 is not in: an Error not_member" \
	"error not_member " "$(peer x1 raw 010a0000000000080005000400000043)"
err_malformed=$(peer x1 raw 0201000000000000)
check "a message of version 2: an Error malformed, with a text" \
	eval '[[ $err_malformed =~ ^error\ malformed\ .+ ]]'
ctl gw pne revoke x1 || bail "pne revoke x1 failed"
err_revoked=$(peer x1 assign)
check "x1, revoked, is told so: an Error revoked, with a text" \
	eval '[[ $err_revoked =~ ^error\ revoked\ .+ ]]'

# --- gkdk-renew: slot 2 is burnt, x2 takes slot 3, x3 starts set 2 --------
set_of() {	# NS
	ip netns exec "$1" cpnsctl -j gkdk show |
		jq -r '.[] | select(.gateway == "0x0000000000000001") | .set_id'
}
x2_slot=$(peer x2 assign)
x3_slot=$(peer x3 assign)
check_eq "x2 fills set 1, x3 starts set 2" "slot 3 set 1,slot 0 set 2" \
	"$x2_slot,$x3_slot"
check "a1 and a2 are told (gkdk-renew) and hold GKDKs of set 2" \
	wait_until 30 eval '[ "$(set_of a1) $(set_of a2)" = "2 2" ]'
# A few more keepalives on the new sessions, then the end of the capture.
sleep 3
kill -INT "$TCPDUMP"
wait "$TCPDUMP"

# --- what the host needs to check the decoding ---------------------------
{
	echo "gateway_id = 1"
	echo "gateway_cn = gateway-a"
	echo "group = $G"
	echo "height = 2"
	echo "tls_port = 4433"
	echo "fp_port = $PORT"
	echo "pnes = a1 a2 x1 x2 x3"
	echo "members_1 = $members_1"
	echo "members_2 = $members_2"
	for p in a1 a2; do
		echo "gkdk_$p = $(ip netns exec $p cpnsctl -j gkdk show |
			jq -r '.[] | "\(.set_id) \(.slot) \(.fingerprint)"')"
	done
	# The slots of set 1, which both epochs' covers are made of.
	x1n=${x1_slot#slot }
	echo "set1_slots = a1:$a1_slot a2:$a2_slot x1:${x1n%% *}"
	echo "assign_x1 = $x1_slot"
	echo "assign_x2 = $x2_slot"
	echo "assign_x3 = $x3_slot"
	echo "err_malformed = ${err_malformed#error malformed }"
	echo "err_revoked = ${err_revoked#error revoked }"
	echo "fp_1 = $fp_1"
	echo "fp_2 = $fp_2"
	for e in 1 2; do
		echo "dgram_$e = $(paste -sd' ' "$T/dgram_$e")"
	done
} >"$T/facts"
check_eq "a2 showed the fingerprints of the keys of epochs 1 and 2" "16 16" \
	"${#fp_1} ${#fp_2}"
daemon_stop srv
daemon_stop gw
daemon_stop a1
daemon_stop a2
keylog_ok() {
	[ "$(stat -c %a "$T/keylog")" = 600 ] &&
		grep -q '^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]\{64\} [0-9a-f]\{64\}$' "$T/keylog" &&
		grep -q '^SERVER_HANDSHAKE_TRAFFIC_SECRET ' "$T/keylog" &&
		log_has gw "SSLKEYLOGFILE: TLS session keys are written to $T/keylog"
}
check "SSLKEYLOGFILE: the daemons wrote the key log, mode 0600, and warned" keylog_ok

# tcpdump's own reading of the capture: it holds each kind of traffic.
count() {	# FILTER
	tcpdump -Z root -r "$T/cpns.pcap" -n "$1" 2>/dev/null | wc -l
}
caps_ok() {
	local tls bcast fp

	tls=$(count "tcp port 4433 and tcp[tcpflags] & tcp-push != 0")
	bcast=$(count "udp port 5333")
	fp=$(count "udp port $PORT")
	echo "# capture: $tls TLS segments with data, $bcast broadcasts, $fp sealed datagrams"
	# Each sealed datagram twice: on a1's link and, forwarded, on a2's.
	[ "$tls" -gt 20 ] && [ "$bcast" -ge 8 ] && [ "$fp" = 12 ]
}
check "the capture holds the TLS sessions, the broadcasts and 12 sealed datagrams" caps_ok

# --- to the host --------------------------------------------------------
emit() {	# NAME FILE
	[ -s "$2" ] || return 1
	base64 -w 76 "$2" | sed "s/^/# CPNS-FILE $1 /"
	echo "# CPNS-FILE-END $1 $(stat -c %s "$2")"
}
# The server's database holds the Group Keys; its WAL, if the server
# left one, goes with it.
[ -s "$T/srv.state/server.db-wal" ] &&
	emit server.db-wal "$T/srv.state/server.db-wal"
cp "$T/srv.state/server.db" "$T/server.db"
for f in cpns.pcap keylog facts server.db; do
	if emit "$f" "$T/$f"; then
		ok "emitted $f ($(stat -c %s "$T/$f") bytes)"
	else
		not_ok "emitted $f: empty"
	fi
done

cpnsd_cleanup
trap - EXIT
cpns_unload
finish
