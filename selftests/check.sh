#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: host unit tests (plain, then under ASan/UBSan), static
# checks of the kernel code, the fuzz targets, the VM tests, and the VM
# harness's own failure tests.  Each stage prints one TAP stream in the
# kselftest layout: every program's own TAP one "# " level down, its
# verdict (from its exit status: 0 ok, 4 skip, else not ok) above it.
# selftests/lib/tap.py counts each stage by its results, prints the
# per-stage counts, and this script ends with "N passed, M failed,
# K skipped".  A skip that selftests/skip-allowed does not list fails.
#
# usage: check.sh [unit|unit-asan|host|static|fuzz|vm|harness ...]
#        (default: all; "unit" is unit, unit-asan and host)
#        env: KVER B T (VM test name prefix) FUZZ_SECONDS SPARSE
#             CHECK_DIR (its logs, default $B)
#             SKIP_ALLOWED (the skip allow-list, default selftests/skip-allowed)
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$TOP/build}
KVER=${KVER:?}
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
T=${T:-}
SPARSE=${SPARSE:-sparse}
export TOP B KVER
cd "$TOP" || exit 1

stages=${*:-unit static fuzz vm harness}
stages=${stages//unit-asan/unit_asan}
stages=$(echo " $stages " | sed 's/ unit / unit unit-asan host /g')
stages=${stages//unit_asan/unit-asan}
logs=${CHECK_DIR:-$B}
log=$logs/check.log
mkdir -p "$logs"
: >"$log"
: >"$logs/check-counts"

# One stream per stage: ksft_run prints a program's output one level
# down and its verdict; ksft_end the plan.
_n=0
ksft_run() {	# NAME CMD...
	local name=$1 rc
	shift
	_n=$((_n + 1))
	echo "# $name"
	"$@" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	case $rc in
	0) echo "ok $_n $name" ;;
	4) echo "ok $_n $name # SKIP" ;;
	*) echo "not ok $_n $name # exit=$rc" ;;
	esac
}
ksft_end() {
	echo "1..$_n"
}

unit_in() {	# DIR
	local t
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	for t in "$1"/test_*; do
		[ -x "$t" ] && ksft_run "${t#"$B"/}" "$t"
	done
	ksft_end
}

unit() { unit_in "$B/tests"; }
unit-asan() { unit_in "$B/asan/tests"; }

host() {
	local t
	for t in "$TOP"/selftests/host/*.sh; do
		[ -x "$t" ] && ksft_run "${t#"$TOP"/}" "$t"
	done
	ksft_end
}

# checkpatch's exit status says as much as its output; both must be clean.
checkpatch_one() {
	local out rc
	out=$(perl "$B/scripts/checkpatch.pl" --strict --no-tree --terse \
		--show-types -f "$1" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out"
	[ "$rc" = 0 ] && ! grep -qE 'ERROR|WARNING|CHECK' <<<"$out"
}

# A missing sparse, a failed build and a modpost ERROR or WARNING are
# failures, not silence.
sparse_module() {
	local out rc
	if ! command -v "$SPARSE" >/dev/null; then
		echo "$SPARSE: not found (make deps)"
		return 1
	fi
	out=$(make -s -C "$KDIR" M="$TOP" C=2 CHECK="$SPARSE" modules 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out"
	if [ "$rc" != 0 ]; then
		echo "make C=2 exited with status $rc"
		return 1
	fi
	! grep -qE 'warning:|error:|ERROR:|WARNING:' <<<"$out"
}

static() {
	local f
	for f in kmod/*.c kmod/*.h include/uapi/linux/*.h; do
		ksft_run "checkpatch --strict $f" checkpatch_one "$f"
	done
	ksft_run "sparse (make C=2) on the module" sparse_module
	ksft_run "UAPI header against Documentation/netlink/specs/cpns.yaml" \
		python3 "$TOP/selftests/spec/check-spec.py"
	ksft_end
}

fuzz() {
	ksft_run "fuzz targets, ${FUZZ_SECONDS:-30}s each" \
		"$TOP/selftests/fuzz.sh" "${FUZZ_SECONDS:-30}"
	ksft_end
}

# A saved run's output and status, replayed for ksft_run.
replay() {	# FILE
	cat "$1"
	return "$(cat "$1.rc")"
}

replay_failed() {	# FILE
	cat "$1"
	return 1
}

# The collection in two VMs side by side, one vCPU each (TCG runs one
# vCPU on one host core), split by VM_SPLIT (test-name prefixes, an
# extended regex: the daemon's tests but cpnsd_figb_faults, the YNL
# client's and fastpath_paths, about half of the time by the "# NAME
# took Ns" lines; kmemleak.sh, which scans for what the tests before it
# leaked, runs last in both); one VM when T names tests or the host has
# one core.
vm() {
	local split=${VM_SPLIT:-cpnsd_[^f]|cpnsd_figb[.]|ynl_|fastpath_p} dir=${VM_DIR:-$B/vm} p

	if [ -n "$T" ] || [ "$(nproc)" -lt 2 ]; then
		ksft_run "vm: kselftest collection cpns${T:+ ($T*)}" \
			"$TOP/selftests/vm/run.sh" --tests "$T"
		ksft_end
		return
	fi
	mkdir -p "$dir"
	# One image for both (the test list is on the kernel command line).
	if ! KVER=$KVER B=$B TOP=$TOP "$TOP/selftests/vm/mkinitramfs.sh" \
		"$dir/initramfs.cpio" >"$dir/part1.out" 2>&1; then
		ksft_run "vm: the test image" replay_failed "$dir/part1.out"
		ksft_end
		return
	fi
	{
		VM_DIR=$dir-1 VM_INITRD=$dir/initramfs.cpio \
			"$TOP/selftests/vm/run.sh" --tests "$split|kmemleak" \
			>"$dir/part1.out" 2>&1
		echo $? >"$dir/part1.out.rc"
	} &
	p=$!
	VM_DIR=$dir-2 VM_INITRD=$dir/initramfs.cpio \
		"$TOP/selftests/vm/run.sh" --tests "!$split" \
		>"$dir/part2.out" 2>&1
	echo $? >"$dir/part2.out.rc"
	wait "$p"
	ksft_run "vm: kselftest collection cpns ($split)" \
		replay "$dir/part1.out"
	ksft_run "vm: kselftest collection cpns (all but $split)" \
		replay "$dir/part2.out"
	ksft_end
}

harness() {
	ksft_run "vm harness failure tests" \
		"$TOP/selftests/harness/check-harness.sh"
	ksft_end
}

# Run one stage in a subshell, its output shown and kept, then counted.
stage() {
	local name=$1 out=$logs/stage-$1.log rc counts start=$SECONDS
	echo "# ---- $name"
	(_n=0; "$name") 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	echo "# ---- $name took $((SECONDS - start))s" | tee -a "$out"
	cat "$out" >>"$log"
	counts=$logs/stage-$name.counts
	python3 "$TOP/selftests/lib/tap.py" --stage "$name" \
		--allow "${SKIP_ALLOWED:-$TOP/selftests/skip-allowed}" \
		--counts "$counts" "$out" |
		tee -a "$log" | grep '^# \(FAIL\|  \)'
	read -r p f s <"$counts"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "# FAIL $name: stage exited with status $rc" | tee -a "$log"
		f=1
	fi
	echo "$name $p $f $s" >>"$logs/check-counts"
}

for s in $stages; do
	case $s in
	unit | unit-asan | host | static | fuzz | vm | harness) stage "$s" ;;
	*) echo "check.sh: unknown stage $s" >&2; exit 2 ;;
	esac
done

passed=0 failed=0 skipped=0
while read -r name p f s; do
	printf '# %-10s %4d passed, %d failed, %d skipped\n' "$name:" "$p" "$f" "$s"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done <"$logs/check-counts"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
