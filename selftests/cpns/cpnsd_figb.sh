#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Figure b end to end between real daemons, each in its own namespace
# with the module's per-namespace state: a CPNS Server, gateways A and B
# (X.509 to the server), PNEs A-1..A-4 on A and B-1, B-2 on B, each PNE on
# its own link to its gateway (the gateway broadcasts on every PN
# interface).  Members of group 66: A-1, A-2, A-3 and B-1; A-4 and B-2
# are outside it.  Then revocation, join, an absent PNE, a gateway killed
# during a delivery, forged notifications, 20 rotations in a row and
# fast-path traffic across rotations.
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
plan 30

G=66
cpns_unload
modprobe cpns
pki=$CPNSD_TMP/pki
mkdir -p "$pki"
printf '[req]\ndistinguished_name = dn\n[dn]\n' >"$pki/openssl.cnf"
export OPENSSL_CONF=$pki/openssl.cnf
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
umask 077
openssl req -x509 $ec -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 30 \
	-subj "/CN=ca" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
	bail "openssl could not make the CA"
for n in cpns-server:serverAuth gateway-a:clientAuth gateway-b:clientAuth; do
	openssl req -x509 -CA "$pki/ca.crt" -CAkey "$pki/ca.key" $ec \
		-keyout "$pki/${n%%:*}.key" -out "$pki/${n%%:*}.crt" -days 30 \
		-subj "/CN=${n%%:*}" -addext "basicConstraints=critical,CA:FALSE" \
		-addext "keyUsage=critical,digitalSignature" \
		-addext "extendedKeyUsage=${n#*:}" 2>/dev/null ||
		bail "openssl could not make ${n%%:*}'s certificate"
done
tls() {	# NAME
	printf '[tls]\ncertificate = %s\nprivate-key = %s\nca = %s\n' \
		"$pki/$1.crt" "$pki/$1.key" "$pki/ca.crt"
}

# Link-local IPv6 at once: no duplicate address detection to wait for.
nsx() {	# NAME
	ns_add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
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
daemon_start srv srv || bail "the server did not start"

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
	daemon_start "gw$g" "gw$g" || bail "gateway $g did not start"
	n=0
	for p in ${PNES[$g]}; do
		n=$((n + 1))
		pne_conf "$p" "10.92.${GWID[$g]}$n.1:4433"
		sed -i 's/^eu-key-file/pn-interface = pn0\neu-key-file/' \
			"$CPNSD_TMP/$p.conf"
		ctl "gw$g" pne add "$p" eu-key-file "$CPNSD_TMP/$p.key" ||
			bail "pne add $p failed"
		daemon_start "$p" "$p" || bail "PNE $p did not start"
	done
done
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

for m in a1@gateway-a a2@gateway-a a3@gateway-a b1@gateway-b; do
	ctl srv member add $G "$m" || bail "member add $m failed"
done
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
	"$(for n in srv gwa gwb a1 a2 a3 b1; do fp_of "$n" 1; done | xargs)"
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

# cap NS OUT: the next Group Key Notification heard on pn0, in the
# background (CAP_PIDS).
CAP_PIDS=()
cap() {
	ip netns exec "$1" python3 - "$2" <<-'EOF' &
	import socket, struct, sys
	s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("::", 5333))
	idx = socket.if_nametoindex("pn0")
	mr = socket.inet_pton(socket.AF_INET6, "ff02::114") + struct.pack("@I", idx)
	s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mr)
	s.settimeout(60)
	open(sys.argv[1], "wb").write(s.recv(70000))
	EOF
	CAP_PIDS+=($!)
}
# send_to PNE FILE: a datagram from its gateway's side of its link.
send_to() {
	local gw=$1 p=$2

	ip netns exec "gw$gw" python3 - "p$p" "$3" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
	idx = socket.if_nametoindex(sys.argv[1])
	s.sendto(open(sys.argv[2], "rb").read(), ("ff02::114", 5333, 0, idx))
	EOF
}

# --- revocation ----------------------------------------------------------
cap a1 "$CPNSD_TMP/e2.a.bin"
cap b2 "$CPNSD_TMP/e2.b.bin"
sleep 0.5
ctl srv member del $G a3@gateway-a || bail "member del failed"
check "removing A-3 starts epoch 2, installed by A-1, A-2, B-1" \
	wait_until 30 at_epoch 2 a1 a2 b1
check "A-3 gets an exclusion notice over its session" \
	wait_until 20 log_has a3 "group $G: excluded by the gateway from epoch 2"
check_eq "A-3 holds no key of the group any more, and not epoch 2" "0 " \
	"$(epoch_of a3) $(fp_of a3 2)"
wait "${CAP_PIDS[@]}"
[ -s "$CPNSD_TMP/e2.a.bin" ] && [ -s "$CPNSD_TMP/e2.b.bin" ] ||
	bail "no broadcast of epoch 2 was captured"
check "A-3's module refuses epoch 2 as not a member" \
	wait_until 10 eval 'send_to a a3 "$CPNSD_TMP/e2.a.bin"; log_has a3 "group $G epoch 2: not a member"'

# --- join ----------------------------------------------------------------
ctl srv member add $G a4@gateway-a || bail "member add a4 failed"
check "a new member, A-4, gets the current epoch 2" \
	wait_until 30 at_epoch 2 a4
check_eq "and not epoch 1" "" "$(fp_of a4 1)"
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

# --- a PNE away during the broadcast -------------------------------------
daemon_stop a2
ctl srv group-key rotate $G >/dev/null
check "with A-2 down, the others install epoch 4" \
	wait_until 30 at_epoch 4 a1 a4 b1
check_eq "A-2 is reported missing" "a2" \
	"$(ctl srv -j group-key show $G | jq -r '[.. | objects | select(has("missing")) | .missing[]] | join(" ")')"
daemon_start a2 a2 || bail "A-2 did not restart"
check "A-2 back gets epoch 4 over its session" wait_until 30 at_epoch 4 a2
check "and the report is complete again" wait_until 20 all_acked 4

# --- a gateway killed during a delivery ----------------------------------
kill -STOP "$CPNSD_PID_a1"
ctl srv group-key rotate $G >/dev/null
wait_until 30 at_epoch 5 a2 a4 || bail "epoch 5 did not reach A-2, A-4"
daemon_stop gwa KILL
check_eq "A-1 (stopped) had not answered when gateway A died" "a1" \
	"$(ctl srv -j group-key show $G | jq -r '[.. | objects | select(has("missing")) | .missing[]] | join(" ")')"
daemon_start gwa gwa || bail "gateway A did not restart"
kill -CONT "$CPNSD_PID_a1"
check "gateway A restarted completes the delivery: A-1 at epoch 5" \
	wait_until 60 at_epoch 5 a1
check "every member acknowledged epoch 5" wait_until 30 all_acked 5

# --- 20 rotations in a row -----------------------------------------------
for i in $(seq 20); do
	ctl srv group-key rotate $G >/dev/null || bail "rotation $i failed"
done
check "after 20 rotations every member is on epoch 25" \
	wait_until 60 at_epoch 25 a1 a2 a4 b1
check "and the server's report says so" wait_until 30 all_acked 25
check_eq "A-3 (removed) and B-2 (never a member) hold none of them" "0 0" \
	"$(epoch_of a3) $(epoch_of b2)"
