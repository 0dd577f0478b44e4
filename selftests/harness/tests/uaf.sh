#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a slab use-after-free in the kernel must fail the
# run, even when every test passes (slub_debug poison, or KASAN).
. ./common.sh
plan 1
ok "passes, but the module it loads writes to freed memory"
modprobe cpns_selftest_uaf
finish
