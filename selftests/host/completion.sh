#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion offers objects, commands and keywords.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/common.sh
plan 5

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

complete_words() {	# WORDS...: the completions of the last word
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_cpnsctl
	echo "${COMPREPLY[*]}"
}

check_eq "objects" "info gkdk group key stats monitor help" \
	"$(complete_words cpnsctl '')"
check_eq "long options" "--json" "$(complete_words cpnsctl --js)"
check_eq "group commands after options" "add del show list flush help" \
	"$(complete_words cpnsctl -j -n ns1 group '')"
check_eq "key add keywords" "group epoch plain wrapped file lifetime" \
	"$(complete_words cpnsctl key add '')"
check_eq "file names after file" "FILE" \
	"$(complete_words cpnsctl gkdk set file '')"
finish
