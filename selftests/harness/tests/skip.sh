#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a skip that selftests/skip-allowed does not list
# must fail the run, so a broken prerequisite cannot pass as a skip.
. ./common.sh
plan 2
ok "a passing case"
skip "a skipped case" "harness self-test: a prerequisite nobody allowed to be missing"
finish
