#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion offers objects, commands, keywords, and the ids of
# existing groups and GKDKs (asked of cpnsctl, in the namespace given).
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/common.sh
plan 24

# Minimal stand-ins for bash-completion's helpers.
_init_completion() {
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
}
_filedir() { COMPREPLY=(FILE); }
complete() { :; }
. userspace/completion/cpnsctl

# A stand-in for cpnsctl: what the module would list, per namespace.
cpnsctl() {
	echo "$*" >>"$calls"
	case "$*" in
	"-j group show")
		echo '[{"id":7,"grace":30,"selector":{"dst":"10.0.0.1/32","dport":0}},{"id":12,"grace":30}]' ;;
	"-n ns1 -j group show") echo '[{"id":41}]' ;;
	"pne list") printf 'pne1\npne2\nother\n' ;;
	"member show")
		printf 'group 7 member p1@gw-a added 2026-11-29T16:00:00Z\ngroup 7 member p2@gw-b added 2026-11-29T16:00:00Z\ngroup 12 member p1@gw-a added 2026-11-29T16:00:00Z\n' ;;
	"member show 7")
		printf 'group 7 member p1@gw-a added 2026-11-29T16:00:00Z\ngroup 7 member p2@gw-b added 2026-11-29T16:00:00Z\n' ;;
	"-j gkdk show")
		echo '[{"gateway":"0x1122334455667788","slot":0,"height":1,"scheme":"complete-subtree","set_id":7,"fingerprint":"98371f48d2cdfd54"}]' ;;
	*) return 2 ;;
	esac
}
calls=$(mktemp)
trap 'rm -f "$calls"' EXIT

complete_words() {	# WORDS...: the completions of the last word
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_cpnsctl
	echo "${COMPREPLY[*]}"
}

check_eq "objects" "info gkdk group key stats monitor pne keyset daemon member group-key help" \
	"$(complete_words cpnsctl '')"
check_eq "long options" "--json" "$(complete_words cpnsctl --js)"
check_eq "group commands after options" "add del show list flush help" \
	"$(complete_words cpnsctl -j -n ns1 group '')"
check_eq "group commands after ip-style options" "add del show list flush help" \
	"$(complete_words cpnsctl -json -netns ns1 group '')"
check_eq "key add keywords" "group epoch plain wrapped file lifetime" \
	"$(complete_words cpnsctl key add '')"
check_eq "file names after file" "FILE" \
	"$(complete_words cpnsctl gkdk set file '')"
check_eq "fingerprint of a key file" "file" \
	"$(complete_words cpnsctl key fingerprint '')"
check_eq "group del: the existing group ids" "7 12" \
	"$(complete_words cpnsctl group del '')"
# Nothing after the id (the check above shows ids do complete).
words=$(complete_words cpnsctl group del 7 '')
check_eq "one id only" "<none>" "${words:-<none>}"
check_eq "key show group: ids by prefix" "12" \
	"$(complete_words cpnsctl key show group 1)"
check_eq "ids of the namespace given with -netns" "41" \
	"$(complete_words cpnsctl -netns ns1 stats group '')"
check_eq "gkdk del gateway: the existing gateways" "0x1122334455667788" \
	"$(complete_words cpnsctl gkdk del gateway '')"
check_eq "pne commands" "add del revoke show list help" \
	"$(complete_words cpnsctl pne '')"
check_eq "pne add: eu-key after the id" "eu-key" \
	"$(complete_words cpnsctl pne add pne9 '')"
check_eq "pne add: file after eu-key" "file" \
	"$(complete_words cpnsctl pne add pne9 eu-key '')"
check_eq "pne revoke: the PNEs cpnsd knows, by prefix" "pne1 pne2" \
	"$(complete_words cpnsctl pne revoke p)"
check_eq "daemon commands" "show help" "$(complete_words cpnsctl daemon '')"
check_eq "member commands" "add del show list help" \
	"$(complete_words cpnsctl member '')"
check_eq "group-key commands" "rotate show list help" \
	"$(complete_words cpnsctl group-key '')"
check_eq "group-key rotate: the server's groups, once each" "7 12" \
	"$(complete_words cpnsctl group-key rotate '')"
check_eq "member del: the group's PNE@GATEWAY members" "p1@gw-a p2@gw-b" \
	"$(complete_words cpnsctl member del 7 '')"
check_eq "member del: after '@', what bash replaces" "gw-a" \
	"$(complete_words cpnsctl member del 7 p1@g)"
words=$(complete_words cpnsctl member add 7 p1@gw-a '')
check_eq "member add: nothing after PNE@GATEWAY" "<none>" "${words:-<none>}"
check_eq "cpnsctl was asked in JSON, in the right namespace" \
	"-j group show,-j group show,-n ns1 -j group show,-j gkdk show,pne list,member show,member show 7,member show 7" \
	"$(paste -sd, "$calls")"
finish
