#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install puts cpnsctl, its man page and its bash completion, cpnsd,
# its man pages, systemd unit and example configuration, and the
# Wireshark dissector where they belong.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/common.sh
plan 9

dest=$(mktemp -d)
check "make install DESTDIR=... PREFIX=/usr" \
	make -s install DESTDIR="$dest" PREFIX=/usr
check "cpnsctl is installed and runs" "$dest/usr/sbin/cpnsctl" --version
check "the man page is installed" test -s "$dest/usr/share/man/man8/cpnsctl.8"
check "the bash completion is installed" \
	test -s "$dest/usr/share/bash-completion/completions/cpnsctl"
check "cpnsd is installed and runs" "$dest/usr/sbin/cpnsd" --version
check "cpnsd's man pages are installed" \
	test -s "$dest/usr/share/man/man8/cpnsd.8" -a \
	-s "$dest/usr/share/man/man5/cpnsd.conf.5"
check_eq "the unit is installed and starts cpnsd from PREFIX" \
	"ExecStart=/usr/sbin/cpnsd --foreground -c /etc/cpnsd/cpnsd.conf" \
	"$(grep '^ExecStart=' "$dest/usr/lib/systemd/system/cpnsd.service")"
check "the example configuration is installed" \
	test -s "$dest/usr/share/doc/cpns/cpnsd.conf.example"
check "the Wireshark dissector is installed where Wireshark looks" \
	test -s "$dest/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/wireshark/plugins/cpns.lua"
rm -rf "$dest"
finish
