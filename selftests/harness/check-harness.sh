#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM harness must not be able to lie: a failing test, a guest that
# hangs, and a kernel WARNING must each make a run fail.  Each case boots
# the VM on one of selftests/harness/tests/ and expects run.sh to fail for
# the right reason.  Their output is kept out of the TAP stream (their
# "not ok" lines are the expected outcome, not failures of this run).
set -u
TOP=${TOP:?}
B=${B:?}
run=$TOP/selftests/vm/run.sh
echo "TAP version 13"
echo "1..3"
n=0

expect_failure() {	# DESC TEST PATTERN [VM_TIMEOUT]
	local desc=$1 test=$2 pattern=$3 out=$B/harness-$2.log
	n=$((n + 1))
	if VM_TIMEOUT=${4:-300} "$run" --suite harness --tests "$test" \
		>"$out" 2>&1; then
		echo "not ok $n - $desc: run.sh passed"
		sed 's/^/# /' "$out" | tail -20
	elif ! grep -qE "$pattern" "$out"; then
		echo "not ok $n - $desc: failed, but not with /$pattern/"
		sed 's/^/# /' "$out" | tail -20
	else
		echo "ok $n - $desc"
	fi
}

expect_failure "a failing test fails the run" fail.sh \
	'^# FAIL vm: selftests: harness: fail.sh / a deliberately failing case'
expect_failure "a hanging guest fails the run" hang.sh \
	'^# vm: FAIL: guest timed out' 45
expect_failure "a kernel WARNING fails the run" warn.sh \
	'^# vm: FAIL: kernel log shows: .*(WARNING|panic_on_warn)'
