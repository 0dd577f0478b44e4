#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cpns.ko loads and unloads cleanly, again and again, registers and
# removes its family each time, and refuses a second load.
. ./common.sh
plan 7

cpns_unload
ko=/lib/modules/$(uname -r)/extra/cpns.ko

cycles=0
for i in $(seq 10); do
	# "genl ctrl list" dumps without autoloading, unlike "get name".
	modprobe cpns || break
	genl ctrl list | grep -q 'Name: cpns' || break
	rmmod cpns || break
	genl ctrl list | grep -q 'Name: cpns' && break
	cycles=$i
done
check_eq "ten load/unload cycles register and remove the family" 10 "$cycles"
check "kernel log clean after ten cycles" dmesg_clean

check "insmod loads the module" insmod "$ko"
check_fails "a second insmod is refused with EEXIST" 1 "File exists" insmod "$ko"
check "the first instance still answers" cpnsctl info
check "modinfo names the genl family alias" \
	bash -c "modinfo '$ko' | grep -q 'alias:.*net-pf-16-proto-16-family-cpns'"
check "rmmod unloads it" rmmod cpns
finish
