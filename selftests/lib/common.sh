# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the shell tests: TAP output and assertions.
# Source it, call plan N, then one assertion per result, then finish.

_tap_n=0
_tap_failed=0
_tap_out=$(mktemp)
trap 'rm -f "$_tap_out"' EXIT

plan() {
	echo "TAP version 13"
	echo "1..$1"
}

ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n $*"
}

not_ok() {
	_tap_n=$((_tap_n + 1))
	echo "not ok $_tap_n $*"
	_tap_failed=1
}

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n $1 # SKIP $2"
}

# check DESC CMD...: CMD must succeed.
check() {
	local desc=$1 status
	shift
	"$@" >"$_tap_out" 2>&1
	status=$?
	if [ "$status" = 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# command failed (status $status): $*"
		sed 's/^/#   /' "$_tap_out"
	fi
}

# check_fails DESC STATUS PATTERN CMD...: CMD must exit with STATUS and
# print something matching the extended regex PATTERN.
check_fails() {
	local desc=$1 want=$2 pattern=$3 status
	shift 3
	"$@" >"$_tap_out" 2>&1
	status=$?
	if [ "$status" = "$want" ] && grep -qE -- "$pattern" "$_tap_out"; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# expected status $want and /$pattern/, got status $status from: $*"
		sed 's/^/#   /' "$_tap_out"
	fi
}

# check_eq DESC WANT GOT: WANT must not be empty, or an empty GOT (the
# command failed, jq choked) would pass.
check_eq() {
	if [ -z "$2" ]; then
		not_ok "$1"
		echo "# check_eq with an empty expected value proves nothing"
	elif [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "# expected \"$2\", got \"$3\""
	fi
}

finish() {
	exit $_tap_failed
}

# The kernel log must stay clean; the runner checks it too, but a test
# that names the step which warned is easier to debug.
dmesg_clean() {
	local re='BUG:|WARNING:|Oops|general protection|Call Trace:'

	[ -r /kernel-errors.re ] && re=$(cat /kernel-errors.re)
	! dmesg | grep -qE "$re"
}

cpns_unload() {
	if grep -q '^cpns ' /proc/modules; then
		rmmod cpns
	fi
}

# The gcm(aes) driver the fast path should take, read off /proc/crypto by
# the algorithms' properties, not their names (which changed after 6.1):
# the internal "__gcm(aes)" behind the default (highest-priority) gcm(aes)
# when that one is an asynchronous SIMD wrapper, else the best synchronous
# gcm(aes).  Empty when there is none.
fastpath_aead_expected() {
	awk -F' *: ' '
	function done_block() {
		if (t == "aead" && n == "gcm(aes)" && i == "no") {
			if (p + 0 > best + 0) { best = p; bd = d; ba = a }
			if (a == "no" && p + 0 > sbest + 0) { sbest = p; sd = d }
		}
		if (t == "aead" && n == "__gcm(aes)" && i == "yes")
			simd[d] = 1
		n = d = p = i = t = a = ""
	}
	$1 == "name" { n = $2 } $1 == "driver" { d = $2 }
	$1 == "priority" { p = $2 } $1 == "internal" { i = $2 }
	$1 == "type" { t = $2 } $1 == "async" { a = $2 }
	/^$/ { done_block() }
	END {
		done_block()
		if (ba == "yes" && ("__" bd) in simd) print "__" bd
		else print sd
	}' "${1:-/proc/crypto}"
}

# The module that registered a crypto driver (/proc/crypto's "module",
# "kernel" when built in).
crypto_module() {	# DRIVER [FILE]
	awk -F' *: ' -v d="$1" '$1 == "driver" { hit = ($2 == d) }
		hit && $1 == "module" { print $2; exit }' "${2:-/proc/crypto}"
}
