#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the whole VM suite on the debug kernel (KASAN inline,
# lockdep with PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, kmemleak,
# failslab; selftests/debug/config), built once by build-kernel.sh and
# cached.  cpns.ko and the harness's modules are built against that
# kernel's tree, in the build folder, and the VM loads that kernel's own
# modules.  The collection's debug-only tests run too: failnth (every
# mutating op under fail-nth) and, last, kmemleak.sh; their skips, which
# the stock kernel's allow-list accepts, fail here
# (selftests/debug/skip-allowed).
#
# usage: check-debug.sh     env: B TOP T (test name prefix) VM_TIMEOUT
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${B:-$TOP/build}
here=$TOP/selftests/debug

start=$(date +%s)
dir=$("$here/build-kernel.sh")
built=$(date +%s)
rel=$(cat "$dir/release")
echo "# debug kernel $rel in $dir (built in $(cat "$dir/build-seconds")s, once)"

# Out-of-tree modules for that kernel, built apart from the stock ones:
# the objects of two kernels must not meet in one folder.
mod=$B/debug/mod
mkdir -p "$mod"
rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '*.cmd' \
	--exclude '*.mod*' "$TOP/Kbuild" "$TOP/kmod" "$TOP/include" "$mod/"
make -s -C "$dir/linux" M="$mod" modules >&2
warn=$B/debug/warnmod
mkdir -p "$warn"
cp "$TOP"/selftests/harness/warnmod/* "$warn/"
make -s -C "$dir/linux" M="$warn" modules >&2

export KVER=$rel KERNEL=$dir/bzImage MODROOT=$dir/mods CPNS_KO=$mod/cpns.ko
export WARNMOD_DIR=$warn VM_MEM=${VM_MEM:-2048}
export VM_TIMEOUT=${VM_TIMEOUT:-5400} VM_DIR=$B/vm-debug
# KASAN watches every access; slub_debug's poisoning would only add time.
export VM_SLUB_DEBUG=
export SKIP_ALLOWED=$here/skip-allowed CHECK_DIR=$B/check-debug
export KSFT_TIMEOUT=${KSFT_TIMEOUT:-1800}
rc=0
"$TOP/selftests/check.sh" vm || rc=$?
end=$(date +%s)
echo "# check-debug: kernel ready in $((built - start))s, suite $((end - built))s"
exit $rc
