#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness must not be able to lie.  Each case below plants one
# failure and expects the check that should catch it to fail, for the
# right reason: the VM cases boot the VM on one of selftests/harness/tests/
# (the "harness" collection) and expect run.sh to fail; the static case
# runs check.sh's static stage without sparse.  Their output is kept out
# of the TAP stream (their failures are the expected outcome, not
# failures of this run).
set -u
TOP=${TOP:?}
B=${B:?}
run=$TOP/selftests/vm/run.sh
echo "TAP version 13"
echo "1..7"
n=0

verdict() {	# DESC OUT PATTERN STATUS
	local desc=$1 out=$2 pattern=$3 status=$4
	n=$((n + 1))
	if [ "$status" = 0 ]; then
		echo "not ok $n - $desc: the check passed"
		sed 's/^/# /' "$out" | tail -20
	elif ! grep -qE -- "$pattern" "$out"; then
		echo "not ok $n - $desc: failed, but not with /$pattern/"
		sed 's/^/# /' "$out" | tail -20
	else
		echo "ok $n - $desc"
	fi
}

# The VM cases share one image and run two at a time (TCG runs one vCPU
# on one host core); their verdicts are printed in order afterwards.
img=$B/vm-harness/initramfs.cpio
mkdir -p "$B/vm-harness"
if ! KVER=$KVER B=$B TOP=$TOP "$TOP/selftests/vm/mkinitramfs.sh" "$img" \
	>"$B/harness-image.log" 2>&1; then
	echo "Bail out! the harness image: see $B/harness-image.log"
	exit 1
fi
cases=()
start_vm_case() {	# DESC TEST PATTERN [VM_TIMEOUT]
	local out=$B/harness-$2.log

	rm -f "$out.rc"
	cases+=("$1"$'\t'"$out"$'\t'"$3")
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do
		wait -n
	done
	{
		VM_TIMEOUT=${4:-300} VM_INITRD=$img VM_DIR=$B/vm-harness/$2 \
			"$run" --suite harness --tests "$2" >"$out" 2>&1
		echo $? >"$out.rc"
	} &
}

start_vm_case "a hanging guest fails the run" hang.sh \
	'^# vm: FAIL: guest timed out' 45
start_vm_case "a failing test fails the run" fail.sh \
	'^# FAIL vm: selftests: harness: fail.sh / a deliberately failing case'
start_vm_case "a kernel WARNING fails the run" warn.sh \
	'^# vm: FAIL: kernel log shows: .*(WARNING|panic_on_warn)'
start_vm_case "a slab use-after-free fails the run" uaf.sh \
	'^# vm: FAIL: kernel log shows: .*(BUG cpns_selftest_uaf|KASAN: (slab-)?use-after-free)'
start_vm_case "a skip not on the allow-list fails the run" skip.sh \
	'^# FAIL vm: skip not on the allow-list: selftests: harness: skip.sh / a skipped case # SKIP harness self-test'
start_vm_case "a sanitizer report from cpnsctl inside \$( ) fails its test" \
	sanitizer.sh \
	'^#   sanitizer.sh: a sanitizer reported an error:'
wait
for c in "${cases[@]}"; do
	IFS=$'\t' read -r desc out pattern <<<"$c"
	verdict "$desc" "$out" "$pattern" "$(cat "$out.rc" 2>/dev/null || echo 0)"
done

out=$B/harness-static-nosparse.log
SPARSE=/nonexistent/sparse CHECK_DIR=$B/harness-check \
	"$TOP/selftests/check.sh" static >"$out" 2>&1
verdict "a missing sparse fails the static stage" "$out" \
	'/nonexistent/sparse: not found' $?
