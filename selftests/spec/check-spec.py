#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that the UAPI header and the kernel's policies agree with the spec.

Every constant, enum entry, attribute and command the spec defines must
exist in include/uapi/linux/cpns.h with the value YNL's naming rules give
it, and the header must define no CPNS_A_*/CPNS_CMD_* name the spec
lacks.  The values are checked by the C compiler (static assertions
against the real header), not by reading the header as text.

The policies in kmod/netlink.c must give each request attribute the
spec's type and checks, each command exactly the spec's request
attributes, and admin-perm commands GENL_UNS_ADMIN_PERM.  Prints TAP.
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
NETLINK_C = os.path.join(TOP, "kmod/netlink.c")

NLA_TYPES = {"u8": "NLA_U8", "u16": "NLA_U16", "u32": "NLA_U32",
             "u64": "NLA_U64", "binary": "NLA_BINARY", "nest": "NLA_NESTED",
             "string": "NLA_NUL_STRING"}

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

    check_policies(spec, fam, expect)

    print("1..%d" % len(results))
    for i, (ok, desc, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
        if not ok and diag:
            for line in diag.splitlines():
                print("# " + line)
    return 0 if all(r[0] for r in results) else 1


def parse_policies(src):
    """Policy tables of netlink.c: name -> {attr C name: (type, checks)}."""
    ranges = {}
    for name, body in re.findall(
            r"struct netlink_range_validation (\w+) = \{([^}]*)\}", src):
        ranges[name] = dict((k, v) for k, v in
                            re.findall(r"\.(min|max) = (\w+)", body))
    tables = {}
    for name, body in re.findall(
            r"static const struct nla_policy (\w+)\[[^]]*\] = \{(.*?)\n\};",
            src, re.S):
        entries = {}
        for attr, pol in re.findall(r"\[(CPNS_A_\w+)\] = (.*?),\n(?=\t\[|$)",
                                    body + "\n", re.S):
            pol = " ".join(pol.split())
            checks = {}
            m = re.match(r"\{ \.type = (NLA_\w+) \}$", pol)
            if m:
                typ = m.group(1)
            elif pol.startswith("NLA_POLICY_EXACT_LEN("):
                typ = "NLA_BINARY"
                checks["exact-len"] = pol[len("NLA_POLICY_EXACT_LEN("):-1]
            elif pol.startswith("NLA_POLICY_NESTED("):
                typ = "NLA_NESTED"
                checks["nested"] = pol[len("NLA_POLICY_NESTED("):-1]
            else:
                m = re.match(r"NLA_POLICY_(RANGE|MIN|MAX|FULL_RANGE)\((\w+), (.*)\)$",
                             pol)
                if not m:
                    typ = "?" + pol
                else:
                    kind, typ, args = m.groups()
                    args = [a.strip() for a in args.split(",")]
                    lens = typ == "NLA_BINARY"
                    if kind == "RANGE":
                        checks["min-len" if lens else "min"] = args[0]
                        checks["max-len" if lens else "max"] = args[1]
                    elif kind == "MIN":
                        checks["min-len" if lens else "min"] = args[0]
                    elif kind == "MAX":
                        checks["max-len" if lens else "max"] = args[0]
                    else:
                        for k, v in ranges.get(args[0].lstrip("&"), {}).items():
                            checks[k + "-len" if lens else k] = str(v)
            entries[attr] = (typ, checks)
        tables[name] = entries
    return tables


def check_policies(spec, fam, expect):
    src = open(NETLINK_C).read()
    tables = parse_policies(src)
    consts = dict((c_name(fam, d["name"]), d["value"])
                  for d in spec.get("definitions", []) if d["type"] == "const")
    consts.update((d["name"], d["value"])
                  for d in spec.get("definitions", []) if d["type"] == "const")

    def val(v):
        v = str(v)
        if v.isdigit():
            return int(v)
        return consts.get(v, v)

    sets = dict((s["name"], s) for s in spec["attribute-sets"])
    bad = []
    for tname, entries in tables.items():
        for attr, (typ, checks) in entries.items():
            sname = next((n for n in sets
                          if attr.startswith(c_name(fam, "a", n) + "_")), None)
            a = None
            if sname:
                a = next((x for x in sets[sname]["attributes"]
                          if c_name(fam, "a", sname, x["name"]) == attr), None)
            if not a:
                bad.append("%s: %s is not in the spec" % (tname, attr))
                continue
            want = NLA_TYPES.get(a["type"], "?")
            if a["type"] == "u16" and a.get("byte-order") == "big-endian":
                want = "NLA_BE16"
            if typ != want:
                bad.append("%s: %s is %s, spec says %s" % (tname, attr, typ, want))
            if typ == "NLA_NESTED":
                nested = sets.get(a.get("nested-attributes"), {})
                want_attrs = set(c_name(fam, "a", nested.get("name", "?"),
                                        x["name"])
                                 for x in nested.get("attributes", [])
                                 if x["type"] != "pad")
                have = set(tables.get(checks.get("nested"), {}))
                if want_attrs != have:
                    bad.append("%s: nested policy %s takes %s, spec set has %s"
                               % (tname, checks.get("nested"), sorted(have),
                                  sorted(want_attrs)))
            spec_checks = dict((k, val(v)) for k, v in a.get("checks", {}).items())
            got = dict((k, val(v)) for k, v in checks.items() if k != "nested")
            if spec_checks != got:
                bad.append("%s: %s checks %s, spec says %s"
                           % (tname, attr, got, spec_checks))
    result(not bad, "kernel policies: types and checks match the spec "
           "(%d tables)" % len(tables), "\n".join(bad))

    # Which policy each command uses, and its permission flag.
    ops = {}
    for body in re.findall(r"\{\n\t\t\.cmd = (.*?)\n\t\}", src, re.S):
        cmd = body.split(",")[0].strip()
        pol = re.search(r"\.policy = (\w+)", body)
        ops[cmd] = (pol.group(1) if pol else None,
                    "GENL_UNS_ADMIN_PERM" in body)
    bad = []
    for op in spec["operations"]["list"]:
        if "event" in op:
            continue
        cmd = c_name(fam, "cmd", op["name"])
        if cmd not in ops:
            bad.append("%s has no kernel op" % cmd)
            continue
        pol, admin = ops[cmd]
        req = set()
        for mode in ("do", "dump"):
            r = op.get(mode, {}).get("request", {}).get("attributes", [])
            req |= set(c_name(fam, "a", op["attribute-set"], x) for x in r)
        have = set(tables.get(pol, {})) if pol else set()
        if req != have:
            bad.append("%s: policy %s takes %s, spec requests %s"
                       % (cmd, pol, sorted(have), sorted(req)))
        if admin != ("admin-perm" in op.get("flags", [])):
            bad.append("%s: GENL_UNS_ADMIN_PERM %s, spec admin-perm %s"
                       % (cmd, admin, not admin))
    for cmd in ops:
        if not any(c_name(fam, "cmd", o["name"]) == cmd
                   for o in spec["operations"]["list"]):
            bad.append("%s is not in the spec" % cmd)
    result(not bad, "kernel ops: request attributes and permissions match "
           "the spec (%d ops)" % len(ops), "\n".join(bad))


if __name__ == "__main__":
    sys.exit(main())
