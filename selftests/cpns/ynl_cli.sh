#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every operation of the family through the kernel's own YNL client
# (tools/net/ynl/cli.py driven by Documentation/netlink/specs/cpns.yaml),
# an independent client that knows the family only from its spec: the
# replies decode as the spec says, the refusals carry their errno and
# extack, and the events reach a subscriber.  mkinitramfs.sh puts the
# client and the spec under /ynl; their absence fails the test.
. ./common.sh
plan 30

cpns_unload
modprobe cpns
SPEC=/ynl/Documentation/netlink/specs/cpns.yaml
# The kernel's client, unchanged, but with PyYAML's libyaml loader behind
# its yaml.safe_load() of the spec: same objects, and 1.3 s instead of
# 2.6 s of the 5 s a run takes under TCG.  A file, for setpriv to run too.
CLI=$(mktemp /tmp/ynl-cli.XXXXXX)
chmod 644 "$CLI"
cat >"$CLI" <<'EOF'
import runpy, sys, yaml
yaml.safe_load = lambda stream: yaml.load(stream, Loader=yaml.CSafeLoader)
sys.path.insert(0, "/ynl/tools/net/ynl")
sys.argv[0] = "/ynl/tools/net/ynl/cli.py"
runpy.run_path(sys.argv[0], run_name="__main__")
EOF
# Most runs go to one python process that runs cli.py once per request
# (its argv as a JSON array on a line; the answer: its exit status and
# output): 30 interpreters and spec parses cost 110 s under TCG.  The
# spec is parsed once; cli.py still builds its YnlFamily from it, opens
# its own socket and prints and exits as it does alone.
SERVE=$(mktemp /tmp/ynl-serve.XXXXXX)
cat >"$SERVE" <<'EOF'
import contextlib, copy, io, json, os, runpy, sys, traceback, yaml
specs = {}
def load(stream):
    name = getattr(stream, "name", None)
    if name not in specs:
        specs[name] = yaml.load(stream, Loader=yaml.CSafeLoader)
    return copy.deepcopy(specs[name])
yaml.safe_load = load
sys.path.insert(0, "/ynl/tools/net/ynl")
cli = "/ynl/tools/net/ynl/cli.py"
# cli.py's exit() is site's, which closes sys.stdin first.
for line in os.fdopen(os.dup(0)):
    sys.argv = [cli] + json.loads(line)
    out, rc = io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            runpy.run_path(cli, run_name="__main__")
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else int(e.code is not None)
        except BaseException:
            traceback.print_exc()
            rc = 1
    print(json.dumps({"rc": rc, "out": out.getvalue()}), flush=True)
EOF
coproc YNL { exec python3 "$SERVE"; }

ynl() {
	local reply

	jq -cn '$ARGS.positional' --args -- --no-schema --spec "$SPEC" \
		--output-json "$@" >&"${YNL[1]}" || return 2
	read -r reply <&"${YNL[0]}" || return 2
	jq -j .out <<<"$reply"
	return "$(jq .rc <<<"$reply")"
}

# jq_check DESC FILTER CLI-ARGS...: the client succeeds and FILTER is
# true of its output, one JSON document per line (the reply, then with
# --subscribe the notifications), slurped into an array.
jq_check() {
	local desc=$1 filter=$2 out status
	shift 2
	out=$(ynl "$@" 2>&1)
	status=$?
	if [ "$status" = 0 ] &&
	   [ "$(echo "$out" | jq -se "$filter" 2>/dev/null)" = true ]; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# status $status, /$filter/ not true of: ynl $*"
		echo "$out" | sed 's/^/#   /'
	fi
}

# refused DESC ERRNO-TEXT EXTACK-REGEX CLI-ARGS...: the client exits 1
# with the kernel's errno and an extack whose start (after "{") matches
# EXTACK-REGEX, or with no extack at all when EXTACK-REGEX is empty.
refused() {
	local desc=$1 err=$2 ext=$3 out status
	shift 3
	out=$(ynl "$@" 2>&1)
	status=$?
	if [ "$status" = 1 ] &&
	   echo "$out" | grep -qx "Netlink error: $err" &&
	   if [ -n "$ext" ]; then echo "$out" | grep -qE "extack: \{$ext"
	   else ! echo "$out" | grep -q "extack:"; fi; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# expected status 1, \"$err\" and extack /$ext/, got status $status from: ynl $*"
		echo "$out" | sed 's/^/#   /'
	fi
}

# The first openable record of the shared vectors: a GKDK and its blob.
rec=$(awk 'BEGIN { RS = "" } /result = ok/ { print; exit }' vectors/cs-open.vec)
field() { echo "$rec" | sed -n "s/^$1 = //p"; }
gkdk=$(field gkdk)
blob=$(field blob)
gw=$((16#$(echo "$gkdk" | cut -c17-32)))
blob_group=$((16#$(echo "$blob" | cut -c33-40)))
valid_from=$((16#$(echo "$blob" | cut -c65-80)))
key1=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
key2=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
[ ${#key1} = 64 ] && [ ${#key2} = 64 ] && [ ${#blob} -ge 376 ] || {
	echo "Bail out! no keys or no vector"
	exit 1
}

jq_check "info-get: family version, schemes and ciphers by their spec names" \
	'.[0] | .["family-version"] == 1 and .schemes.item == [1] and
	 .ciphers.item == [1] and .["max-tree-height"] == 20 and
	 (.version | length) > 0' \
	--do info-get
# The subscriber below must outlast eight runs; time a warm one.
t0=${EPOCHREALTIME/./}
ynl --do info-get >/dev/null
run_ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))

# Groups
jq_check "group-new with every attribute, selector nested; then defaults" \
	'.[0] == [null, null]' \
	--multi group-new '{"id": 7, "grace": 30, "lifetime": 3600,
		"replay-window": 128, "expiry-notice": 60,
		"selector": {"family": 2, "daddr": "ef010203",
			     "prefix-len": 32, "dport": 5000}}' \
	--multi group-new '{"id": 8}'
jq_check "group-get: the group as created, big-endian dport decoded" \
	'.[0] | .id == 7 and .grace == 30 and .lifetime == 3600 and
	 .["replay-window"] == 128 and .["expiry-notice"] == 60 and
	 .selector == {"family": 2, "daddr": "ef010203", "prefix-len": 32,
		       "dport": 5000}' \
	--do group-get --json '{"id": 7}'
jq_check "group-get dump: both groups" '[.[0][].id] == [7, 8]' --dump group-get
refused "group-new of an existing id: EEXIST and the module's reason" \
	"File exists" "'msg': 'cpns: Service Group already exists'" \
	--do group-new --json '{"id": 7}'
refused "group-new daddr of 3 bytes: ERANGE inside the nest" \
	"Numerical result out of range" \
	"'msg': 'binary attribute size out of range'.*'bad-attr': '\.selector\.daddr'" \
	--do group-new --json '{"id": 9, "selector": {"family": 2, "daddr": "ef0102"}}'
refused "group-del without id: EINVAL, missing type named by the spec" \
	"Invalid argument" "'msg': 'cpns: missing attribute id', 'miss-type': 'id'" \
	--do group-del --json '{}'

# Keys and GKDKs, watched by a second client subscribed to the events.
# One process cannot both subscribe and do an op that notifies: the 6.12
# client's receive loop then fails on the notification (op is None).  The
# subscriber prints what it got only after --sleep, which starts once it
# has joined (waited for below), so that must outlast the window of ops:
# eight runs of the client, each twice as slow as a warm info-get.
grp=$(genl ctrl get name cpns | sed -n 's/.*ID-0x\([0-9a-f]*\) *name: events.*/\1/p')
subscribed() {	# a generic netlink socket has joined the events group
	local sk eth pid groups rest
	while read -r sk eth pid groups rest; do
		[ "$eth" = 16 ] && (( 16#$groups & (1 << (16#$grp - 1)) )) &&
			return 0
	done < <(tail -n +2 /proc/net/netlink)
	return 1
}
if [ -z "$grp" ] || (( 16#$grp > 32 )); then
	echo "Bail out! events group id \"$grp\" not in /proc/net/netlink's first 32"
	exit 1
fi
ntf=$(mktemp)
python3 "$CLI" --no-schema --spec "$SPEC" --output-json --subscribe events \
	--sleep $((5 + (2 * 8 * run_ms + 999) / 1000)) >"$ntf" 2>&1 &
sub=$!
for i in $(seq 300); do
	subscribed && break
	sleep 0.2
done
check "events: a client subscribes with --subscribe events" subscribed

jq_check "key-install plain: reply names the key, never its bytes" \
	"(.[0] | .[\"group-id\"] == 7 and .epoch == 1 and .state == \"current\" and
	  .source == \"plain\" and (.fingerprint | length) == 16) and
	 (tostring | contains(\"$key1\") | not)" \
	--do key-install --json "{\"group-id\": 7, \"epoch\": 1, \"plain\": \"$key1\"}"
check "key-install of epoch 2" ynl --do key-install --json \
	"{\"group-id\": 7, \"epoch\": 2, \"plain\": \"$key2\"}"
jq_check "key-del of epoch 1" '.[0] == null' \
	--do key-del --json '{"group-id": 7, "epoch": 1}'
check "gkdk-set of the vector's GKDK" \
	ynl --do gkdk-set --json "{\"data\": \"$gkdk\"}"
jq_check "gkdk-get dump: its metadata and fingerprint, no key bytes" \
	".[0][0] | .[\"gateway-id\"] == $gw and .scheme == \"cs\" and
	 .fingerprint == \"$(field gkdk_fp)\" and (has(\"data\") | not)" \
	--dump gkdk-get
jq_check "gkdk-get of the gateway" \
	".[0] | .height == $(field height) and .slot == $(field slot)" \
	--do gkdk-get --json "{\"gateway-id\": $gw}"
clock=$(date +%s)
date -s "@$((valid_from + 60))" >/dev/null
jq_check "key-install wrapped: opened in the kernel with the GKDK" \
	".[0][1] | .source == \"wrapped\" and .fingerprint == \"$(field gk_fp)\" and
	 .[\"gateway-id\"] == $gw" \
	--multi group-new "{\"id\": $blob_group}" \
	--multi key-install "{\"group-id\": $blob_group, \"wrapped\": \"$blob\"}"
date -s "@$((clock + 5))" >/dev/null
check "gkdk-del of the gateway" \
	ynl --do gkdk-del --json "{\"gateway-id\": $gw}"

kill -0 "$sub" 2>/dev/null ||
	echo "# the subscriber's --sleep ended before the last op: too short"
wait "$sub"
gwj=$(jq -n "$gw")	# jq reads u64s as doubles
check_eq "events: the subscriber got them in order, decoded by the spec" \
	"key-installed-ntf 7 1 current plain
key-installed-ntf 7 2 current plain
key-retired-ntf 7 1 deleted
gkdk-set-ntf $gwj
key-installed-ntf $blob_group 5 current wrapped
gkdk-del-ntf $gwj" \
	"$(jq -r '.[] | [.name, .msg["group-id"] // .msg["gateway-id"], .msg.epoch,
		 .msg.state, .msg.source, .msg["retire-reason"]] |
		 map(select(. != null)) | join(" ")' "$ntf" 2>&1)"
rm -f "$ntf"

refused "key-install same epoch, other key: EEXIST" "File exists" \
	"'msg': 'cpns: epoch already installed with another key'" \
	--do key-install --json "{\"group-id\": 7, \"epoch\": 2, \"plain\": \"$key1\"}"
refused "key-install of a lower epoch: ESTALE" "Stale file handle" \
	"'msg': \"cpns: epoch older than the group's newest \(rollback\)\"" \
	--do key-install --json "{\"group-id\": 7, \"epoch\": 1, \"plain\": \"$key1\"}"
refused "key-install wrapped one byte short: ERANGE names wrapped" \
	"Numerical result out of range" \
	"'msg': 'binary attribute size out of range'.*'bad-attr': '\.wrapped'" \
	--do key-install --json "{\"group-id\": 7, \"wrapped\": \"${blob:0:374}\"}"
jq_check "key-get: the current key" \
	'.[0] | .epoch == 2 and .state == "current" and .source == "plain"' \
	--do key-get --json '{"group-id": 7}'
jq_check "key-get dump of every group" \
	"[.[0][] | \"\(.[\"group-id\"]) \(.epoch) \(.state)\"] == [\"7 2 current\", \"$blob_group 5 current\"]" \
	--dump key-get
refused "gkdk-del of an unknown gateway: ENOENT" "No such file or directory" \
	"'msg': 'cpns: no GKDK for this gateway'" \
	--do gkdk-del --json '{"gateway-id": 66}'

# Counters
jq_check "stats-get of the namespace" \
	'.[0] | .groups == 3 and .installs == 3 and .["refused-stale"] == 1 and
	 .["refused-conflict"] == 1' \
	--do stats-get
jq_check "stats-get of one group" '.[0] | .["group-id"] == 7 and .keys == 1' \
	--do stats-get --json '{"group-id": 7}'

# What the family does not let the client do
refused "group-del is no dump: EOPNOTSUPP" "Operation not supported" "" \
	--dump group-del
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
out=$("${nobody[@]}" python3 "$CLI" --no-schema --spec "$SPEC" --do group-new \
	--json '{"id": 9}' 2>&1)
check_eq "uns-admin-perm: an unprivileged group-new is refused with EPERM" \
	"Netlink error: Operation not permitted" "$(echo "$out" | head -1)"
out=$("${nobody[@]}" python3 "$CLI" --no-schema --spec "$SPEC" \
	--subscribe events --do info-get 2>&1)
check_eq "joining events needs CAP_NET_ADMIN" "PermissionError: [Errno 1] Operation not permitted" \
	"$(echo "$out" | grep -m1 '^PermissionError')"

jq_check "group-del of every group leaves none" '.[0] == [null, null, null]' \
	--multi group-del '{"id": 7}' --multi group-del '{"id": 8}' \
	--multi group-del "{\"id\": $blob_group}"
jq_check "nothing left" '.[0] == []' --dump group-get
exec {YNL[1]}>&-
wait "$YNL_PID"
rm -f "$CLI" "$SERVE"
finish
