#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every host benchmark under build/bench, then the VM
# benchmarks (selftests/bench/ in the VM), each printing its own table.
# Benchmarks report numbers and ratios against a peer; they never pass or
# fail on speed.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$TOP/build}
cd "$TOP" || exit 1
# The kernel as shipped: the tests' slub_debug=FZPU saves a stack trace
# at every allocation and free (a tenth of the fan-out's CPU).
export VM_SLUB_DEBUG=${VM_SLUB_DEBUG-}
# And without two costs of the emulator that hardware does not have.  TCG
# finds a translation by physical and virtual address, so with ASLR each
# of the fan-out's 181 daemons translated libcrypto's signature check
# for itself at its first rotation (46-56 ms of emulated CPU per PNE,
# against 4 ms once translated), and the 181 processes' translations
# overflowed QEMU's 1 GiB cache, so every other rotation paid again.
# norandmaps (run.sh's default, VM_ASLR=1 undoes it) gives every process
# the same addresses, tb-size room to keep them.  Peers run in the same
# boot.  (Documentation/bench.rst)
export VM_TB_SIZE=${VM_TB_SIZE-4096}
rc=0
for b in "$B"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "## ${b##*/}"
	"$b" || rc=1
done
if ls "$TOP"/selftests/bench/* >/dev/null 2>&1; then
	echo "## VM benchmarks"
	# cpnsd_fanout alone starts 181 namespaces and daemons per case,
	# tens of minutes under TCG on a busy host.
	VM_TIMEOUT=${VM_TIMEOUT:-3600} "$TOP/selftests/vm/run.sh" --suite bench ||
		rc=1
	# What scales over CPUs needs a boot with two of them.
	echo "## VM benchmarks, two vCPUs"
	VM_SMP=2 "$TOP/selftests/vm/run.sh" --suite bench \
		--tests fastpath_flows || rc=1
	# The gateway and fifty client threads must not share one vCPU.
	VM_SMP=2 "$TOP/selftests/vm/run.sh" --suite bench \
		--tests cpnsd_assign || rc=1
fi
exit $rc
