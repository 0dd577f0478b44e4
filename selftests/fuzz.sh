#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: run every libFuzzer target in $B/fuzz for SECONDS each (default
# 30) on a corpus in $B/fuzz/corpus/<target>, seeded from the test vectors
# in selftests/vectors/.  Prints TAP, one line per target; exits non-zero
# when a target crashes, leaks, times out or reports any other finding.
# Reproducers land in $B/fuzz/artifacts/.
#
# usage: fuzz.sh [SECONDS]      env: B (build folder, default ./build)
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$TOP/build}
SECS=${1:-30}
VEC=$TOP/selftests/vectors

case $SECS in
'' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a number" >&2; exit 2 ;;
esac

targets=()
for f in "$B"/fuzz/fuzz_*; do
	[ -x "$f" ] && [ -f "$f" ] && targets+=("$f")
done
echo "1..${#targets[@]}"
[ ${#targets[@]} = 0 ] && exit 0

# Seeds: the hex fields of the vector files, in each target's input form.
# fuzz_gkblob takes be16 len(gkdk) || gkdk || blob; fuzz_gkdk a GKDK;
# fuzz_msg a limit byte (0: the default, 0x88: 8 KiB) || a message.
seed() {
	local name=$1 dir=$2

	python3 - "$name" "$dir" "$VEC" <<'PY'
import hashlib, os, sys

name, out, vec = sys.argv[1:4]

sys.dont_write_bytecode = True  # nothing written beside the vectors
sys.path.insert(0, vec)
from vecfile import records  # noqa: E402

seeds = []
for fn in sorted(os.listdir(vec)):
    if not fn.endswith('.vec'):
        continue
    for r in records(os.path.join(vec, fn)):
        g = bytes.fromhex(r.get('gkdk', ''))
        b = bytes.fromhex(r.get('blob', ''))
        if name == 'fuzz_gkblob' and 'blob' in r:
            seeds.append(len(g).to_bytes(2, 'big') + g + b)
        elif name == 'fuzz_gkdk' and 'gkdk' in r:
            seeds.append(g)
        elif name == 'fuzz_msg' and 'msg' in r:
            lim = int(r.get('body_max', 4096)) // 1024
            seeds.append(bytes([0x80 | lim if lim != 4 else 0]) +
                         bytes.fromhex(r['msg']))
os.makedirs(out, exist_ok=True)
for s in seeds:
    with open(os.path.join(out, hashlib.sha1(s).hexdigest()), 'wb') as f:
        f.write(s)
print(len(seeds))
PY
}

# All targets at once: make check's fuzz stage takes SECONDS, not
# SECONDS per target (on 2 cores each gets at least 2/3 of one).
run_one() {	# TARGET
	local f=$1 name corpus log
	name=$(basename "$f")
	corpus=$B/fuzz/corpus/$name
	log=$B/fuzz/log/$name.log
	if ! seed "$name" "$corpus" >"$log.seeds"; then
		echo "seeding from $VEC failed" >"$log"
		echo 2 >"$log.rc"
		return
	fi
	# -timeout: one input that runs 10 s is a finding too.
	"$f" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$B/fuzz/artifacts/$name-" \
		-print_final_stats=1 "$corpus" >"$log" 2>&1
	echo $? >"$log.rc"
}

n=0
fail=0
mkdir -p "$B/fuzz/artifacts" "$B/fuzz/log"
for f in "${targets[@]}"; do
	rm -f "$B/fuzz/log/$(basename "$f").log.rc"
	run_one "$f" &
done
wait
for f in "${targets[@]}"; do
	n=$((n + 1))
	name=$(basename "$f")
	log=$B/fuzz/log/$name.log
	rc=$(cat "$log.rc" 2>/dev/null || echo 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" = 0 ]; then
		echo "ok $n - $name (${SECS}s, ${runs:-?} runs, $(cat "$log.seeds") seeds)"
	else
		echo "not ok $n - $name: exit $rc, see $log"
		grep -E 'ERROR|SUMMARY|Test unit written|seeding' "$log" |
			head -5 | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
