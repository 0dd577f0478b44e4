#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: host unit tests (plain, then under ASan/UBSan), static
# checks of the kernel code, the fuzz targets, the Debian packages, the VM
# tests on each kernel, and the VM harness's own failure tests.  Each stage prints one TAP stream in the
# kselftest layout: every program's own TAP one "# " level down, its
# verdict (from its exit status: 0 ok, 4 skip, else not ok) above it.
# selftests/lib/tap.py counts each stage by its results, prints the
# per-stage counts, and this script ends with "N passed, M failed,
# K skipped".  A skip that selftests/skip-allowed does not list fails.
#
# usage: check.sh [unit|unit-asan|host|static|fuzz|packages|vm|harness ...]
#        (default: all; "unit" is unit, unit-asan and host), or arm64
#        (make check-arm64: not part of the default)
#        env: KVER B T (VM test name prefix) FUZZ_SECONDS SPARSE
#             KVER2 (a second kernel for the VM tests, none when empty)
#             KVER_ARM64 (the arm64 kernel) B64 (make cross-arm64's build)
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

stages=${*:-unit static fuzz packages vm harness}
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

# cpns.ko cross-built for Debian's arm64 kernel of KVER's ABI, from
# the sources DKMS would take: no warning, and an aarch64 module with
# that kernel's vermagic.
arm64_module() {
	local k=${KVER_ARM64:-${KVER%-amd64}-arm64} dir=$B/arm64 cache out rc

	cache=$("$TOP/selftests/arm64/fetch-kernel.sh" "$k") || return 1
	rm -rf "$dir"
	make -s -C "$TOP" dkms-install DESTDIR="$dir/root" >/dev/null || return 1
	mv "$dir"/root/usr/src/cpns-* "$dir/mod"
	out=$(make -s -C "$cache/usr/src/linux-headers-$k" M="$dir/mod" \
		ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- modules 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out"
	[ "$rc" = 0 ] || { echo "make exited with status $rc"; return 1; }
	! grep -qE 'warning:|error:|ERROR:|WARNING:' <<<"$out" || return 1
	out=$(modinfo -F vermagic "$dir/mod/cpns.ko") || return 1
	echo "vermagic: $out"
	[[ $out == "$k "*" aarch64" ]]
}

static() {
	local f
	for f in kmod/*.c kmod/*.h include/uapi/linux/*.h; do
		ksft_run "checkpatch --strict $f" checkpatch_one "$f"
	done
	ksft_run "sparse (make C=2) on the module" sparse_module
	ksft_run "cpns.ko cross-builds for arm64 without a warning" arm64_module
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

# The Debian packages (make deb: dpkg-buildpackage -us -uc, then lintian
# --pedantic), built from the tracked files into build/deb; the VM stage
# installs them into each test VM's root and has DKMS build each
# kernel's cpns.ko from cpns-dkms's sources.
debs=$TOP/build/deb
packages() {
	rm -f "$debs"/*.deb
	ksft_run "Debian packages: dpkg-buildpackage -us -uc, lintian --pedantic" \
		make -s -C "$TOP" deb
	ksft_run "cpns-dkms holds the module's sources for DKMS" \
		dkms_unpack "$debs/root-dkms"
	ksft_end
}

dkms_unpack() {	# DIR: cpns-dkms unpacked there
	local deb

	deb=$(ls "$debs"/cpns-dkms_*_all.deb) || return 1
	rm -rf "$1"
	dpkg-deb -x "$deb" "$1" || return 1
	dpkg-deb -c "$deb" | grep -E ' \./usr/src/cpns-[^/]+/(dkms\.conf|Kbuild)$'
	[ -f "$(echo "$1"/usr/src/cpns-*/dkms.conf)" ]
}

# The packages for the test images, when make deb built them.
pkg_debs() {
	ls "$debs"/cpns-tools_*.deb "$debs"/cpns-dkms_*.deb 2>/dev/null | tr '\n' ' '
}

# cpns.ko for kernel $1 as DKMS builds it from the cpns-dkms package
# (from the checkout's files when there is no package), and its vermagic
# checked: the module the VM tests of that kernel load.
dkms_module() {	# KVER OUTFILE
	local ko magic src=

	[ -d "$debs/root-dkms/usr/src" ] && src=$debs/root-dkms/usr/src
	ko=$("$TOP/selftests/lib/dkms-build.sh" "$1" $src) || return 1
	magic=$(modinfo -F vermagic "$ko") || return 1
	echo "$ko: vermagic $magic"
	[ "${magic%% *}" = "$1" ] || { echo "vermagic is not $1's"; return 1; }
	echo "$ko" >"$2"
}

# One image per kernel (the test list is on the kernel command line).
vm_image() {	# KVER CPIO [VAR=VALUE...]
	local k=$1 out=$2

	shift 2
	env KVER="$k" B="$B" TOP="$TOP" "$@" \
		"$TOP/selftests/vm/mkinitramfs.sh" "$out"
}

vm_half() {	# NAME CPIO KVER TESTS [VAR=VALUE...]: one VM, its output kept
	local name=$1 cpio=$2 k=$3 tests=$4

	shift 4
	env KVER="$k" VM_DIR="$dir/$name" VM_INITRD="$cpio" "$@" \
		"$TOP/selftests/vm/run.sh" --tests "$tests" >"$dir/$name.out" 2>&1
	echo $? >"$dir/$name.out.rc"
}

# The collection on KVER with the sanitized cpnsctl and cpnsd, and on
# KVER2 (when set) with the shipped builds: the sanitizers see the same
# userspace code on either kernel.  Each kernel's cpns.ko is the one DKMS
# builds (or CPNS_KO, for KVER).  Each kernel's tests are split in two halves by VM_SPLIT
# (test-name prefixes, an extended regex: the daemon's tests but
# cpnsd_figb_faults, the YNL client's and fastpath_paths, about half of
# the time by the "# NAME took Ns" lines; kmemleak.sh, which scans for
# what the tests before it leaked, runs last in each), and two VMs run
# side by side, one vCPU each (TCG runs one vCPU on one host core): one
# takes the first halves, the other the second.  One VM, KVER's cpns.ko
# from make and no KVER2, when T names tests or the host has one core.
vm() {
	local split=${VM_SPLIT:-cpnsd_[^f]|cpnsd_figb[.]|ynl_|fastpath_p}
	local dir=${VM_DIR:-$B/vm} kernels=$KVER k p env2=()

	if [ -n "$T" ] || [ "$(nproc)" -lt 2 ]; then
		ksft_run "vm: kselftest collection cpns${T:+ ($T*)}" \
			env PKG_DEBS="$(pkg_debs)" \
			"$TOP/selftests/vm/run.sh" --tests "$T"
		ksft_end
		return
	fi
	mkdir -p "$dir"
	rm -f "$dir"/*.out "$dir"/*.rc "$dir"/*.ko "$dir"/*.cpio
	[ -n "${KVER2:-}" ] && kernels+=" $KVER2"
	for k in $kernels; do
		# check-debug brings its own kernel's module.
		if [ "$k" = "$KVER" ] && [ -n "${CPNS_KO:-}" ]; then
			echo "$CPNS_KO" >"$dir/$k.ko"
			continue
		fi
		ksft_run "vm: cpns.ko for $k built by DKMS" \
			dkms_module "$k" "$dir/$k.ko"
	done
	if ! [ -s "$dir/$KVER.ko" ] ||
	   ! vm_image "$KVER" "$dir/$KVER.cpio" CPNS_KO="$(cat "$dir/$KVER.ko")" \
		PKG_DEBS="$(pkg_debs)" >"$dir/image.out" 2>&1; then
		ksft_run "vm: the test image for $KVER" replay_failed "$dir/image.out"
		ksft_end
		return
	fi
	if [ -n "${KVER2:-}" ]; then
		# Its own modules only: the harness's are built for KVER.
		env2=(CPNS_KO="$(cat "$dir/$KVER2.ko" 2>/dev/null)" \
		      WARNMOD_DIR=/nonexistent VM_SANITIZE=0 PKG_DEBS="$(pkg_debs)")
		if ! [ -s "$dir/$KVER2.ko" ] ||
		   ! vm_image "$KVER2" "$dir/$KVER2.cpio" "${env2[@]}" \
			>"$dir/image.out" 2>&1; then
			ksft_run "vm: the test image for $KVER2" \
				replay_failed "$dir/image.out"
			ksft_end
			return
		fi
	fi
	{
		vm_half "$KVER-1" "$dir/$KVER.cpio" "$KVER" "$split|kmemleak"
		[ -n "${KVER2:-}" ] && vm_half "$KVER2-1" "$dir/$KVER2.cpio" \
			"$KVER2" "$split|kmemleak" "${env2[@]}"
	} &
	p=$!
	vm_half "$KVER-2" "$dir/$KVER.cpio" "$KVER" "!$split"
	# The captures are of userspace's messages: one kernel's are enough.
	[ -n "${KVER2:-}" ] && vm_half "$KVER2-2" "$dir/$KVER2.cpio" \
		"$KVER2" "!$split|dissector_capture" "${env2[@]}"
	wait "$p"
	for k in $kernels; do
		ksft_run "vm: $k: kselftest collection cpns ($split)" \
			replay "$dir/$k-1.out"
		if [ "$k" = "$KVER" ]; then
			ksft_run "vm: $k: kselftest collection cpns (all but $split)" \
				replay "$dir/$k-2.out"
			ksft_run "vm: the Wireshark dissector on the VM's captures" \
				dissector_on "$dir/captures" "$dir/$k-2.out"
		else
			ksft_run "vm: $k: kselftest collection cpns (all but $split|dissector_capture)" \
				replay "$dir/$k-2.out"
		fi
	done
	ksft_end
}

# What dissector_capture.sh captured in the VM, printed into its TAP
# stream, written back to files and dissected here with tshark.
dissector_on() {	# DIR LOG...
	local out=$1

	shift
	rm -rf "$out"
	mkdir -p "$out"
	cat "$@" | python3 "$TOP/selftests/wireshark/extract.py" /dev/stdin "$out" &&
		"$TOP/selftests/wireshark/check-dissector.sh" --captures "$out"
}

# make check-arm64: the VM tests but those selftests/arm64/left-out names
# on Debian's arm64 kernel of KVER's ABI, in qemu-system-aarch64, with
# cpns.ko as arm64_module cross-builds it and the programs and tests
# cross-built into B64 (make cross-arm64) against fetch-root.sh's root.
arm64() {
	local k=${KVER_ARM64:-${KVER%-amd64}-arm64} dir=$B/vm-arm64 root cache
	local tests=${T:-!$(sed -n 's/^\([a-z0-9_]\+\).*/\1/p' \
		"$TOP/selftests/arm64/left-out" | paste -sd'|')}

	ksft_run "cpns.ko cross-builds for arm64 without a warning" arm64_module
	mkdir -p "$dir"
	if ! root=$("$TOP/selftests/arm64/fetch-root.sh" 2>"$dir/image.out") ||
	   ! cache=$("$TOP/selftests/arm64/fetch-kernel.sh" "$k" 2>>"$dir/image.out") ||
	   ! vm_image "$k" "$dir/image.cpio" B="${B64:?}" SYSROOT="$root" \
		CC="aarch64-linux-gnu-gcc --sysroot=$root" MODROOT="$cache" \
		CPNS_KO="$B/arm64/mod/cpns.ko" WARNMOD_DIR=/nonexistent \
		YNL_DIR="$B/ynl" VM_SANITIZE=0 >>"$dir/image.out" 2>&1; then
		ksft_run "vm: the arm64 test image" replay_failed "$dir/image.out"
		ksft_end
		return
	fi
	ksft_run "vm: $k: kselftest collection cpns ($tests)" \
		env VM_ARCH=arm64 KVER="$k" KERNEL="$cache/boot/vmlinuz-$k" \
		VM_DIR="$dir" VM_INITRD="$dir/image.cpio" \
		"$TOP/selftests/vm/run.sh" --tests "$tests"
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
	unit | unit-asan | host | static | fuzz | packages | vm | harness | arm64) stage "$s" ;;
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
