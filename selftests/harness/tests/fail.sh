#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a failing test must fail the run.
. ./common.sh
plan 2
ok "a passing case"
not_ok "a deliberately failing case"
finish
