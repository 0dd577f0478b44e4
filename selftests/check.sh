#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: host unit tests (plain and ASan/UBSan), static checks of the
# kernel code, the fuzz targets, the VM tests, and the VM harness's own
# failure tests.  Every stage prints TAP; this script counts the results
# and ends with "N passed, M failed, K skipped".
#
# usage: check.sh [unit|static|fuzz|vm|harness ...]   (default: all)
#        env: KVER B T (VM test name prefix) FUZZ_SECONDS
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$TOP/build}
KVER=${KVER:?}
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
T=${T:-}
export TOP B KVER
cd "$TOP" || exit 1

stages=${*:-unit static fuzz vm harness}
log=$B/check.log
mkdir -p "$B"
: >"$log"
stage_failures=0

# Run one stage; its output is shown and kept for counting.  A stage that
# fails without a "not ok" line of its own is counted as one failure.
stage() {
	local name=$1 out rc
	shift
	echo "# ---- $name"
	out=$B/stage-$name.log
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	cat "$out" >>"$log"
	if [ "$rc" != 0 ] && ! grep -qE '^not ok' "$out"; then
		echo "not ok - $name: stage exited with status $rc" | tee -a "$log"
	fi
}

unit() {
	local t
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	for t in "$B"/tests/test_* "$B"/asan/tests/test_* \
		 "$TOP"/selftests/host/*.sh; do
		[ -x "$t" ] || continue
		echo "# ${t#"$TOP"/}"
		if ! "$t"; then
			echo "not ok - ${t#"$TOP"/}: exited with status $?"
		fi
	done
}

static() {
	local f n=0 out
	for f in kmod/*.c kmod/*.h include/uapi/linux/*.h; do
		n=$((n + 1))
		out=$(perl "$B/scripts/checkpatch.pl" --strict --no-tree \
			--terse --show-types -f "$f" 2>&1 | grep -E 'ERROR|WARNING|CHECK')
		if [ -z "$out" ]; then
			echo "ok $n - checkpatch --strict $f"
		else
			echo "not ok $n - checkpatch --strict $f"
			echo "$out" | sed 's/^/# /'
		fi
	done
	n=$((n + 1))
	out=$(make -s -C "$KDIR" M="$TOP" C=2 CHECK=sparse modules 2>&1 |
		grep -E 'warning:|error:')
	if [ -z "$out" ]; then
		echo "ok $n - sparse (make C=2) on the module"
	else
		echo "not ok $n - sparse (make C=2) on the module"
		echo "$out" | sed 's/^/# /'
	fi
	echo "# UAPI header against Documentation/netlink/specs/cpns.yaml"
	python3 "$TOP/selftests/spec/check-spec.py"
}

fuzz() {
	if ls "$B"/fuzz/fuzz_* >/dev/null 2>&1; then
		"$TOP/selftests/fuzz.sh" "${FUZZ_SECONDS:-30}"
	else
		echo "# no fuzz targets built"
	fi
}

vm() {
	"$TOP/selftests/vm/run.sh" --tests "$T"
}

for s in $stages; do
	case $s in
	unit | static | fuzz | vm) stage "$s" "$s" ;;
	harness) stage harness "$TOP/selftests/harness/check-harness.sh" ;;
	*) echo "check.sh: unknown stage $s" >&2; exit 2 ;;
	esac
done

passed=$(grep -cE '^ok( |$)' "$log" | head -1)
skipped=$(grep -E '^ok( |$)' "$log" | grep -c '# SKIP')
failed=$(grep -cE '^not ok( |$)' "$log")
passed=$((passed - skipped))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
