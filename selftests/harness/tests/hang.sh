#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a guest that never finishes must fail the run.
. ./common.sh
plan 1
# Stop the guest's runner from ever ending: block forever, unkillable by
# the per-test timeout, so only the host's VM timeout can end the run.
trap '' TERM
echo "# hanging on purpose"
exec sleep 100000
