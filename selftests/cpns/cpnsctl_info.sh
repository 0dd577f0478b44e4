#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cpnsctl info, in text and JSON, in several namespaces independently,
# and its refusals.
. ./common.sh
plan 16

# With module autoloading off, a missing module is a clear error...
cpns_unload
! grep -q '^aesni_intel ' /proc/modules || rmmod aesni_intel
modprobe_path=$(cat /proc/sys/kernel/modprobe)
echo /bin/false >/proc/sys/kernel/modprobe
check_fails "without the module: a clear error, status 2 (as ip for kernel errors)" 2 \
	"not registered \(is cpns.ko loaded" cpnsctl info
echo "$modprobe_path" >/proc/sys/kernel/modprobe
# ...and with it on, the family alias loads it on first use.
check "cpnsctl info autoloads the module" cpnsctl info

check "text output names the version" bash -c "cpnsctl info | grep -qx 'version 0.1.0'"
check "text output lists the scheme and cipher" \
	bash -c "cpnsctl info | grep -qx 'schemes complete-subtree' && cpnsctl info | grep -qx 'ciphers aes-256-gcm'"
json=$(cpnsctl -j info)
check_eq "JSON: version" "0.1.0" "$(echo "$json" | jq -r .version)"
check_eq "JSON: schemes and ciphers" '["complete-subtree"] ["aes-256-gcm"]' \
	"$(echo "$json" | jq -c '.schemes, .ciphers' | tr '\n' ' ' | sed 's/ $//')"
check_eq "JSON: max tree height" 20 "$(echo "$json" | jq .max_tree_height)"
# The fast path takes a SIMD gcm(aes) when one is registered, else the
# best synchronous one.  The test unloaded a modular aesni_intel above
# (another test may have loaded it); where it is built in, or cannot be
# unloaded, its driver is the expected one.
aead=$(fastpath_aead_expected)
check_eq "the fast path's AEAD driver, in text and JSON" \
	"fastpath-aead $aead $aead" \
	"$(cpnsctl info | grep '^fastpath-aead') $(echo "$json" | jq -r .fastpath_aead)"

ip netns add a
ip netns add b
ca=$(cpnsctl -n a -j info | jq .netns_cookie)
cb=$(ip netns exec b cpnsctl -j info | jq .netns_cookie)
c0=$(echo "$json" | jq .netns_cookie)
check "two namespaces answer, each about itself" \
	test -n "$ca" -a -n "$cb" -a "$ca" != "$cb" -a "$ca" != "$c0" -a "$cb" != "$c0"
ip netns del a
check_eq "b still answers after a is deleted" "$cb" "$(cpnsctl -n b -j info | jq .netns_cookie)"
ip netns del b

for i in $(seq 20); do ip netns add "t$i"; done
n=0
for i in $(seq 20); do cpnsctl -n "t$i" info >/dev/null && n=$((n + 1)); done
for i in $(seq 20); do ip netns del "t$i"; done
check_eq "twenty namespaces created, queried and deleted" 20 "$n"

check_fails "-n with an unknown namespace names it" 2 "-n nosuch: cannot open" \
	cpnsctl -n nosuch info
check_fails "an unknown object is a usage error" 1 'unknown object "bogus"' cpnsctl bogus
check_fails "an extra argument is a usage error naming it" 1 \
	'unexpected argument "extra"' cpnsctl info extra
check "pretty JSON parses" bash -c "cpnsctl -j -p info | jq -e .family_version"
check "unload after namespace churn is clean" bash -c "rmmod cpns && ! dmesg | grep -q 'WARNING:'"
finish
