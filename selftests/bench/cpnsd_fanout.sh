#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Figure b's rekey fan-out between real daemons: from `cpnsctl group-key
# rotate` on the CPNS Server to the server's "acknowledged by all"
# (every member's Group Key Response relayed by its gateway), with
# (a) 20 gateways x 8 PNEs and (b) one gateway x 100 PNEs, each actor a
# namespace with the shipped cpnsd at its default log level.  A gateway's
# PNEs share one Linux bridge, its single pn-interface.  Goal (issue 12):
# under 2 s in the TCG VM.  Printed per case: the time of each rotation,
# the per-gateway distribution (rotate to that gateway's "delivered to
# every member"), where the time goes (rotate to issued, issued to the
# gateway starting its delivery, the gateway's delivery, its last report
# to the server), the daemons' memory, and the peer: gk_fanout_peer, the
# same fan-out as plain TLS 1.3 messages between the same namespaces.
#
# Timing: the server's and gateways' stderr go through a reader that
# stamps each line with bash's EPOCHREALTIME as it arrives (one clock in
# one VM); the daemons' own "after X ms" figures give the split.
. ./common.sh
. ./cpnsd_lib.sh
trap 'reset_case; rm -rf "$CPNSD_TMP"' EXIT
ROUNDS=${ROUNDS:-5}
G=66
CPNSD_BIN=/bench/cpnsd
# The shipped cpnsctl: the sanitized one's start-up is timed by rotate.
[ -x /demo/cpnsctl ] && CPNSCTL_BIN=/demo/cpnsctl
CPNSD_DEBUG=${FANOUT_DEBUG:+--debug}
peer=./gk_fanout_peer

modprobe cpns || bail "no cpns module"

# --- certificates, as cpnsd_figb.sh makes them ----------------------------
cpnsd_pki "$CPNSD_TMP/pki" cpns-server:serverAuth \
	$(seq -f 'gateway-%g:clientAuth' 20)

# --- helpers -------------------------------------------------------------
PEER_PIDS=()
reset_case() {
	local p

	for p in "${PEER_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${CPNSD_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PEER_PIDS[@]}" "${CPNSD_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for p in "${CPNSD_NS[@]}"; do
		echo "netns del $p"
	done | ip -b - 2>/dev/null
	PEER_PIDS=()
	CPNSD_PIDS=()
	CPNSD_NS=()
}

# Each line of the daemon's stderr with the time it was read.
stamp() {
	local l

	while IFS= read -r l; do
		printf '%s %s\n' "$EPOCHREALTIME" "$l"
	done
}

# launch_stamped NS NAME: daemon_launch, with the log lines stamped.
launch_stamped() {
	local ns=$1 name=$2

	ip netns exec "$ns" "$CPNSD_BIN" -c "$CPNSD_TMP/$name.conf" \
		--foreground $CPNSD_DEBUG \
		2> >(stamp >>"$CPNSD_TMP/$name.log") &
	CPNSD_PIDS+=("$!")
	printf -v "CPNSD_PID_$name" '%s' "$!"
	printf -v "CPNSD_READY0_$name" 0
}

# start_stamped NS NAME: daemon_start, with its log lines stamped.
start_stamped() {
	local name=$2 pid i

	launch_stamped "$1" "$name"
	pid=${CPNSD_PIDS[-1]}
	for i in $(seq 300); do
		grep -q 'ready$' "$CPNSD_TMP/$name.log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# cpnsd $name did not start:"
	sed 's/^/#   /' "$CPNSD_TMP/$name.log"
	return 1
}

# stats: "min/median/max" of the numbers on stdin, or "-".
stats() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (!NR) { print "-"; exit }
		      printf "%.0f/%.0f/%.0f", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", v[int((NR + 1) / 2)] }'
}

# Proportional set size of every cpnsd, in MiB (shared pages split).
cpnsd_pss() {
	local p kb=0 v

	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = cpnsd ] || continue
		v=$(awk '/^Pss:/ { print $2 }' "$p/smaps_rollup" 2>/dev/null)
		kb=$((kb + ${v:-0}))
	done
	echo $((kb / 1024))
}

# each_cpnsd FUNC: FUNC PID ROLE (srv, gw or pne, by the configuration
# it runs) for every cpnsd.  Builtins only: a fork costs tens of ms under
# TCG.
each_cpnsd() {
	local p cmd

	for p in /proc/[0-9]*; do
		read -r cmd <"$p/comm" 2>/dev/null && [ "$cmd" = cpnsd ] ||
			continue
		mapfile -d '' cmd <"$p/cmdline" 2>/dev/null
		case ${cmd[*]} in
		*/srv.conf*) "$1" "${p#/proc/}" srv ;;
		*/gw[0-9]*.conf*) "$1" "${p#/proc/}" gw ;;
		*/g[0-9]*p[0-9]*.conf*) "$1" "${p#/proc/}" pne ;;
		esac
	done
}

# cpu_ticks: "server gateways pnes" CPU time (user + system, clock
# ticks) of every cpnsd so far.
cpu_ticks() {
	local -A ticks=([srv]=0 [gw]=0 [pne]=0)

	add_ticks() {
		local st u k

		read -r st <"/proc/$1/stat" 2>/dev/null || return 0
		st=${st##*) }
		read -r _ _ _ _ _ _ _ _ _ _ _ u k _ <<<"$st"
		ticks[$2]=$((ticks[$2] + u + k))
	}
	each_cpnsd add_ticks
	echo "${ticks[srv]} ${ticks[gw]} ${ticks[pne]}"
}

mem_used() {	# MiB in use: MemTotal - MemAvailable
	awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }
	     END { printf "%d", (t - a) / 1024 }' /proc/meminfo
}

gw_ok() {	# NGW: every gateway has a session up at the server
	[ "$(grep -c 'gateway gateway-[0-9]* .*session up' "$CPNSD_TMP/srv.log")" -ge "$1" ]
}

all_have_gkdk() {	# NGW NPNE
	local g i

	for g in $(seq "$1"); do
		for i in $(seq "$2"); do
			wait_until 120 has_gkdk "g${g}p$i" "$g" || return 1
		done
	done
}

# wait_acked EPOCH: until the server logs "acknowledged by all" for EPOCH,
# at most 120 s.  Builtins only, reading only the lines added since the
# last look and sleeping in read -t on a fifo nobody writes: a grep and a
# sleep every 0.2 s, then re-reading the whole log, took 15-19% of the
# one CPU being measured.
wait_acked() {
	local n fd l part=

	exec {fd}<"$CPNSD_TMP/srv.log"
	for ((n = 0; n < 1200; n++)); do
		while IFS= read -r -u "$fd" l; do
			l=$part$l
			part=
			if [[ $l == *"group $G epoch $1: acknowledged by all"* ]]; then
				exec {fd}<&-
				return 0
			fi
		done
		part+=$l	# a line still being written
		read -r -t 0.1 -u "$TICK" _
	done
	exec {fd}<&-
	return 1
}
[ -p "$CPNSD_TMP/tick" ] || mkfifo "$CPNSD_TMP/tick"
exec {TICK}<>"$CPNSD_TMP/tick"

# --- a case --------------------------------------------------------------
# links NGW NPNE: the namespaces: the server with one veth to each
# gateway, each gateway with a bridge "pn" to its PNEs' pn0.  One ip
# batch for what the initial namespace can do and one per namespace for
# the rest: an exec costs about 0.2 s under TCG, and there are 181.
links() {
	local ngw=$1 npne=$2 g i

	CPNSD_NS=(srv)
	{
		echo "netns add srv"
		for g in $(seq "$ngw"); do
			echo "netns add gw$g"
			CPNSD_NS+=("gw$g")
			echo "link add s$g netns srv type veth peer name up0 netns gw$g"
			for i in $(seq "$npne"); do
				echo "netns add g${g}p$i"
				CPNSD_NS+=("g${g}p$i")
			done
		done
	} >"$CPNSD_TMP/links.ip"
	ip -b "$CPNSD_TMP/links.ip" || return 1
	{
		echo "link set lo up"
		for g in $(seq "$ngw"); do
			echo "addr add 10.91.$g.1/24 dev s$g"
			echo "link set s$g up"
		done
	} >"$CPNSD_TMP/srv.ip"
	ip -n srv -b "$CPNSD_TMP/srv.ip" || return 1
	for g in $(seq "$ngw"); do
		{
			echo "link set lo up"
			echo "addr add 10.91.$g.2/24 dev up0"
			echo "link set up0 up"
			echo "link add pn type bridge mcast_snooping 0"
			echo "addr add 10.92.$g.1/24 dev pn"
			echo "link set pn up"
			for i in $(seq "$npne"); do
				echo "link add v$i type veth peer name pn0 netns g${g}p$i"
				echo "link set v$i master pn up"
			done
		} >"$CPNSD_TMP/gw$g.ip"
		ip -n "gw$g" -b "$CPNSD_TMP/gw$g.ip" || return 1
		for i in $(seq "$npne"); do
			printf 'link set lo up\naddr add 10.92.%s.%s/24 dev pn0\nlink set pn0 up\n' \
				"$g" "$((i + 1))" | ip -n "g${g}p$i" -b - || return 1
		done
	done
}

# daemons NGW NPNE: server, gateways and PNEs up, members added.
daemons() {
	local ngw=$1 npne=$2 g i p height=3

	[ "$npne" -gt 8 ] && height=7
	rm -rf "$CPNSD_TMP"/*.state "$CPNSD_TMP"/*.log "$CPNSD_TMP"/*.conf
	mkdir -p "$CPNSD_TMP/srv.state"
	{
		printf '[cpnsd]\nrole = server\nstate-dir = %s\ncontrol = %s\n' \
			"$CPNSD_TMP/srv.state" "$CPNSD_TMP/srv.ctl"
		printf '[server]\nlisten = 0.0.0.0:4434\n'
		tls cpns-server
	} >"$CPNSD_TMP/srv.conf"
	start_stamped srv srv || return 1
	for g in $(seq "$ngw"); do
		mkdir -p "$CPNSD_TMP/gw$g.state"
		{
			printf '[cpnsd]\nrole = gateway\nstate-dir = %s\ncontrol = %s\n' \
				"$CPNSD_TMP/gw$g.state" "$CPNSD_TMP/gw$g.ctl"
			printf '[gateway]\nid = %s\nlisten = 0.0.0.0:4433\nheight = %s\n' \
				"$g" "$height"
			printf 'server = 10.91.%s.1:4434\npn-interface = pn\n' "$g"
			printf '[limits]\nretry-min = 1\nretry-max = 4\n'
			tls "gateway-$g"
			echo 'server-name = cpns-server'
		} >"$CPNSD_TMP/gw$g.conf"
		start_stamped "gw$g" "gw$g" || return 1
		for i in $(seq "$npne"); do
			p=g${g}p$i
			pne_conf "$p" "10.92.$g.1:4433"
			sed -i 's/^eu-key-file/pn-interface = pn0\neu-key-file/' \
				"$CPNSD_TMP/$p.conf"
			echo "pne add $p eu-key file $CPNSD_TMP/$p.key"
		done >"$CPNSD_TMP/gw$g.batch"
		ctl "gw$g" -b "$CPNSD_TMP/gw$g.batch" >/dev/null ||
			{ echo "# pne add on gateway $g failed"; return 1; }
		# Started together: one at a time took 757 s for 160 under TCG.
		for i in $(seq "$npne"); do
			# The timeline's PNE: its log stamped too (debug only).
			if [ -n "${FANOUT_DEBUG:-}" ] && [ "$i" = 1 ]; then
				launch_stamped "g${g}p$i" "g${g}p$i"
			else
				daemon_launch "g${g}p$i" "g${g}p$i"
			fi
		done
	done
	for g in $(seq "$ngw"); do
		daemon_ready $(seq -f "g${g}p%g" "$npne") || return 1
	done
	wait_until 120 gw_ok "$ngw" ||
		{ echo "# not every gateway reached the server"; return 1; }
	all_have_gkdk "$ngw" "$npne" ||
		{ echo "# not every PNE got its GKDK"; return 1; }
	for g in $(seq "$ngw"); do
		for i in $(seq "$npne"); do
			echo "member add $G g${g}p$i@gateway-$g"
		done
	done >"$CPNSD_TMP/srv.batch"
	ctl srv -b "$CPNSD_TMP/srv.batch" >/dev/null ||
		{ echo "# member add on the server failed"; return 1; }
}

# stamp_of NAME REGEX [FIELD]: the stamp (or the given awk field) of the
# first line of NAME's log matching REGEX.
line_of() {
	grep -E -m1 -- "$2" "$CPNSD_TMP/$1.log"
}

# gw_events T0 T1: what the gateways logged between two stamps besides
# the delivery itself: sessions up and closed (with why), GKDKs
# assigned, refusals; work a rotation should not have.
gw_events() {
	cat "$CPNSD_TMP"/gw[0-9]*.log | awk -v t0="$1" -v t1="$2" '
		$1 < t0 || $1 > t1 { next }
		/session up/ { up++ }
		/session closed/ { sub(/.*session closed: /, ""); why[$0]++; cl++ }
		/GKDK assigned/ { gkdk++ }
		/refused|Error/ { bad++ }
		END {
			printf "%d up, %d closed", up, cl
			for (w in why) printf " (%d %s)", why[w], w
			printf ", %d GKDKs assigned, %d refusals;", gkdk, bad
		}'
	echo
}

# rounds NGW NPNE: ROUNDS rotations; one "total" line per round in $OUT and
# the per-gateway and split figures in $OUT.gw, $OUT.split.
rounds() {
	local ngw=$1 npne=$2 e t_cmd t0 t_all x_all l t x g last
	local c_s c_g c_p d_s d_g d_p

	: >"$OUT"
	: >"$OUT.cpu"
	: >"$OUT.gw"
	: >"$OUT.split"
	: >"$OUT.events"
	for e in $(seq "$ROUNDS"); do
		sleep 1
		read -r c_s c_g c_p < <(cpu_ticks)
		profiled "$e" && perf_start
		t_cmd=$EPOCHREALTIME
		ctl srv group-key rotate $G >/dev/null ||
			{ echo "# rotation $e failed"; return 1; }
		wait_acked "$e" ||
			{ echo "# epoch $e: not acknowledged by all within 120 s"; return 1; }
		read -r d_s d_g d_p < <(cpu_ticks)
		profiled "$e" && perf_stop
		# CPU per rotation, ms: the server, per gateway, per PNE.
		awk -v s=$((d_s - c_s)) -v g=$((d_g - c_g)) -v p=$((d_p - c_p)) \
			-v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" -v ng="$ngw" -v np="$((ngw * npne))" \
			'BEGIN { printf "%.0f %.1f %.1f\n", s * 1e3 / hz,
				 g * 1e3 / hz / ng, p * 1e3 / hz / np }' >>"$OUT.cpu"
		t0=$(line_of srv "group $G: epoch $e issued" | cut -d' ' -f1)
		l=$(line_of srv "group $G epoch $e: acknowledged by all")
		t_all=${l%% *}
		x_all=$(echo "$l" | sed -n 's/.*, \([0-9.]*\) ms after.*/\1/p')
		last=0
		for g in $(seq "$ngw"); do
			l=$(line_of "gw$g" "group $G epoch $e: (delivered to every member|retransmission window closed)")
			[ -n "$l" ] || continue
			t=${l%% *}
			x=$(echo "$l" | sed -n 's/.* after \([0-9.]*\) ms$/\1/p')
			awk -v t="$t" -v c="$t_cmd" -v x="$x" -v t0="$t0" \
				-v e="$e" -v g="$g" 'BEGIN {
				printf "%.1f %.1f %.1f %s %s %s\n", (t - c) * 1e3,
					(t - t0) * 1e3 - x, x, e, g, c }' >>"$OUT.gw"
			last=$(awk -v a="$last" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
		done
		awk -v c="$t_cmd" -v t0="$t0" -v a="$t_all" -v x="$x_all" -v l="$last" \
			'BEGIN { printf "%.1f %.1f %.1f %.1f\n", (a - c) * 1e3,
				 (t0 - c) * 1e3, x, (l > 0 ? (a - l) * 1e3 : -1) }' >>"$OUT.split"
		awk -v c="$t_cmd" -v a="$t_all" 'BEGIN { printf "%.1f\n", (a - c) * 1e3 }' >>"$OUT"
		gw_events "$t_cmd" "$t_all" >>"$OUT.events"
	done
}

# FANOUT_PERF=E[,E...]: where the CPU goes in rotation E, every process
# and the kernel, sampled by perf's software clock (TCG has no PMU); the
# image needs perf (VM_PERF=1).
profiled() {
	[[ ",${FANOUT_PERF:-}," == *",$1,"* ]]
}

perf_start() {
	PERF_DATA=$CPNSD_TMP/perf.$N.data
	# Which modules the kernel asks for, and how often.
	printf '#!/bin/sh\necho "$*" >>%s\nexec /sbin/modprobe "$@"\n' \
		"$CPNSD_TMP/modprobe.$e" >"$CPNSD_TMP/modprobe.sh"
	chmod +x "$CPNSD_TMP/modprobe.sh"
	echo "$CPNSD_TMP/modprobe.sh" >/proc/sys/kernel/modprobe
	perf record -a -F 499 -e cpu-clock -o "$PERF_DATA" -q 2>/dev/null &
	PERF_PID=$!
	sleep 1		# perf's own start-up out of the measured window
}

perf_stop() {
	echo /sbin/modprobe >/proc/sys/kernel/modprobe
	kill -INT "$PERF_PID" 2>/dev/null
	wait "$PERF_PID" 2>/dev/null
	echo "# modprobe calls in rotation $e: $(cat "$CPNSD_TMP/modprobe.$e" 2>/dev/null | wc -l)"
	sort "$CPNSD_TMP/modprobe.$e" 2>/dev/null | uniq -c | sort -rn | head -5 | sed 's/^/#   /'
	perf_by comm "$(perf report -i "$PERF_DATA" --stdio --sort comm 2>/dev/null)"
	perf_by dso "$(perf report -i "$PERF_DATA" --stdio --sort dso 2>/dev/null)"
	# Each daemon's samples by library, summed per role (perf's own
	# --pid filter does not split a report by process).
	echo "# perf, rotation $e, each role's share of all samples, by library (top 8 each):"
	perf report -i "$PERF_DATA" --stdio --sort pid,dso 2>/dev/null |
		awk -v srv=",$(pids_of srv)," -v gw=",$(pids_of gw)," \
		    -v pne=",$(pids_of pne)," '
		/^ *[0-9.]+%/ {
			p = $1; sub(/%/, "", p); split($2, a, ":")
			k = "," a[1] ","
			r = "others"
			if (index(srv, k)) r = "server"
			if (index(gw, k)) r = "gateways"
			if (index(pne, k)) r = "PNEs"
			t[r] += p; d[r " " $3] += p
		}
		END {
			for (x in d) print x, d[x]
			for (r in t) print r, "ALL", t[r]
		}' | sort -k1,1 -k3,3nr |
		awk '$2 == "ALL" { printf "%s#   %s %.1f%%:", (NR > 1 ? "\n" : ""), $1, $3; n = 0; next }
		     n++ < 8 { printf " %s %.1f%%", $2, $3 }
		     END { print "" }'
}

perf_by() {	# WHAT REPORT [LINES]
	echo "# perf, rotation $e, by $1 (top ${3:-25}):"
	grep -v '^#' <<<"$2" | grep -v '^$' | head -"${3:-25}" | sed 's/^/#   /'
}

pids_of() {	# srv|gw|pne: the daemons' pids, comma-separated
	local role=$1 out=

	add_pid() {
		[ "$2" = "$role" ] && out+=${out:+,}$1
		return 0
	}
	each_cpnsd add_pid
	echo "$out"
}

# peer NGW NPNE: the same fan-out with gk_fanout_peer, ROUNDS rounds,
# into $OUT.peer ("round R total MS", "round R gateway I MS").
peer_run() {
	local ngw=$1 npne=$2 g i srv

	timeout 300 ip netns exec srv "$peer" server 4444 "$ngw" "$ROUNDS" \
		"$pki/cpns-server.crt" "$pki/cpns-server.key" >"$OUT.peer" &
	srv=$!
	PEER_PIDS+=("$srv")
	for g in $(seq "$ngw"); do
		ip netns exec "gw$g" "$peer" gateway "10.91.$g.1:4444" 4445 \
			"$npne" "$pki/cpns-server.crt" "$pki/cpns-server.key" \
			"$pki/ca.crt" &
		PEER_PIDS+=($!)
		"$peer" pnes "10.92.$g.1:4445" "$pki/ca.crt" \
			$(seq -f "g${g}p%g" "$npne") &
		PEER_PIDS+=($!)
	done
	wait "$srv"
}

# timeline: the slowest gateway's log (debug level) of its slowest
# rotation, in ms from the rotate command: when its broadcasts went out
# and when each PNE's answer came in.
timeline() {
	local worst e g c

	worst=$(sort -g -k1,1 "$OUT.gw" | tail -1)
	read -r _ _ _ e g c <<<"$worst"
	echo "# timeline of the slowest delivery: gateway $g, epoch $e (ms after rotate)"
	grep -E "epoch $e[: ]|installed group $G epoch $e\b" "$CPNSD_TMP/gw$g.log" |
		awk -v c="$c" '{ t = $1; $1 = ""; printf "#   %8.1f %s\n", (t - c) * 1e3, substr($0, 2) }' |
		cut -c1-160 | head -60
	echo "# its PNE g${g}p1's log from 1 s before the rotate (ms after it):"
	awk -v c="$c" '$1 >= c - 1 { t = $1; $1 = "";
		printf "#   %8.1f %s\n", (t - c) * 1e3, substr($0, 2) }' \
		"$CPNSD_TMP/g${g}p1.log" | grep -v "epoch $((e - 1))" |
		cut -c1-160 | head -30
}

N=0
# run_case LABEL NGW NPNE: the peer on the fresh links, then the daemons.
run_case() {
	local label=$1 ngw=$2 npne=$3 m0 m1 pss missing total ptotal ok=1 p

	N=$((N + 1))
	OUT=$CPNSD_TMP/out.$N
	echo "# ---- ($label) 1 server, $ngw gateway(s) x $npne PNEs, $ROUNDS rotations"
	SECONDS=0
	links "$ngw" "$npne" || bail "the namespaces could not be made"
	echo "# namespaces and links: ${SECONDS} s"
	SECONDS=0
	peer_run "$ngw" "$npne"
	echo "# peer: ${SECONDS} s"
	echo "# peer (TLS 1.3 messages, no crypto of ours), each round (ms): $(awk '$3 == "total" { print $4 }' "$OUT.peer" | tr "\n" " ")"
	echo "# peer per gateway, min/median/max over gateways and rounds (ms): $(awk '$3 == "gateway" { print $5 }' "$OUT.peer" | stats)"
	for p in "${PEER_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	PEER_PIDS=()
	ptotal=$(awk '$3 == "total" { print $4 }' "$OUT.peer" | median)
	m0=$(mem_used)
	SECONDS=0
	daemons "$ngw" "$npne" || ok=
	echo "# daemons up, GKDKs assigned, members added: ${SECONDS} s"
	if [ -n "$ok" ]; then
		m1=$(mem_used)
		pss=$(cpnsd_pss)
		echo "# memory: $((m1 - m0)) MiB more in use with the $((1 + ngw + ngw * npne)) daemons up (their PSS: $pss MiB, VM: $(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo) MiB)"
		rounds "$ngw" "$npne" || ok=
	fi
	if [ -n "$ok" ]; then
		missing=$(ctl srv -j group-key show $G 2>/dev/null |
			jq -r '.[0] | "epoch \(.epoch): \([.gateways[] | .acknowledged // [] | .[]] | length) acknowledged, \([.gateways[] | .missing // [] | .[]] | length) missing"' 2>/dev/null)
		echo "# server's report (cpnsctl -j group-key show $G): ${missing:-unreadable}, of $((ngw * npne)) members"
		echo "# cpns rotate to acknowledged by all, each rotation (ms): $(tr "\n" " " <"$OUT")"
		echo "# split, median over rotations (ms): rotate->issued $(cut -d' ' -f2 "$OUT.split" | median)," \
			"server's issued->all acked $(cut -d' ' -f3 "$OUT.split" | median)," \
			"last gateway done->server acked $(cut -d' ' -f4 "$OUT.split" | median)"
		echo "# per gateway, min/median/max over gateways and rotations (ms):" \
			"rotate->gateway done $(cut -d' ' -f1 "$OUT.gw" | stats)," \
			"issued->gateway starts delivery $(cut -d' ' -f2 "$OUT.gw" | stats)," \
			"gateway's delivery (broadcast to last answer) $(cut -d' ' -f3 "$OUT.gw" | stats)"
		echo "# CPU time per rotation (ms; server, per gateway, per PNE), each rotation: $(tr '\n' ';' <"$OUT.cpu")"
		echo "# gateways' sessions during each rotation: $(tr '\n' ' ' <"$OUT.events")"
		total=$(median <"$OUT")
		[ -n "${FANOUT_DEBUG:-}" ] && timeline
	fi
	printf '# %-22s %12s %12s %8s\n' case "cpns ms" "peer ms" ratio
	printf '# %-22s %12s %12s %8s\n' "($label) ${ngw}x$npne" "${total:--}" "${ptotal:--}" \
		"$(awk -v a="$total" -v b="$ptotal" 'BEGIN { if (a > 0 && b > 0) printf "%.1fx", a / b; else print "-" }')"
	if [ -n "$ok" ] && [ -n "$total" ]; then
		echo "ok $N - ($label) $ngw x $npne measured"
	else
		echo "not ok $N - ($label) $ngw x $npne: nothing measured"
	fi
	reset_case
}

echo "TAP version 13"
# FANOUT_CASES: "LABEL:GATEWAYS:PNES,..." instead of figure b's two;
# FANOUT_DEBUG=1: the server and gateways log at debug level (the
# slowest gateway's timeline is printed); FANOUT_PERF=1,2: perf profiles
# of rotations 1 and 2 (with VM_PERF=1); from the host:
# VM_ENV="FANOUT_CASES=a:20:8 ROUNDS=3 FANOUT_DEBUG=1" make bench T=cpnsd_fanout
set -- ${FANOUT_CASES//,/ }
[ $# = 0 ] && set -- a:20:8 b:1:100
echo "1..$#"
echo "# rekey fan-out: cpnsctl group-key rotate -> every member's Group Key Response acknowledged at the server"
for c in "$@"; do
	IFS=: read -r label ngw npne <<<"$c"
	run_case "$label" "$ngw" "$npne"
done
exit 0
