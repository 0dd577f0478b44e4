#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a kernel WARNING must fail the run, even when every
# test passes.
. ./common.sh
plan 1
ok "passes, but the module it loads warns"
modprobe cpns_selftest_warn
finish
