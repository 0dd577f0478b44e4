#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the cpns YNL spec with the kernel's own YNL tools.  Prints TAP.

1. The spec validates against the kernel's genetlink schema for its
   protocol (Documentation/netlink/genetlink-legacy.yaml of Linux 6.12).
2. Everything in it has a doc (the schema does not require one).
3. include/uapi/linux/cpns_generated.h is exactly what the kernel's
   ynl-gen-c.py --mode uapi makes of the spec today.
4. The hand-written include/uapi/linux/cpns.h adds only what ynl-gen-c
   cannot render, the wire header struct, and its layout (member offsets
   and sizes, total size) is the spec's struct wire-hdr.

The module's policies are checked against the spec by what the kernel
reports (CTRL_CMD_GETPOLICY), in the VM: selftests/cpns/ynl_policy.sh.

usage: check-spec.py [--write]   (--write regenerates the header)
env: B (build folder holding ynl/, extracted by the Makefile)
"""
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import yaml

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
B = os.environ.get("B", os.path.join(TOP, "build"))
YNL_TREE = os.path.join(B, "ynl")
SPEC = os.path.join(TOP, "Documentation/netlink/specs/cpns.yaml")
UAPI = os.path.join(TOP, "include/uapi")

results = []


def result(ok, desc, diag=""):
    results.append((ok, desc, diag))


def check_schema(spec):
    proto = spec.get("protocol", "genetlink")
    path = os.path.join(YNL_TREE, "Documentation/netlink", proto + ".yaml")
    if not proto.startswith("genetlink") or not os.path.exists(path):
        result(False, "spec: validates against the kernel's schema",
               "no kernel schema for protocol %r (%s)" % (proto, path))
        return
    with open(path) as f:
        schema = yaml.safe_load(f)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(spec),
                    key=lambda e: list(e.absolute_path))
    diag = "\n".join("%s: %s" % ("/".join(str(p) for p in e.absolute_path),
                                 e.message) for e in errors)
    result(not errors, "spec: validates against the kernel's %s.yaml"
           % proto, diag)


def check_docs(spec):
    missing = []
    for d in spec.get("definitions", []):
        if "doc" not in d:
            missing.append("definition " + d["name"])
        for m in d.get("members", []):
            if "doc" not in m:
                missing.append("member %s.%s" % (d["name"], m["name"]))
    for s in spec["attribute-sets"]:
        if "doc" not in s:
            missing.append("attribute-set " + s["name"])
        for a in s["attributes"]:
            if a["type"] != "unused" and "doc" not in a:
                missing.append("attribute %s.%s" % (s["name"], a["name"]))
    for op in spec["operations"]["list"]:
        if "doc" not in op:
            missing.append("operation " + op["name"])
    result(not missing, "spec: every definition, member, attribute and "
           "operation has a doc", "\n".join(missing))


def generate(spec):
    """The header ynl-gen-c makes of the spec, as text."""
    # ynl-gen-c finds the schema next to the spec's folder and names the
    # spec by its path below the tree's root: give it the kernel's layout.
    specs = os.path.join(YNL_TREE, "Documentation/netlink/specs")
    os.makedirs(specs, exist_ok=True)
    shutil.copy(SPEC, specs)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.h")
        p = subprocess.run([sys.executable,
                            os.path.join(YNL_TREE,
                                         "tools/net/ynl/ynl-gen-c.py"),
                            "--mode", "uapi", "--header",
                            "--spec", os.path.join(specs, "cpns.yaml"),
                            "-o", out], capture_output=True, text=True,
                           timeout=120)
        if p.returncode != 0 or not os.path.exists(out):
            return None, p.stdout + p.stderr
        with open(out) as f:
            return f.read(), ""


def check_generated(spec, write):
    path = os.path.join(UAPI, spec["uapi-header"])
    rel = os.path.relpath(path, TOP)
    text, err = generate(spec)
    if text is None:
        result(False, "header: ynl-gen-c --mode uapi runs on the spec", err)
        return
    if write:
        with open(path, "w") as f:
            f.write(text)
    try:
        with open(path) as f:
            have = f.read()
    except OSError as e:
        have = ""
        err = str(e)
    diff = list(difflib.unified_diff(have.splitlines(), text.splitlines(),
                                     rel, "ynl-gen-c", lineterm=""))
    if diff:
        err += "\n".join(diff[:40])
        err += "\nregenerate it: selftests/spec/check-spec.py --write"
    result(not diff and bool(have), "header: %s is what ynl-gen-c makes of "
           "the spec" % rel, err)


C_TYPES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8,
           "s8": 1, "s16": 2, "s32": 4, "s64": 8}


def c_name(name):
    return name.replace("-", "_")


def check_handwritten(spec):
    gen = spec["uapi-header"]
    hand = [d for d in spec.get("definitions", []) if d.get("header")]
    path = os.path.join(UAPI, "linux/cpns.h")
    with open(path) as f:
        text = f.read()
    bad = []
    if "#include <%s>" % gen not in text:
        bad.append("does not include <%s>" % gen)
    # Names and numbers belong to the spec: none may be defined here.
    for m in re.finditer(r"^\s*#\s*define\s+(CPNS_\w+)|^\s*enum\b[^;]*\{",
                         text, re.M):
        bad.append("defines %s; put it in the spec" % m.group(0).strip())
    structs = re.findall(r"^struct\s+(\w+)\s*\{", text, re.M)
    want = ["cpns_" + c_name(d["name"]) for d in hand if d["type"] == "struct"]
    if sorted(structs) != sorted(want):
        bad.append("defines structs %s, the spec's header: linux/cpns.h "
                   "definitions are %s" % (structs, want))
    result(not bad, "header: linux/cpns.h adds only the structs the spec "
           "defines", "\n".join(bad))

    # The layout, by the compiler: natural offsets in member order.
    consts = dict((d["name"], d["value"]) for d in spec["definitions"]
                  if d["type"] == "const")
    lines = ["#include <stddef.h>", "#include <linux/cpns.h>"]
    for d in hand:
        if d["type"] != "struct":
            continue
        sname = "struct cpns_" + c_name(d["name"])
        off = 0
        for m in d["members"]:
            size = C_TYPES.get(m["type"])
            if size is None:
                size = consts.get(m.get("len"), m.get("len"))
            lines.append('_Static_assert(offsetof(%s, %s) == %d, '
                         '"%s.%s at %d");' % (sname, c_name(m["name"]), off,
                                              sname, m["name"], off))
            lines.append('_Static_assert(sizeof(((%s *)0)->%s) == %d, '
                         '"%s.%s is %d bytes");'
                         % (sname, c_name(m["name"]), size, sname,
                            m["name"], size))
            off += size
        lines.append('_Static_assert(sizeof(%s) == %d, "%s is %d bytes");'
                     % (sname, off, sname, off))
        ln = consts.get(d["name"] + "-len")
        if ln is not None:
            lines.append('_Static_assert(%d == %d, "%s-len is not the sum '
                         'of the members");' % (ln, off, d["name"]))
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "layout.c")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run(["gcc", "-fsyntax-only", "-Wall", "-I", UAPI, src],
                           capture_output=True, text=True)
    result(p.returncode == 0, "header: hand-written structs have the spec's "
           "member offsets and sizes", p.stderr)


def main():
    write = "--write" in sys.argv[1:]
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    check_schema(spec)
    check_docs(spec)
    check_generated(spec, write)
    check_handwritten(spec)

    print("1..%d" % len(results))
    for i, (ok, desc, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
        if not ok and diag:
            for line in diag.splitlines():
                print("# " + line)
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
