#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installed in the VM's collection under every test's name (a link):
# the kernel's kselftest runner runs ./TEST, and this runs the real test
# from .tests/ and then fails it, whatever its own status, when it left
# a kernel warning in the log or a sanitizer report on file.  The reports
# go to files (ASAN_OPTIONS/UBSAN_OPTIONS log_path) because a cpnsctl
# run inside $( ) or a pipe has its stderr captured and its status
# dropped.  The runner's timeout (settings) still applies: it signals
# this script's process group.
name=${0##*/}
dir=$(cd "$(dirname "$0")" && pwd)
san=/tmp/sanitizer/$name
rm -rf "$san"
mkdir -p "$san"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$san/ubsan"
marker="cpns-ksft: begin $name $$"
echo "$marker" >/dev/kmsg

start=$(date +%s)
"$dir/.tests/$name" "$@"
rc=$?
# Where the VM stage's minutes go (make check must stay well under 15).
echo "# $name took $(($(date +%s) - start))s"

bad=0
if ls "$san" | grep -q .; then
	echo "# $name: a sanitizer reported an error:"
	cat "$san"/* | sed 's/^/#   /'
	bad=1
fi
pattern=$(cat /kernel-errors.re)
log=$(dmesg | sed -n "/$marker\$/,\$p" | grep -E "$pattern")
if [ -n "$log" ]; then
	echo "# $name: the kernel log shows:"
	echo "$log" | head -10 | sed 's/^/#   /'
	echo "# $name: the kernel log's end:"
	dmesg | sed -n "/$marker\$/,\$p" | tail -40 | sed 's/^/#   /'
	bad=1
fi
if [ "$bad" = 1 ] && { [ "$rc" = 0 ] || [ "$rc" = 4 ]; }; then
	rc=1
fi
exit $rc
