#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install puts cpnsctl, its man page and its bash completion where
# they belong.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/common.sh
plan 4

dest=$(mktemp -d)
check "make install DESTDIR=... PREFIX=/usr" \
	make -s install DESTDIR="$dest" PREFIX=/usr
check "cpnsctl is installed and runs" "$dest/usr/sbin/cpnsctl" --version
check "the man page is installed" test -s "$dest/usr/share/man/man8/cpnsctl.8"
check "the bash completion is installed" \
	test -s "$dest/usr/share/bash-completion/completions/cpnsctl"
rm -rf "$dest"
finish
