#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the pinned Debian kernel under qemu with the test initramfs and
# report the guest's TAP stream, the kernel kselftest runner's.  The run
# fails when that stream, counted by selftests/lib/tap.py, has a failure
# or a skip selftests/skip-allowed does not list, when the guest ends
# without its end marker (hang, panic, crash), or when the kernel console
# shows a warning of any kind (selftests/vm/kernel-errors.re).
#
# usage: run.sh [--suite cpns|harness|bench] [--tests REGEX] [--shell]
#   REGEX: test-name prefixes as an extended regex ("cpnsd_|ynl_"), or
#   "!REGEX" for all but those; VM_INITRD: use that image, build none
#        env: KVER B TOP VM_TIMEOUT (seconds, default 900) VM_SMP (vCPUs, 1)
#             VM_DIR (logs and image, default $B/vm: one per concurrent run)
#             KERNEL (default /boot/vmlinuz-$KVER) VM_MEM (MiB, default 1024)
#             VM_SLUB_DEBUG (default FZPU, empty for none)
#             VM_ENV ("NAME=VALUE ...": exported in the guest, for benchmarks)
#             VM_TB_SIZE (MiB of TCG translation cache; QEMU's default 1024)
#             VM_APPEND (more kernel parameters)
#             VM_ASLR (1: keep the guest's ASLR, off by default for speed)
#             VM_CPU (qemu's -cpu under TCG, default max,la57=off)
#             VM_ARCH (arm64: qemu-system-aarch64's virt machine; KERNEL
#             is then Debian's arm64 image, the initramfs mkinitramfs.sh's
#             with SYSROOT)
#             SKIP_ALLOWED (default selftests/skip-allowed)
#             and mkinitramfs.sh's MODROOT CPNS_KO WARNMOD_DIR KSFT_TIMEOUT
set -uo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${B:-$TOP/build}
: "${KVER:?}"
suite=cpns
tests=
shell=
while [ $# -gt 0 ]; do
	case $1 in
	--suite) suite=$2; shift ;;
	--tests) tests=$2; shift ;;
	--shell) shell=1 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

vm=${VM_DIR:-$B/vm}
mkdir -p "$vm"
initrd=${VM_INITRD:-$vm/initramfs.cpio}
if [ -z "${VM_INITRD:-}" ]; then
	KVER=$KVER B=$B TOP=$TOP "$TOP/selftests/vm/mkinitramfs.sh" "$initrd" ||
		exit 1
fi

# KVM only where it can run a stock kernel: a CPU with vmx/svm and not the
# paravirtual kvm_pvm (which hangs stock kernels and never falls back).
# Without la57: 6.1's identify_cpu() briefly clears the boot CPU's
# feature words, LA57 among them, so an interrupt in that window computes
# KASAN's shadow bounds for 4-level paging and reports the 5-level direct
# map as a wild access (1 boot in 5 of the debug kernel under TCG).
# arm64: pauth-impdef, the pointer authentication QEMU computes fast
# (the architected QARMA takes a third of the guest's time under TCG);
# the guest sees the same instructions.
arch=${VM_ARCH:-x86_64}
case $arch in
x86_64) cpu=max,la57=off ;;
arm64) cpu=max,pauth-impdef=on ;;
*) echo "run.sh: unknown VM_ARCH $arch" >&2; exit 2 ;;
esac
accel="-accel tcg,thread=multi${VM_TB_SIZE:+,tb-size=$VM_TB_SIZE} -cpu ${VM_CPU:-$cpu}"
if [ "$arch" = x86_64 ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo &&
   ! grep -q '^kvm_pvm ' /proc/modules 2>/dev/null; then
	accel="-accel kvm -cpu host"
fi

con=ttyS0
[ "$arch" = arm64 ] && con="ttyAMA0 cpns_tap=hvc0"
append="console=$con rdinit=/init panic=-1 panic_on_warn=1 oops=panic"
# TCG finds a translated block by its virtual address too: with ASLR
# every process translates bash, libc and OpenSSL anew at addresses of
# its own, and the tests start thousands of processes.  Without it the
# daemon tests run about 1.5x faster (Documentation/testing.rst).
[ "${VM_ASLR:-0}" = 1 ] || append+=" norandmaps"
append+="${VM_APPEND:+ $VM_APPEND}"
# slub_debug: the stock kernel has CONFIG_SLUB_DEBUG but leaves it off;
# with sanity checks, red zones, poisoning and owner tracking on, a
# write past an object or after its free is reported (and fails the run)
# instead of passing unless it crashes.
slub=${VM_SLUB_DEBUG-FZPU}
append+="${slub:+ slub_debug=$slub} loglevel=5 cpns_suite=$suite"
[ -n "$tests" ] && append+=" cpns_tests=$tests"
[ -n "${VM_ENV:-}" ] && append+=" cpns_env=$(echo $VM_ENV | tr ' ' +)"

console=$vm/console.log
tap=$vm/tap.log
case $arch in
x86_64)
	qemu=(qemu-system-x86_64 -M pc)
	tapdev=(-serial "file:$tap") ;;
arm64)
	qemu=(qemu-system-aarch64 -M virt)
	tapdev=(-device virtio-serial-device -chardev "file,id=tap,path=$tap"
		-device virtconsole,chardev=tap) ;;
esac
qemu+=($accel -smp "${VM_SMP:-1}" -m "${VM_MEM:-1024}"
      -nodefaults
      -no-user-config -display none -no-reboot -nic none
      -kernel "${KERNEL:-/boot/vmlinuz-$KVER}" -initrd "$initrd")

if [ -n "$shell" ]; then
	[ "$arch" = x86_64 ] && tapdev=(-serial null)
	exec "${qemu[@]}" -append "${append/cpns_suite=$suite/cpns_suite=shell}" \
		-serial mon:stdio "${tapdev[@]}"
fi

: >"$console"
: >"$tap"
start=$(date +%s)
timeout -k 5 "${VM_TIMEOUT:-900}" "${qemu[@]}" -append "$append" \
	-serial "file:$console" "${tapdev[@]}" &
qpid=$!
tail -n +1 -s 0.2 -f --pid=$qpid "$tap" | grep --line-buffered -v '^# CPNS-VM-END'
wait $qpid
qrc=$?
secs=$(( $(date +%s) - start ))

rc=0
fail() {
	echo "# vm: FAIL: $1"
	rc=1
}
end=$(sed -n 's/^# CPNS-VM-END rc=\([0-9]*\).*/\1/p' "$tap" | tail -1)
if [ -z "$end" ]; then
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		fail "guest timed out after ${VM_TIMEOUT:-900}s without a result"
	else
		fail "guest ended (qemu status $qrc) without a result"
	fi
elif [ "$end" != 0 ]; then
	fail "the guest's runner ended with status $end"
fi
grep -v '^# CPNS-VM-END' "$tap" >"$vm/tap-stream.log"
if ! python3 "$TOP/selftests/lib/tap.py" --stage vm --require-plan --require-children \
	--allow "${SKIP_ALLOWED:-$TOP/selftests/skip-allowed}" "$vm/tap-stream.log" \
	>"$vm/tap-count.log"; then
	grep '^# \(FAIL\|  \)' "$vm/tap-count.log"
	fail "the TAP stream has failures ($(tail -1 "$vm/tap-count.log" | cut -c3-))"
fi
bad=$(grep -nE -f "$TOP/selftests/vm/kernel-errors.re" "$console" | head -5)
if [ -n "$bad" ]; then
	fail "kernel log shows: $(echo "$bad" | head -1 | cut -c1-160)"
fi
echo "# vm: $suite${tests:+ ($tests*)} took ${secs}s (qemu $accel)"
if [ "$rc" != 0 ]; then
	cp "$console" "$vm/console-failed.log"
	echo "# vm: console log kept in $vm/console-failed.log; its tail:"
	tail -30 "$console" | sed 's/^/#   /'
fi
exit $rc
