#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages as the image builder installed them into this VM's
# root (dpkg-deb -x, which is dpkg's unpacking, given PKG_DEBS): every
# file of cpns-tools and cpns-dkms is the package's (its md5sums; the
# sanitized image replaces cpnsctl and cpnsd with their ASan builds and
# leaves them out of the list), cpnsctl talks to the module, cpnsd takes
# the packaged configuration, the unit starts the installed cpnsd, and
# the module's sources are where DKMS looks for them.
. ./common.sh

sums=/var/lib/cpns-packages
if ! [ -s "$sums/cpns-tools.md5sums" ] || ! [ -s "$sums/cpns-dkms.md5sums" ]; then
	echo "1..0 # SKIP not an image with the packages (make deb, then PKG_DEBS)"
	exit 4
fi
plan 8
cpns_unload

check "cpns-tools's files are the package's" \
	bash -c "cd / && md5sum --quiet -c $sums/cpns-tools.md5sums"
check "cpns-dkms's files are the package's" \
	bash -c "cd / && md5sum --quiet -c $sums/cpns-dkms.md5sums"
modprobe cpns
check_eq "cpnsctl info names the module's version" "version $(modinfo -F version cpns)" \
	"$(cpnsctl info | grep '^version ')"
check_eq "cpnsd --check-config takes the packaged configuration" \
	"/etc/cpnsd/cpnsd.conf: ok (role gateway)" \
	"$(cpnsd --check-config -c /etc/cpnsd/cpnsd.conf 2>&1)"
exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' /lib/systemd/system/cpnsd.service)
check_eq "the unit starts the installed cpnsd" /usr/sbin/cpnsd "$exe"
check "which is there and runs" "$exe" --version
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' /usr/src/cpns-*/dkms.conf)
check "DKMS finds the module's sources in /usr/src/cpns-VERSION" \
	test -n "$ver" -a -f "/usr/src/cpns-$ver/Kbuild" \
	-a -f "/usr/src/cpns-$ver/include/uapi/linux/cpns_generated.h"
check "Wireshark finds the dissector" \
	test -s "/usr/lib/$(uname -m)-linux-gnu/wireshark/plugins/cpns.lua"
cpns_unload
finish
