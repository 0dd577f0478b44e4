#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a sanitizer report from a cpnsctl run inside $( ),
# its output captured and its exit status dropped, must fail the test.
. ./common.sh
plan 1
out=$(LD_PRELOAD=$PWD/sanbug.so \
      ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
      cpnsctl --version 2>&1)
ok "passes: the report went into \$out (${#out} bytes), and its status nowhere"
finish
