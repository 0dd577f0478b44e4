# SPDX-License-Identifier: GPL-2.0
"""The .vec files' format (README): records of "key = value" lines,
separated by blank lines, "#" starting a comment line."""


def records(path):
    rec = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith('#'):
                continue
            if not line:
                if rec:
                    yield rec
                rec = {}
                continue
            k, _, v = line.partition('=')
            rec[k.strip()] = v.strip()
    if rec:
        yield rec
