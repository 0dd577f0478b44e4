#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Gateway <-> CPNS Server: TLS 1.3 with X.509 certificates on both
# sides, made with the commands of Documentation/daemon.rst.  The server
# names the gateway by its certificate's common name; a gateway whose
# certificate another CA signed, and one with no certificate the server
# trusts, get no session.
. ./common.sh
. ./cpnsd_lib.sh
trap cpnsd_cleanup EXIT
plan 10

cpns_unload
modprobe cpns
pki=$CPNSD_TMP/pki
mkdir -p "$pki"
# OpenSSL's req wants a configuration; the image has none of its own.
printf '[req]\ndistinguished_name = dn\n[dn]\n' >"$pki/openssl.cnf"
export OPENSSL_CONF=$pki/openssl.cnf
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
ca() {	# NAME
	openssl req -x509 $ec -keyout "$pki/$1.key" -out "$pki/$1.crt" \
		-days 30 -subj "/CN=$1" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
cert() {	# CA NAME USAGE
	openssl req -x509 -CA "$pki/$1.crt" -CAkey "$pki/$1.key" $ec \
		-keyout "$pki/$2.key" -out "$pki/$2.crt" -days 30 \
		-subj "/CN=$2" -addext "basicConstraints=critical,CA:FALSE" \
		-addext "keyUsage=critical,digitalSignature" \
		-addext "extendedKeyUsage=$3" 2>/dev/null
}
umask 077
ca ca && ca otherca && cert ca cpns-server serverAuth &&
	cert ca gateway-7 clientAuth && cert otherca gateway-8 clientAuth &&
	cert ca gateway-9 clientAuth ||
	bail "openssl could not make the test certificates"
check "the CA verifies the gateway's certificate" \
	openssl verify -CAfile "$pki/ca.crt" -purpose sslclient "$pki/gateway-7.crt"

ns_add srv
ns_add gw7
ns_add gw8
ns_veth srv v7 10.82.7.1 gw7 eth0 10.82.7.2
ns_veth srv v8 10.82.8.1 gw8 eth0 10.82.8.2
ns_add gw9
ns_veth srv v9 10.82.9.1 gw9 eth0 10.82.9.2
tls() {	# NAME CA: a [tls] section
	printf '[tls]\ncertificate = %s\nprivate-key = %s\nca = %s\n' \
		"$pki/$1.crt" "$pki/$1.key" "$pki/$2.crt"
}
{
	printf '[cpnsd]\nrole = server\nstate-dir = %s\ncontrol = %s\n' \
		"$CPNSD_TMP/srv.state" "$CPNSD_TMP/srv.ctl"
	printf '[server]\nlisten = 0.0.0.0:4434\n'
	tls cpns-server ca
} >"$CPNSD_TMP/srv.conf"
daemon_start srv srv || bail "the server did not start"
gw_conf gw7 7 127.0.0.1:4433 "$(tls gateway-7 ca)"
sed -i 's/^height = 4$/height = 4\nserver = 10.82.7.1:4434/' "$CPNSD_TMP/gw7.conf"
# gateway-8 trusts the right CA but holds a certificate of another.
gw_conf gw8 8 127.0.0.1:4433 "$(tls gateway-8 ca)"
sed -i 's/^height = 4$/height = 4\nserver = 10.82.8.1:4434/' "$CPNSD_TMP/gw8.conf"
# gateway-7 knows the server's name; gateway-9 expects another server.
echo 'server-name = cpns-server' >>"$CPNSD_TMP/gw7.conf"
gw_conf gw9 9 127.0.0.1:4433 "$(tls gateway-9 ca)" 'server-name = cpns-server-2'
sed -i 's/^height = 4$/height = 4\nserver = 10.82.9.1:4434/' "$CPNSD_TMP/gw9.conf"
daemon_start gw7 gw7 || bail "gateway 7 did not start"
daemon_start gw9 gw9 || bail "gateway 9 did not start"
daemon_start gw8 gw8 || bail "gateway 8 did not start"

up_as() {	# CN: the server lists a session up with that peer id
	[ "$(ctl srv -j daemon show |
	     jq -r --arg cn "$1" '[.peers[] | select(.id == $cn and .state == "up")] | length')" = 1 ]
}
check "the server holds a session with gateway 7, named by its certificate" \
	wait_until 20 up_as gateway-7
check "gateway 7 sees its session to the server up" \
	wait_until 10 log_has gw7 '10\.82\.7\.1:4434 \(cpns-server\): TLS 1\.3 session up'
check "a gateway certificate another CA signed is refused by the server" \
	wait_until 20 log_has srv '10\.82\.8\.2:[0-9]+: session closed: TLS handshake failed: TLS: certificate verify failed'
check_eq "and that gateway has no session there" 0 \
	"$(ctl srv -j daemon show | jq '[.peers[] | select(.id == "gateway-8")] | length')"
# TLS 1.3: the client's side of the handshake is over before the server
# checks its certificate, so the gateway sees the server's alert on a
# session it had taken for up.
check "and the gateway logs the server's refusal, naming the server" \
	log_has gw8 '10\.82\.8\.1:4434 \(cpns-server\): session closed: TLS: .*alert'
check "a gateway expecting another server name refuses the server's certificate" \
	wait_until 20 log_has gw9 '10\.82\.9\.1:4434.*: session closed: TLS handshake failed: .*certificate verify failed'
check_eq "and holds no session with it" 0 \
	"$(ctl srv -j daemon show | jq '[.peers[] | select(.id == "gateway-9" and .state == "up")] | length')"

# A gateway reports only its own members' answers: gateway-9's key in a
# client of ours reports m1 (its member) and m2 (a member of gateway 7).
# (gateway 9's daemon, which refuses this server, stops retrying first.)
daemon_stop gw9
ctl srv member add 66 m1@gateway-9 >/dev/null &&
	ctl srv member add 66 m2@gateway-7 >/dev/null &&
	ctl srv group-key rotate 66 >/dev/null ||
	bail "member add or rotate on the server failed"
ip netns exec gw9 python3 - "$pki" <<'PY'
import socket, ssl, struct, sys, time
pki = sys.argv[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_verify_locations(pki + "/ca.crt")
ctx.load_cert_chain(pki + "/gateway-9.crt", pki + "/gateway-9.key")
def attr(t, v):
    return struct.pack(">HH", t, len(v)) + v
def gk_resp(pne):  # protocol.rst: pne-id 1, group 5, epoch 6, status 10
    body = (attr(1, pne) + attr(5, struct.pack(">I", 66)) +
            attr(6, struct.pack(">Q", 1)) + attr(10, struct.pack(">H", 0)))
    return struct.pack(">BBHI", 1, 4, 0, len(body)) + body
with socket.create_connection(("10.82.9.1", 4434)) as raw:
    with ctx.wrap_socket(raw, server_hostname="cpns-server") as s:
        s.sendall(gk_resp(b"m1") + gk_resp(b"m2"))
        time.sleep(2)
PY
check "the server refuses gateway 9's report of gateway 7's member" \
	wait_until 10 log_has srv "gateway gateway-9: reports PNE m2 for group 66, not a member there; ignored"
log_has srv "not a member there" ||
	grep -E "gateway-9|10\.82\.9\.2" "$CPNSD_TMP/srv.log" | tail -15 | sed 's/^/# /'
report() {	# GATEWAY FIELD: the ids in that list of the report
	ctl srv -j group-key show 66 |
		jq -r --arg g "$1" --arg f "$2" \
		'.[0].gateways[] | select(.gateway == $g) | .[$f] // [] | join(" ")'
}
check_eq "and takes its report of its own: m1 acknowledged, m2 still missing" \
	"m1 / m2" "$(report gateway-9 acknowledged) / $(report gateway-7 missing)"

cpnsd_cleanup
trap - EXIT
cpns_unload
finish
