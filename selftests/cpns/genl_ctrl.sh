#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The family is visible through the generic netlink controller with
# iproute2's genl, and asking for it autoloads the module by its alias.
. ./common.sh
plan 6

cpns_unload
check "genl ctrl get autoloads cpns through its family alias" \
	genl ctrl get name cpns
check "the module is loaded afterwards" grep -q '^cpns ' /proc/modules

out=$(genl ctrl get name cpns 2>&1)
check_eq "family name" "cpns" "$(echo "$out" | sed -n 's/.*Name: \([a-z]*\).*/\1/p' | head -1)"
check_eq "family version 1" "0x1" "$(echo "$out" | sed -n 's/.*Version: \(0x[0-9a-f]*\).*/\1/p' | head -1)"
check "multicast group 'events' is advertised" \
	bash -c "genl ctrl get name cpns | grep -qE 'name: events'"
check "the info command is advertised" \
	bash -c "genl ctrl get name cpns | grep -qE 'ID-0x1 '"
finish
