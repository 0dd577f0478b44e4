#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo, inside the VM: figures a and b of the change request with
# its names.  A CPNS Server, PN GW A and PNEs A-1..A-4, each a real cpnsd
# in its own network namespace with the module's state of that
# namespace; A-1, A-2 and A-3 are in Service Group 66, A-4 is not.
# Each numbered step the daemons log (--debug) is shown as it happens,
# prefixed with its actor; then `cpnsctl key show` on every node,
# datagrams A-1 -> A-2 sealed by the fast path, and the revocation of
# A-3 with the rotation it starts, which A-3 cannot follow.
#
# It is a smoke test too: every step it shows is checked, as TAP, and a
# failed one fails `make demo`.  The daemon and cpnsctl are the builds
# as shipped (the sanitized ones start too slowly under TCG for a demo
# of under a minute; the VM tests run those).
cd "$(dirname "$0")" || exit 1
export PATH=$PWD:$PATH
# shellcheck source=../lib/common.sh
. ./common.sh
# shellcheck source=../lib/cpnsd_lib.sh
. ./cpnsd_lib.sh
# shellcheck source=demo_lib.sh
. ./demo_lib.sh
trap cpnsd_cleanup EXIT
T=$CPNSD_TMP
plan 16

G=66
PORT=5066
declare -A WHO=([srv]="CPNS Server" [gwa]="PN GW A" [a1]="PNE A-1"
		[a2]="PNE A-2" [a3]="PNE A-3" [a4]="PNE A-4")
PNES="a1 a2 a3 a4"
# PNE aN is "A-N", on its own link 10.92.1N.0/24 to the gateway (.1).
pne_id() { echo "A-${1#a}"; }
pne_addr() { echo "10.92.1${1#a}.2"; }

send() {	# FIRST LAST: datagrams FIRST..LAST from A-1 to A-2
	ip netns exec a1 bash -c 'for i in $(seq "$1" "$2"); do
		echo "hello A-2, this is A-1 ($i)" >/dev/udp/$3/$4; done' \
		_ "$1" "$2" "$(pne_addr a2)" $PORT
}

received() {	# NS: how many datagrams NS's application has received
	local lines=()

	[ -f "$T/$1.app" ] && mapfile -t lines <"$T/$1.app"
	echo "${#lines[@]}"
}

# acked EPOCH NS...: the gateway heard each NS's Group Key Response.
acked() {
	local e=$1 p

	shift
	for p in "$@"; do
		log_has gwa "figure b step 7: PNE $(pne_id "$p") installed group $G epoch $e$" ||
			return 1
	done
}

installed() {	# EPOCH NS...: at EPOCH, and the server's report says so
	local e=$1

	shift
	wait_for 30 acked "$e" "$@" && wait_for 20 all_acked "$e"
}

listening() {	# NS: a UDP socket is bound to $PORT in NS
	ip netns exec "$1" grep -qi ":$(printf '%04X' $PORT) " /proc/net/udp
}

tapping() {	# a packet socket is open in PN GW A
	[ "$(ip netns exec gwa sh -c 'wc -l </proc/net/packet')" -gt 1 ]
}

got() {	# NS N: NS's application has received N datagrams
	[ "$(received "$1")" = "$2" ]
}

missed() {	# the copies reached A-3's module, which could not open them
	wait_for 10 eval '[ "$(stat_of a3 key_missing)" = 3 ]' &&
		[ "$(stat_of a3 rx_opened) $(received a3)" = "3 3" ]
}

quiet() {	# A-3 heard epoch 2 and did not answer it
	log_has a3 "group $G epoch 2: not a member" &&
		! log_has a3 "group $G epoch 2: Group Key Response"
}

# gkdk_sent PNE: "slot fingerprint" of the GKDK the gateway says it sent.
gkdk_sent() {
	sed -n "s/.*figure a step 5: PNE $(pne_id "$1"): GKDK Assignment Response sent (slot \([0-9]*\), fingerprint \([0-9a-f]*\))\$/\1 \2/p" \
		"$T/gwa.log" | tail -1
}

# gkdk_held PNE: "slot fingerprint" of gateway 1's GKDK in what the
# PNE's gkdk show printed.
declare -A GKDKS GKDKS_RC
gkdk_held() {
	local re="^gateway 0x0*1 slot ([0-9]+) .* fingerprint ([0-9a-f]{16})$"

	[ "${GKDKS_RC[$1]:-1}" = 0 ] && [[ ${GKDKS[$1]} =~ $re ]] &&
		echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

same_gkdk() {	# each PNE's module holds the GKDK its gateway sent it
	local p

	for p in $PNES; do
		[ -n "$(gkdk_sent "$p")" ] &&
			[ "$(gkdk_sent "$p")" = "$(gkdk_held "$p")" ] || return 1
	done
}

# --- the stage -------------------------------------------------------
say "Setting up: module, certificates, namespaces and links"
cpns_unload
modprobe cpns || bail "modprobe cpns failed"
umask 077
cpnsd_pki "$T/pki" cpns-server:serverAuth gateway-a:clientAuth
echo "X.509: a CA, CN=cpns-server (serverAuth), CN=gateway-a (clientAuth)"

# A few ip runs rather than one per step: every program start counts
# under TCG.  New namespaces inherit the VM's own settings, DAD off
# among them, so the link-local IPv6 addresses the broadcast uses are
# there at once.
echo 1 >/proc/sys/net/core/devconf_inherit_init_net
for c in all default; do
	echo 0 >"/proc/sys/net/ipv6/conf/$c/accept_dad"
done
CPNSD_NS+=(srv gwa $PNES)
{
	for ns in srv gwa $PNES; do
		echo "netns add $ns"
	done
	echo "link add sa netns srv type veth peer name up0 netns gwa"
	for p in $PNES; do
		echo "link add p$p netns gwa type veth peer name pn0 netns $p"
	done
} | ip -b - || bail "cannot make the namespaces and links"
printf '%s\n' "link set lo up" "addr add 10.91.1.1/24 dev sa" "link set sa up" |
	ip -n srv -b - || bail "cannot set the server's link up"
{
	echo "link set lo up"
	echo "addr add 10.91.1.2/24 dev up0"
	echo "link set up0 up"
	for p in $PNES; do
		echo "addr add 10.92.1${p#a}.1/24 dev p$p"
		echo "link set p$p up"
	done
} | ip -n gwa -b - || bail "cannot set the gateway's links up"
for p in $PNES; do
	printf '%s\n' "link set lo up" "addr add $(pne_addr "$p")/24 dev pn0" \
		"link set pn0 up" "route add default via 10.92.1${p#a}.1" |
		ip -n "$p" -b - || bail "cannot set $(pne_id "$p")'s link up"
done
ip netns exec gwa sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward' ||
	bail "cannot turn forwarding on in PN GW A"
echo "CPNS Server 10.91.1.1 <-> 10.91.1.2 PN GW A; PN GW A 10.92.1N.1 <-> 10.92.1N.2 PNE A-N"
# The applications on A-2 and A-3 and the eavesdropper start now: python
# takes a while to start under TCG.
bg a2 python3 -S ./udp.py listen "${WHO[a2]}" $PORT "$T/a2.app"
bg a3 python3 -S ./udp.py listen "${WHO[a3]}" $PORT "$T/a3.app"
bg gwa python3 -S ./udp.py tap pa1 $PORT "$(pne_addr a3)"

mkdir -p "$T/srv.state" "$T/gwa.state"
{
	printf '[cpnsd]\nrole = server\nstate-dir = %s\ncontrol = %s\n' \
		"$T/srv.state" "$T/srv.ctl"
	printf '[server]\nlisten = 0.0.0.0:4434\n'
	tls cpns-server
} >"$T/srv.conf"
{
	printf '[cpnsd]\nrole = gateway\nstate-dir = %s\ncontrol = %s\n' \
		"$T/gwa.state" "$T/gwa.ctl"
	printf '[gateway]\nid = 1\nlisten = 0.0.0.0:4433\nheight = 4\n'
	printf 'server = 10.91.1.1:4434\n'
	for p in $PNES; do
		printf 'pn-interface = p%s\n' "$p"
	done
	printf '[limits]\nretry-min = 1\nretry-max = 4\n'
	tls gateway-a
	printf 'server-name = cpns-server\n'
} >"$T/gwa.conf"
for p in $PNES; do
	eu_key "$T/$p.key"
	{
		printf '[cpnsd]\nrole = pne\ncontrol = %s\n' "$T/$p.ctl"
		printf '[pne]\nid = %s\neu-key-file = %s\ngateway = %s\n' \
			"$(pne_id "$p")" "$T/$p.key" "10.92.1${p#a}.1:4433"
		printf 'pn-interface = pn0\n'
		printf '[limits]\nretry-min = 1\nretry-max = 2\n'
	} >"$T/$p.conf"
done

# --- figure a ----------------------------------------------------------
say "Figure a: the CPNS Server and PN GW A start; A-1..A-4 get their GKDKs"
# Side by side where the order does not matter: under TCG a daemon takes
# seconds to start.
launch srv
launch gwa
ready srv gwa || bail "the CPNS Server or PN GW A did not start"
for p in $PNES; do
	on gwa pne add "$(pne_id "$p")" eu-key file "$T/$p.key" ||
		bail "pne add $(pne_id "$p") failed"
done
for p in $PNES; do
	launch "$p"
done
ready $PNES || bail "a PNE did not start"
for p in $PNES; do
	wait_for 20 log_has "$p" "figure a step 5: GKDK of gateway 1 installed"
	on "$p" gkdk show
	GKDKS_RC[$p]=$?
	GKDKS[$p]=$OUT
done
check "figure a: A-1..A-4 each hold the GKDK (slot, fingerprint) PN GW A sent it" \
	same_gkdk
check "PN GW A has its TLS session to the CPNS Server (CN=gateway-a)" \
	wait_for 20 up_as gateway-a

# --- figure b ----------------------------------------------------------
say "Service Group 66: its traffic selector, then its members on the server"
# The group exists before its first key with a selector for A-2's
# datagrams: A-1 seals them, PN GW A verifies them on the way, A-2
# opens them.  A-3's selector is for its own address, where an
# eavesdropper's copies will arrive.
for n in a1 a2 gwa; do
	on "$n" group add $G dst "$(pne_addr a2)/32" dport $PORT ||
		bail "group add on ${WHO[$n]} failed"
done
on a3 group add $G dst "$(pne_addr a3)/32" dport $PORT ||
	bail "group add on PNE A-3 failed"
for p in a1 a2 a3; do
	on srv member add $G "$(pne_id "$p")@gateway-a" ||
		bail "member add $(pne_id "$p") failed"
done
on srv member show $G

say "Figure b: the server rotates the Group Key of group 66"
on srv group-key rotate $G || bail "group-key rotate failed"
check "figure b: A-1, A-2 and A-3 install epoch 1, and acknowledge it" \
	installed 1 a1 a2 a3
check "A-4, outside the group, is told by its module: not a member" \
	wait_for 10 log_has a4 "group $G epoch 1: not a member"
on srv group-key show $G

say "cpnsctl key show on every node"
show_keys srv gwa $PNES
check "one key of epoch 1, current on the server, the gateway, A-1, A-2, A-3; none on A-4" \
	eval 'same_key 1 a1 a2 a3 && none_shown a4'

# --- the fast path -----------------------------------------------------
say "Datagrams A-1 -> A-2 through the fast path, and a copy to A-3"
wait_for 20 listening a2 && wait_for 20 listening a3 && wait_for 20 tapping ||
	bail "the demo's UDP programs did not start"
echo "(an eavesdropper on PN GW A's link to A-1 sends A-3 a copy of every datagram)"
send 1 3
check "A-2's application received the three datagrams in the clear" \
	wait_for 10 got a2 3
check_eq "sealed by A-1, verified by PN GW A, opened by A-2" "3 3 3" \
	"$(stat_of a1 tx_sealed) $(stat_of gwa fwd_verified) $(stat_of a2 rx_opened)"
check "A-3, still a member, opens the copies too" wait_for 10 got a3 3
for n in a1 gwa a2; do
	on "$n" stats group $G
done

# --- revocation --------------------------------------------------------
say "Revocation: the server removes A-3 from group 66 and rotates the key"
on srv member del $G A-3@gateway-a || bail "member del failed"
check "A-1 and A-2 install the new epoch 2, and acknowledge it" \
	installed 2 a1 a2
check "A-3 gets an authenticated exclusion notice and deletes its keys" \
	wait_for 20 log_has a3 "group $G: excluded by the gateway from epoch 2; deleting its keys"
check "A-3's module cannot decrypt epoch 2: not a member" \
	wait_for 20 log_has a3 "group $G epoch 2: not a member"
show_keys srv gwa $PNES
check "one key of epoch 2 on the server, the gateway, A-1 and A-2; none on A-3, A-4" \
	eval 'same_key 2 a1 a2 && none_shown a3 && none_shown a4'

say "Datagrams A-1 -> A-2 under epoch 2; A-3 gets its copies"
send 4 6
check "A-2's application received them" wait_for 10 got a2 6
check "A-3's module cannot open the copies: key missing, nothing delivered" \
	missed
for n in a2 a3; do
	on "$n" stats group $G
done
check "A-3 stays quiet: no Group Key Response for epoch 2" quiet
check "the kernel log is clean" dmesg_clean
on srv group-key show $G
say "Done"
finish
