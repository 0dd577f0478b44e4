# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the daemon's tests: each actor (gateway, PNE, server) is a
# network namespace with its own cpnsd, configuration, state and control
# socket; the module is the real cpns.ko, whose state is per namespace.
# Source after common.sh.  Everything lives under $CPNSD_TMP.

CPNSD_TMP=$(mktemp -d)
CPNSD_PIDS=()
CPNSD_NS=()

cpnsd_cleanup() {
	local p ns

	for p in "${CPNSD_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${CPNSD_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for ns in "${CPNSD_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${CPNSD_KEEP:-}" ] || rm -rf "$CPNSD_TMP"
}

# ns_add NAME: a namespace with loopback up.
ns_add() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	CPNSD_NS+=("$1")
}

# ns_veth A IFA ADDR_A B IFB ADDR_B: a veth pair between two namespaces.
ns_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# cpnsd_pki DIR NAME:EKU...: in DIR a P-256 CA ("ca") and, signed by it,
# one certificate per NAME with that extended key usage (serverAuth for
# the server, clientAuth for a gateway), keys 0600.  Sets pki=DIR and
# OPENSSL_CONF (the openssl of the image has no configuration of its own).
cpnsd_pki() {
	local n ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"

	pki=$1
	shift
	mkdir -p "$pki"
	printf '[req]\ndistinguished_name = dn\n[dn]\n' >"$pki/openssl.cnf"
	export OPENSSL_CONF=$pki/openssl.cnf
	# shellcheck disable=SC2086 # $ec is several arguments
	(
		umask 077
		openssl req -x509 $ec -keyout "$pki/ca.key" -out "$pki/ca.crt" \
			-days 30 -subj "/CN=ca" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
			exit 1
		for n; do
			openssl req -x509 -CA "$pki/ca.crt" -CAkey "$pki/ca.key" $ec \
				-keyout "$pki/${n%%:*}.key" -out "$pki/${n%%:*}.crt" \
				-days 30 -subj "/CN=${n%%:*}" \
				-addext "basicConstraints=critical,CA:FALSE" \
				-addext "keyUsage=critical,digitalSignature" \
				-addext "extendedKeyUsage=${n#*:}" 2>/dev/null || exit 1
		done
	) || bail "openssl could not make the certificates"
}

# tls NAME: the [tls] section of NAME's certificate from cpnsd_pki.
tls() {
	printf '[tls]\ncertificate = %s\nprivate-key = %s\nca = %s\n' \
		"$pki/$1.crt" "$pki/$1.key" "$pki/ca.crt"
}

# eu_key FILE: a fresh 32-byte EU-Key, 0600.
eu_key() {
	(umask 077 && head -c 32 /dev/urandom >"$1")
}

# gw_conf NAME ID LISTEN [EXTRA...]: $CPNSD_TMP/NAME.conf for a gateway.
gw_conf() {
	local name=$1 id=$2 listen=$3

	shift 3
	mkdir -p "$CPNSD_TMP/$name.state"
	{
		printf '[cpnsd]\nrole = gateway\nstate-dir = %s\ncontrol = %s\n' \
			"$CPNSD_TMP/$name.state" "$CPNSD_TMP/$name.ctl"
		printf '[gateway]\nid = %s\nlisten = %s\nheight = 4\n' "$id" "$listen"
		printf '[limits]\nretry-min = 1\nretry-max = 4\n'
		printf '%s\n' "$@"
	} >"$CPNSD_TMP/$name.conf"
}

# pne_conf NAME GATEWAY [EU_KEY_FILE]: $CPNSD_TMP/NAME.conf for PNE NAME.
pne_conf() {
	local name=$1 gw=$2 key=${3:-$CPNSD_TMP/$1.key}

	[ -e "$key" ] || eu_key "$key"
	{
		printf '[cpnsd]\nrole = pne\ncontrol = %s\n' "$CPNSD_TMP/$name.ctl"
		printf '[pne]\nid = %s\neu-key-file = %s\ngateway = %s\n' \
			"$name" "$key" "$gw"
		printf '[limits]\nretry-min = 1\nretry-max = 2\n'
	} >"$CPNSD_TMP/$name.conf"
}

# daemon_launch NS NAME: cpnsd with NAME.conf in NS, logging to NAME.log,
# not waiting (daemon_ready waits); sets CPNSD_PID_<NAME>.
daemon_launch() {
	local ns=$1 name=$2 pid

	printf -v "CPNSD_READY0_${name//[^A-Za-z0-9_]/_}" '%s' \
		"$(grep -c 'ready$' "$CPNSD_TMP/$name.log" 2>/dev/null)"
	ip netns exec "$ns" "${CPNSD_BIN:-cpnsd}" -c "$CPNSD_TMP/$name.conf" --foreground \
		${CPNSD_DEBUG---debug} 2>>"$CPNSD_TMP/$name.log" &
	pid=$!
	CPNSD_PIDS+=("$pid")
	printf -v "CPNSD_PID_${name//[^A-Za-z0-9_]/_}" '%s' "$pid"
}

# daemon_ready NAME...: wait until each launched daemon says it is ready.
daemon_ready() {
	local name var pid before i

	for name in "$@"; do
		var="CPNSD_PID_${name//[^A-Za-z0-9_]/_}"
		pid=${!var}
		var="CPNSD_READY0_${name//[^A-Za-z0-9_]/_}"
		before=${!var}
		for i in $(seq 200); do
			[ "$(grep -c 'ready$' "$CPNSD_TMP/$name.log")" -gt "${before:-0}" ] &&
				continue 2
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		echo "# cpnsd $name did not start:"
		sed 's/^/#   /' "$CPNSD_TMP/$name.log"
		return 1
	done
}

# daemon_start NS NAME: daemon_launch, then daemon_ready.
daemon_start() {
	daemon_launch "$1" "$2" && daemon_ready "$2"
}

# daemon_stop NAME [SIGNAL]: stop NAME's cpnsd and wait for it.
daemon_stop() {
	local var="CPNSD_PID_${1//[^A-Za-z0-9_]/_}"
	local pid=${!var}

	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# bail REASON: the scenario cannot go on; say so and stop (kselftest's
# "Bail out!" fails the test at once instead of at its timeout).
bail() {
	echo "Bail out! $*"
	exit 1
}

# ctl NAME ARGS...: cpnsctl against NAME's daemon.
ctl() {
	local name=$1

	shift
	CPNSD_CONTROL=$CPNSD_TMP/$name.ctl "${CPNSCTL_BIN:-cpnsctl}" "$@"
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_until() {
	local n=$(($1 * 5))

	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# gkdk_of NS GATEWAY_ID: "slot fingerprint" of the GKDK the module of NS
# holds for the gateway, or nothing.
gkdk_of() {
	ip netns exec "$1" cpnsctl -j gkdk show |
		jq -r --arg gw "$(printf '0x%016x' "$2")" \
			'.[] | select(.gateway == $gw) | "\(.slot) \(.fingerprint)"'
}

has_gkdk() {
	[ -n "$(gkdk_of "$1" "$2")" ]
}

# gkdk_absent NS GATEWAY_ID: "none" when the module of NS answers and
# holds no GKDK of the gateway; its entry, or the error, otherwise (so
# that a failing cpnsctl is not read as "no GKDK").
gkdk_absent() {
	local out

	out=$(ip netns exec "$1" cpnsctl -j gkdk show 2>&1) || {
		echo "cpnsctl failed: $out"
		return
	}
	echo "$out" | jq -r --arg gw "$(printf '0x%016x' "$2")" \
		'if type != "array" then "not a list"
		 else ([.[] | select(.gateway == $gw)] |
		       if length == 0 then "none" else tostring end) end'
}

# lib_gkdk GATEWAY SLOT: "slot fingerprint" the key library derives for
# SLOT from the gateway's stored key material set.
lib_gkdk() {
	cpnsd-gkdk "$CPNSD_TMP/$1.state/gateway.db" "$2" |
		cpnsctl -j gkdk fingerprint file - |
		jq -r '"\(.slot) \(.fingerprint)"'
}

# log_has NAME REGEX: NAME's log has a line matching REGEX.
log_has() {
	grep -qE -- "$2" "$CPNSD_TMP/$1.log"
}
