#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that include/uapi/linux/cpns.h agrees with the YNL spec.

Every constant, enum entry, attribute and command the spec defines must
exist in the header with the value YNL's naming rules give it, and the
header must define no CPNS_A_*/CPNS_CMD_* name the spec lacks.  The
values are checked by the C compiler (static assertions against the
real header), not by reading the header as text.  Prints TAP.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(TOP, "Documentation/netlink/specs/cpns.yaml")
HEADER = os.path.join(TOP, "include/uapi/linux/cpns.h")

results = []


def result(ok, desc, diag=""):
    results.append((ok, desc, diag))


def c_name(*parts):
    return "_".join(p.replace("-", "_").upper() for p in parts if p)


def main():
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    fam = spec["name"]
    expect = {}  # C name -> value (int or string)

    expect[c_name(fam, "family-name")] = '"%s"' % fam
    missing_doc = []
    for d in spec.get("definitions", []):
        if "doc" not in d:
            missing_doc.append("definition " + d["name"])
        if d["type"] == "const":
            expect[c_name(fam, d["name"])] = d["value"]
        elif d["type"] == "enum":
            prefix = d.get("name-prefix", fam + "-" + d["name"] + "-")
            for i, e in enumerate(d["entries"]):
                name = e["name"] if isinstance(e, dict) else e
                expect[c_name(prefix + name)] = d.get("value-start", 0) + i

    for s in spec["attribute-sets"]:
        if "doc" not in s:
            missing_doc.append("attribute-set " + s["name"])
        prefix = s.get("name-prefix", fam + "-a-" + s["name"] + "-")
        value = 1
        for a in s["attributes"]:
            value = a.get("value", value)
            expect[c_name(prefix + a["name"])] = value
            value += 1
            if "doc" not in a:
                missing_doc.append("attribute %s.%s" % (s["name"], a["name"]))
        expect[c_name(prefix + "max")] = value - 1

    value = 1
    for op in spec["operations"]["list"]:
        value = op.get("value", value)
        expect[c_name(fam, "cmd", op["name"])] = value
        value += 1
        if "doc" not in op:
            missing_doc.append("operation " + op["name"])
    expect[c_name(fam, "cmd-max")] = value - 1

    for g in spec.get("mcast-groups", {}).get("list", []):
        expect[c_name(fam, "mcgrp", g["name"])] = '"%s"' % g["name"]
        if "doc" not in g:
            missing_doc.append("mcast-group " + g["name"])

    result(not missing_doc, "spec: every definition, attribute, operation "
           "and group has a doc", "\n".join(missing_doc))

    # Values, checked by the compiler against the real header.
    lines = ["#include <linux/cpns.h>", "#include <string.h>"]
    for name, v in sorted(expect.items()):
        if isinstance(v, str):
            # Exists and is a string; its text is compared below.
            lines.append('static const char *chk_%s = %s;' % (name, name))
        else:
            lines.append('_Static_assert(%s == %d, "%s != %d");'
                         % (name, v, name, v))
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "spec.c")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run(["gcc", "-fsyntax-only", "-I",
                            os.path.join(TOP, "include/uapi"), src],
                           capture_output=True, text=True)
    result(p.returncode == 0, "header: every name the spec defines has the "
           "spec's value (%d names)" % len(expect), p.stderr)

    # Strings are compared textually: the compiler cannot assert on them.
    hdr = open(HEADER).read()
    bad = []
    for name, v in expect.items():
        if isinstance(v, str):
            m = re.search(r"#define\s+%s\s+(\"[^\"]*\")" % name, hdr)
            if not m or m.group(1) != v:
                bad.append("%s should be %s" % (name, v))
    result(not bad, "header: family and group names match the spec",
           "\n".join(bad))

    # Nothing in the header that the spec does not define.
    extra = []
    for name in re.findall(r"\b(CPNS_(?:A|CMD)_[A-Z0-9_]*[A-Z0-9])\b", hdr):
        if name.startswith("__") or name.endswith("_UNSPEC"):
            continue
        if name not in expect:
            extra.append(name)
    result(not extra, "header: no attribute or command outside the spec",
           "\n".join(sorted(set(extra))))

    print("1..%d" % len(results))
    for i, (ok, desc, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
        if not ok and diag:
            for line in diag.splitlines():
                print("# " + line)
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
