# SPDX-License-Identifier: GPL-2.0
#
# The actors of figure b for the daemon's tests, each in its own
# namespace with the module's per-namespace state: a CPNS Server, gateways
# A and B (X.509 to the server, which they know by name), PNEs A-1..A-4 on
# A and B-1, B-2 on B, each PNE on its own link to its gateway (the
# gateway broadcasts on every PN interface).  Sourced after cpnsd_lib.sh,
# it starts them all and returns once every PNE holds its GKDK and both
# gateways have their session to the server, with A-1, A-2, A-3 and B-1
# members of group 66 (which has no key yet).

G=66
cpns_unload
modprobe cpns
umask 077
cpnsd_pki "$CPNSD_TMP/pki" cpns-server:serverAuth gateway-a:clientAuth \
	gateway-b:clientAuth

# Link-local IPv6 at once: no duplicate address detection to wait for.
nsx() {	# NAME
	ns_add "$1"
	ip netns exec "$1" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad &&
		echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad' ||
		bail "cannot turn off DAD in $1"
}
nsx srv
declare -A GWID=([a]=1 [b]=2) PNES=([a]="a1 a2 a3 a4" [b]="b1 b2")
for g in a b; do
	nsx "gw$g"
	ns_veth srv "s$g" "10.91.${GWID[$g]}.1" "gw$g" up0 "10.91.${GWID[$g]}.2"
done
{
	printf '[cpnsd]\nrole = server\nstate-dir = %s\ncontrol = %s\n' \
		"$CPNSD_TMP/srv.state" "$CPNSD_TMP/srv.ctl"
	printf '[server]\nlisten = 0.0.0.0:4434\n'
	tls cpns-server
} >"$CPNSD_TMP/srv.conf"
mkdir -p "$CPNSD_TMP/srv.state"
# Launched together, then waited for: TCG starts each daemon slowly.
daemon_launch srv srv
for g in a b; do
	n=0
	ifs=()
	for p in ${PNES[$g]}; do
		n=$((n + 1))
		nsx "$p"
		ns_veth "gw$g" "p$p" "10.92.${GWID[$g]}$n.1" "$p" pn0 \
			"10.92.${GWID[$g]}$n.2"
		ifs+=("pn-interface = p$p")
	done
	gw_conf "gw$g" "${GWID[$g]}" 0.0.0.0:4433 "$(tls "gateway-$g")"
	sed -i "s/^height = 4\$/height = 4\nserver = 10.91.${GWID[$g]}.1:4434\n${ifs[*]}/" \
		"$CPNSD_TMP/gw$g.conf"
	sed -i 's/ pn-interface/\npn-interface/g' "$CPNSD_TMP/gw$g.conf"
	echo 'server-name = cpns-server' >>"$CPNSD_TMP/gw$g.conf"
	daemon_launch "gw$g" "gw$g"
done
daemon_ready srv gwa gwb || bail "the server or a gateway did not start"
for g in a b; do
	n=0
	for p in ${PNES[$g]}; do
		n=$((n + 1))
		pne_conf "$p" "10.92.${GWID[$g]}$n.1:4433"
		sed -i 's/^eu-key-file/pn-interface = pn0\neu-key-file/' \
			"$CPNSD_TMP/$p.conf"
		ctl "gw$g" pne add "$p" eu-key file "$CPNSD_TMP/$p.key" ||
			bail "pne add $p failed"
		daemon_launch "$p" "$p"
	done
done
daemon_ready a1 a2 a3 a4 b1 b2 || bail "a PNE did not start"
for p in a1 a2 a3 a4; do
	wait_until 30 has_gkdk "$p" 1 || bail "PNE $p got no GKDK"
done
for p in b1 b2; do
	wait_until 30 has_gkdk "$p" 2 || bail "PNE $p got no GKDK"
done
up_as() {	# CN
	[ "$(ctl srv -j daemon show |
	     jq -r --arg cn "$1" '[.peers[] | select(.id == $cn and .state == "up")] | length')" = 1 ]
}
wait_until 30 up_as gateway-a && wait_until 30 up_as gateway-b ||
	bail "the gateways have no session to the server"

# epoch_of NS: the current epoch of group 66 in the module of NS, or 0.
epoch_of() {
	local e

	e=$(ip netns exec "$1" cpnsctl -j group show $G 2>/dev/null |
	    jq -r '.current_epoch // 0' 2>/dev/null)
	echo "${e:-0}"
}
# fp_of NS EPOCH: the fingerprint of that key in NS, or nothing.
fp_of() {
	ip netns exec "$1" cpnsctl -j key show group $G 2>/dev/null |
		jq -r --argjson e "$2" '.[] | select(.epoch == $e) | .fingerprint'
}
at_epoch() {	# EPOCH NS...: every NS is at EPOCH
	local e=$1 p

	shift
	for p in "$@"; do
		[ "$(epoch_of "$p")" = "$e" ] || return 1
	done
}
# all_acked EPOCH: the server's report of group 66 lists that epoch and
# no PNE missing.
all_acked() {
	local j

	j=$(ctl srv -j group-key show $G) || return 1
	[ "$(echo "$j" | jq -r '.[0].epoch')" = "$1" ] &&
		[ "$(echo "$j" | jq '[.. | objects | select(has("missing")) | .missing[]] | length')" = 0 ]
}


# cap NS OUT: the next Group Key Notification heard on pn0, in the
# background (CAP_PIDS).
CAP_PIDS=()
cap() {
	ip netns exec "$1" python3 - "$2" <<-'EOF' &
	import select, socket, struct, sys
	idx = socket.if_nametoindex("pn0")
	s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
	s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
	s6.bind(("::", 5333))
	mr = socket.inet_pton(socket.AF_INET6, "ff02::114") + struct.pack("@I", idx)
	s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mr)
	s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s4.bind(("0.0.0.0", 5333))
	mr = socket.inet_aton("224.0.0.254") + struct.pack("@ii", 0, idx)
	s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mr)
	open(sys.argv[1] + ".ready", "w").close()
	r, _, _ = select.select([s6, s4], [], [], 60)
	if r:
	    open(sys.argv[1], "wb").write(r[0].recv(70000))
	EOF
	CAP_PIDS+=($!)
	# Python starts slowly under TCG: the broadcast must find it joined.
	wait_until 30 test -e "$2.ready" || bail "the capture did not start"
}
# send_to GW PNE FILE: a datagram from the gateway side of the PNE's link.
send_to() {
	local gw=$1 p=$2

	ip netns exec "gw$gw" python3 - "p$p" "$3" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
	idx = socket.if_nametoindex(sys.argv[1])
	s.sendto(open(sys.argv[2], "rb").read(), ("ff02::114", 5333, 0, idx))
	EOF
}

for m in a1@gateway-a a2@gateway-a a3@gateway-a b1@gateway-b; do
	ctl srv member add $G "$m" || bail "member add $m failed"
done
