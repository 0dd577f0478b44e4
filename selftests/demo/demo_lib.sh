# SPDX-License-Identifier: GPL-2.0
#
# The demo's machinery (selftests/demo/demo.sh sources it after
# common.sh and cpnsd_lib.sh): headings, cpnsctl runs shown with their
# output, the daemons with their numbered steps on the screen as they
# log them, waits bounded in wall time, and the checks that read what
# was shown.  Uses demo.sh's T, G, WHO (display name of each namespace)
# and its actors srv (the CPNS Server) and gwa (PN GW A).

say() {	# a heading, with the guest's uptime
	local up

	read -r up _ </proc/uptime
	printf '\n=== %s   [%ss]\n' "$*" "${up%.*}"
}

# on NS ARGS...: cpnsctl ARGS on NS's node (its namespace, its daemon's
# control socket), shown with its output indented; OUT keeps it.
on() {
	local ns=$1 out rc line

	shift
	printf '%-12s $ cpnsctl %s\n' "${WHO[$ns]}" "$*"
	OUT=$(CPNSD_CONTROL=$T/$ns.ctl cpnsctl -n "$ns" "$@" 2>&1)
	rc=$?
	out=$OUT
	# An empty list says so; other commands say nothing when they work.
	[ -z "$out" ] && [ "${*: -1}" = show ] && out="(none)"
	[ -n "$out" ] && while IFS= read -r line; do
		printf '             %s\n' "$line"
	done <<<"$out"
	return $rc
}

# show WHO LOG: a daemon's stderr into LOG; the figures' steps,
# warnings, errors and the membership verdicts on the screen too, at
# once and prefixed with WHO, so that the lines of all the daemons appear
# in the order they were written.  A step 6 or 7 line that differs from
# one shown only in its parenthesis comes from a retransmission (the
# gateway broadcasts each notification several times, over IPv6 and
# IPv4) and is not shown again.  (bash reads a pipe a line at a time;
# mawk would hold the lines back until its buffer fills.)
show() {
	local line m
	local -A seen

	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$2"
		m=${line#<[0-9]>}
		case $line in
		"<"[0-4]">"*) ;;
		*)	case $m in
			"figure "[ab]" step "*|*"not a member"*|*excluded*) ;;
			*) continue ;;
			esac ;;
		esac
		case $m in
		"figure b step "[67]": "*)
			[ -n "${seen[${m%% (*}]:-}" ] && continue
			seen[${m%% (*}]=1 ;;
		esac
		printf '%-12s %s\n' "$1" "$m"
	done
}

# launch NS: cpnsd of NS with $T/NS.conf at debug level, logging to
# $T/NS.log.
launch() {
	local ns=$1

	ip netns exec "$ns" cpnsd -c "$T/$ns.conf" --foreground --debug \
		2> >(show "${WHO[$ns]}" "$T/$ns.log") &
	CPNSD_PIDS+=("$!")
	printf -v "CPNSD_PID_$ns" '%s' "$!"
}

# ready NS...: each NS's cpnsd says it is ready.
ready() {
	local ns pid end=$((SECONDS + 30))

	for ns in "$@"; do
		pid=CPNSD_PID_$ns
		pid=${!pid}
		until log_has "$ns" 'ready$' 2>/dev/null; do
			if [ $SECONDS -ge $end ] || ! kill -0 "$pid" 2>/dev/null; then
				echo "${WHO[$ns]}'s cpnsd did not say it was ready; its log:"
				sed 's/^/  /' "$T/$ns.log"
				return 1
			fi
			sleep 0.2
		done
	done
}

# wait_for SECONDS CMD...: poll CMD until it succeeds, for at most that
# long in wall time (wait_until counts polls, which a loaded TCG guest
# makes much longer).  Polls read logs where they can: each cpnsctl and
# jq costs the guest a program start, time the daemons need.
wait_for() {
	local end=$((SECONDS + $1))

	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# bg NS CMD...: a helper program in NS, in the background.
bg() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@" &
	CPNSD_PIDS+=("$!")
}

# all_acked EPOCH: the server's delivery report is at EPOCH with nobody
# missing.
all_acked() {
	local j

	j=$(ctl srv -j group-key show $G) || return 1
	[ "$(echo "$j" | jq -r '.[0].epoch')" = "$1" ] &&
		[ "$(echo "$j" | jq '[.. | objects | select(has("missing")) | .missing[]] | length')" = 0 ]
}

stat_of() {	# NS FIELD: a fast-path counter of group 66
	cpnsctl -n "$1" -j stats group $G | jq -r ".$2"
}

up_as() {	# CN: the server has a session up with that certificate
	[ "$(ctl srv -j daemon show |
	     jq -r --arg cn "$1" '[.peers[] | select(.id == $cn and .state == "up")] | length')" = 1 ]
}

# show_keys NS...: cpnsctl key show on each node, its output kept in
# KEYS[NS] (what the checks below read: what is shown is what is
# checked, and each cpnsctl run costs the guest a program start).
declare -A KEYS KEYS_RC
show_keys() {
	local n

	for n in "$@"; do
		on "$n" key show
		KEYS_RC[$n]=$?
		KEYS[$n]=$OUT
	done
}

# current_fp NS EPOCH: the fingerprint of group 66's current key, of
# EPOCH, in what NS's key show printed, or nothing.
current_fp() {
	local re="^group $G epoch $2 current [a-z]+ fingerprint ([0-9a-f]{16})"
	local line

	[ "${KEYS_RC[$1]:-1}" = 0 ] || return
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			echo "${BASH_REMATCH[1]}"
			return
		fi
	done <<<"${KEYS[$1]}"
}

# same_key EPOCH NS...: the server's current key is EPOCH's, and the
# gateway and each NS hold it as current.
same_key() {
	local e=$1 fp n

	shift
	fp=$(current_fp srv "$e")
	[ -n "$fp" ] || return 1
	for n in gwa "$@"; do
		[ "$(current_fp "$n" "$e")" = "$fp" ] || return 1
	done
}

none_shown() {	# NS: its key show worked and listed no key
	[ "${KEYS_RC[$1]:-1}" = 0 ] && [ -z "${KEYS[$1]}" ]
}
