#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The policies cpns.ko registers, as the kernel itself reports them
# (CTRL_CMD_GETFAMILY, CTRL_CMD_GETPOLICY through the kernel's YNL
# library), against Documentation/netlink/specs/cpns.yaml.  The
# comparison is selftests/spec/ynl_policy.py; mkinitramfs.sh puts it, the
# spec and the YNL tools under /ynl.  Their absence fails the test: the
# Makefile always provides them.
modprobe cpns || { echo "not ok 1 - modprobe cpns"; exit 1; }
exec python3 /ynl/spec/ynl_policy.py /ynl \
	/ynl/Documentation/netlink/specs/cpns.yaml
