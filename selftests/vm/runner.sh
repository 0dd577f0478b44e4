#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test in DIR (optionally only those whose name starts with
# FILTER) and pass their TAP through.  A test that exits non-zero, times
# out, or reports fewer results than it planned adds a "not ok" line of
# its own, so no failure can hide behind a well-formed TAP stream.
#
# usage: runner.sh DIR [FILTER]
dir=$1
filter=$2
timeout=${CPNS_TEST_TIMEOUT:-300}
rc=0
n=0

cd "$dir" || exit 1
for t in *; do
	case $t in
	common.sh | vectors | *.c | *.h) continue ;;
	esac
	[ -f "$t" ] || continue
	case $t in "$filter"*) ;; *) continue ;; esac
	n=$((n + 1))
	echo "# ==== $t"
	log=/tmp/$t.tap
	start=$(date +%s)
	case $t in
	*.sh) timeout -k 5 "$timeout" bash "./$t" >"$log" 2>&1 ;;
	*) timeout -k 5 "$timeout" "./$t" >"$log" 2>&1 ;;
	esac
	status=$?
	cat "$log"
	echo "# $t took $(($(date +%s) - start))s"
	planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | head -1)
	ran=$(grep -cE '^(not )?ok( |$)' "$log")
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		echo "not ok - $t: timed out after ${timeout}s"
		rc=1
	elif [ "$status" != 0 ] && [ "$status" != 4 ]; then
		echo "not ok - $t: exited with status $status"
		rc=1
	elif [ -n "$planned" ] && [ "$planned" != "$ran" ]; then
		echo "not ok - $t: planned $planned results, reported $ran"
		rc=1
	elif [ "$ran" = 0 ]; then
		echo "not ok - $t: reported no result"
		rc=1
	fi
	# So is any sanitizer report from the programs it ran.
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
		echo "not ok - $t: a sanitizer reported an error"
		rc=1
	fi
	# Any kernel warning is a failure of the test that caused it.
	if dmesg | grep -qE 'BUG:|WARNING:|Oops|general protection|Call Trace:|KASAN|UBSAN|lockdep'; then
		echo "not ok - $t: kernel log shows a warning"
		dmesg | tail -40 | sed 's/^/# /'
		rc=1
		dmesg -C
	fi
done
if [ "$n" = 0 ]; then
	echo "not ok - no test in $dir matches \"$filter\""
	rc=1
fi
exit $rc
