#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the files a VM test printed as TAP comments back into DIR.

usage: selftests/wireshark/extract.py TAP_LOG DIR

selftests/cpns/dissector_capture.sh prints each file as lines

    # CPNS-FILE NAME BASE64-CHUNK
    ...
    # CPNS-FILE-END NAME SIZE

which reach the log one or more "# " levels down (kselftest's runner
nests a test's output).  Every file must end with its END line and have
exactly SIZE bytes; a file printed twice (two runs in one log) keeps the
last copy.  Exits non-zero, naming the file, on anything else."""
import base64
import binascii
import os
import re
import sys

LINE = re.compile(r'^(?:#\s*)*# CPNS-FILE(-END)? (\S+) (\S+)\s*$')
NAME = re.compile(r'^[A-Za-z0-9._-]+$')


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    log, out = sys.argv[1], sys.argv[2]
    chunks, done = {}, {}
    with open(log, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = LINE.match(line.rstrip('\r\n'))
            if not m:
                continue
            end, name, val = m.groups()
            if not NAME.match(name):
                sys.exit(f'extract: bad file name {name!r}')
            if end:
                try:
                    data = base64.b64decode(''.join(chunks.pop(name, [])),
                                            validate=True)
                except (binascii.Error, ValueError) as e:
                    sys.exit(f'extract: {name}: bad base64: {e}')
                if len(data) != int(val):
                    sys.exit(f'extract: {name}: {len(data)} bytes, '
                             f'the test said {val}')
                done[name] = data
            else:
                chunks.setdefault(name, []).append(val)
    for name in chunks:
        sys.exit(f'extract: {name}: no CPNS-FILE-END line (log cut short?)')
    if not done:
        sys.exit(f'extract: no CPNS-FILE in {log}')
    os.makedirs(out, exist_ok=True)
    for name, data in done.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
        print(f'{name} {len(data)}')


main()
