#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Wireshark dissector on pcaps made from selftests/vectors; the VM
# stage runs it on the VM's own captures.
exec "$(dirname "$0")/../wireshark/check-dissector.sh"
