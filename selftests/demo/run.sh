#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the test VM on the demo suite (selftests/demo/demo.sh,
# see selftests/vm/init) and show what it prints one TAP level up, as
# it happens.  Exits non-zero when a step of the demo failed, the guest
# did not finish, or its kernel warned: selftests/vm/run.sh judges.
# env: KVER B, and run.sh's (VM_DIR defaults to $B/vm-demo here)
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$TOP/build}
export TOP B
export VM_DIR=${VM_DIR:-$B/vm-demo}
export VM_TIMEOUT=${VM_TIMEOUT:-300}
"$TOP/selftests/vm/run.sh" --suite demo |
	sed -u -e '1,2{/^TAP version 13$/d;/^1\.\.1$/d}' -e 's/^# //'
