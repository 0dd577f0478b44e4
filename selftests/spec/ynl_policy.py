#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare the policies the kernel reports for the cpns family with its spec.

Runs in the test VM with cpns.ko loaded.  What the kernel says comes from
CTRL_CMD_GETFAMILY and CTRL_CMD_GETPOLICY, asked through the kernel's own
YNL library and its nlctrl.yaml; nothing here reads the module's source.
Checked, per operation: its flags (uns-admin-perm, do, dump, has a
policy), that do and dump use the one policy the spec's kernel-policy
(per-op) implies, and, per attribute of that policy and of every policy
nested in it: the type, the length bounds and the value range the spec's
checks give, and that it takes exactly the spec's request attributes.

Linux 6.1 dumps a binary attribute's lengths only when they fit the s16
bounds of struct nla_policy; larger ones (a netlink_range_validation)
are enforced but not reported.  For those the bounds are probed instead:
one byte too short and one too long must be refused with ERANGE naming
the attribute.  Prints TAP.

usage: ynl_policy.py YNL_DIR CPNS_SPEC   (YNL_DIR holds tools/net/ynl)
"""
import errno
import os
import sys

import yaml

ynl_dir, spec_path = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(ynl_dir, "tools/net/ynl"))
from lib import YnlFamily, NlError  # noqa: E402

NLCTRL = os.path.join(ynl_dir, "Documentation/netlink/specs/nlctrl.yaml")
INT_MAX = {"u8": 0xff, "u16": 0xffff, "u32": 0xffffffff,
           "u64": 0xffffffffffffffff}
NLA_MAX_PAYLOAD = 0xffff - 4
S16_MAX = 0x7fff
RANGE_MSG = "binary attribute size out of range"

results = []


def result(ok, desc, diag=""):
    results.append((ok, desc, diag))


with open(spec_path) as f:
    spec = yaml.safe_load(f)
consts = dict((d["name"], d["value"]) for d in spec.get("definitions", [])
              if d["type"] == "const")
sets = dict((s["name"], s) for s in spec["attribute-sets"])


def limit(v):
    return consts[v] if isinstance(v, str) else v


def attr_by_name(sname, name):
    return next(a for a in sets[sname]["attributes"] if a["name"] == name)


def attr_values(sname):
    """Spec attributes of a set by value, as ynl numbers them."""
    out, v = {}, 0
    for a in sets[sname]["attributes"]:
        v = a.get("value", v)
        out[v] = a
        v += 1
    return out


def expected(a):
    """What 6.1's policy dump says of spec attribute a, and what it cannot."""
    c = a.get("checks", {})
    t = a["type"]
    if t in INT_MAX:
        # 6.1 has no case for NLA_BE16/BE32 in its dump: a big-endian u16
        # shows only when the module declares it NLA_U16 (same validation).
        return {"type": t, "min-value-u": limit(c.get("min", 0)),
                "max-value-u": limit(c.get("max", INT_MAX[t]))}, None
    if t == "binary":
        lo = limit(c.get("exact-len", c.get("min-len", 0)))
        hi = limit(c.get("exact-len", c.get("max-len", NLA_MAX_PAYLOAD)))
        want = {"type": "binary"}
        if lo > S16_MAX or hi > S16_MAX:
            return want, (lo, hi)
        if lo:
            want["min-length"] = lo
        if hi < NLA_MAX_PAYLOAD:
            want["max-length"] = hi
        return want, None
    if t == "string":
        want = {"type": "nul-string"}
        if "max-len" in c:
            want["max-length"] = limit(c["max-len"])
        return want, None
    if t == "nest":
        return {"type": "nested"}, None
    return {"type": t}, None


nlctrl = YnlFamily(NLCTRL, schema="")
fam = nlctrl.do("getfamily", {"family-name": spec["name"]})
dump = nlctrl.dump("getpolicy", {"family-name": spec["name"]})
op_pol = {}
policies = {}
for m in dump:
    if "op-policy" in m:
        op_pol[m["op-policy"]["op-id"]] = m["op-policy"]
    if "policy" in m:
        p = dict(m["policy"])
        policies.setdefault(p.pop("policy-id"), {})[p.pop("attr-id")] = p
kops = {}
for entry in fam.get("ops", []):
    for o in entry.values():
        kops[o["id"]] = set(o.get("flags", set()))

result(fam.get("version") == spec.get("version", 1),
       "family version is the spec's", "kernel %s" % fam.get("version"))
groups = sorted(g["name"] for e in fam.get("mcast-groups", [])
                for g in e.values())
want_groups = sorted(g["name"] for g in spec["mcast-groups"]["list"])
result(groups == want_groups, "multicast groups are the spec's",
       "kernel %s, spec %s" % (groups, want_groups))

probes = []


def compare_policy(idx, sname, names, where, bad):
    """Kernel policy idx against spec attributes names of set sname."""
    got = policies.get(idx, {})
    byval = attr_values(sname)
    want_vals = set(v for v, a in byval.items() if a["name"] in names)
    for v in sorted(set(got) | want_vals):
        a = byval.get(v)
        aname = a["name"] if a else "attribute %d" % v
        if v not in want_vals:
            bad.append("%s: kernel takes %s, the spec does not"
                       % (where, aname))
            continue
        if v not in got:
            bad.append("%s: kernel does not take %s" % (where, aname))
            continue
        want, probe = expected(a)
        have = dict(got[v])
        nested = (have.pop("policy-idx", None), have.pop("policy-maxtype",
                                                         None))
        if have != want:
            bad.append("%s: %s is %s, spec says %s" % (where, aname, have,
                                                      want))
        if probe:
            probes.append((where, a["name"], probe))
        if a["type"] == "nest":
            sub = a["nested-attributes"]
            subnames = [x["name"] for x in sets[sub]["attributes"]
                        if x["type"] not in ("unused", "pad")]
            if nested[0] is None:
                bad.append("%s: %s has no nested policy" % (where, aname))
            else:
                if nested[1] != max(attr_values(sub)):
                    bad.append("%s: %s nests up to attribute %s, spec's %s "
                               "to %d" % (where, aname, nested[1], sub,
                                          max(attr_values(sub))))
                compare_policy(nested[0], sub, subnames,
                               "%s.%s" % (where, a["name"]), bad)


checked = 0
for value, op in enumerate(spec["operations"]["list"], 1):
    value = op.get("value", value)
    if "event" in op:
        continue
    checked += 1
    name = op["name"]
    bad = []
    flags = kops.get(value)
    if flags is None:
        result(False, "op %s: the kernel has it" % name)
        continue
    req = op.get("do", {}).get("request", {}).get("attributes", [])
    want = set(f for f in op.get("flags", []))
    if "do" in op:
        want.add("cmd-cap-do")
    if "dump" in op:
        want.add("cmd-cap-dump")
    # Strict for every op (resv_start_op 0): one without a request still
    # has a policy, the core's reject-all, which takes no attribute.
    want.add("cmd-cap-haspol")
    if flags != want:
        bad.append("flags %s, spec says %s" % (sorted(flags), sorted(want)))
    pol = op_pol.get(value)
    if not pol or "do" not in pol:
        bad.append("kernel has no do policy")
    else:
        if "dump" in op and pol.get("dump") != pol["do"]:
            bad.append("dump policy %s is not the do policy %s (per-op)"
                       % (pol.get("dump"), pol["do"]))
        if "dump" not in op and "dump" in pol:
            bad.append("kernel has a dump policy, the spec no dump")
        dreq = op.get("dump", {}).get("request", {}).get("attributes", [])
        if set(dreq) - set(req):
            bad.append("dump request %s outside the op's one policy"
                       % sorted(set(dreq) - set(req)))
        compare_policy(pol["do"], op["attribute-set"], req, name, bad)
    result(not bad, "op %s: flags and policy match the spec" % name,
           "\n".join(bad))

result(checked == len(kops), "the kernel has no op the spec lacks",
       "kernel ops %s" % sorted(kops))

cpns = YnlFamily(spec_path, schema="")
for where, aname, (lo, hi) in probes:
    op = where.split(".")[0]
    sizes = [n for n in (lo - 1, hi + 1) if 0 <= n <= NLA_MAX_PAYLOAD]
    bad = []
    for n in sizes:
        try:
            cpns.do(op, {aname: bytes(n)})
            bad.append("%d bytes accepted" % n)
        except NlError as e:
            ext = e.nl_msg.extack or {}
            if (e.error != errno.ERANGE or ext.get("msg") != RANGE_MSG or
                    ext.get("bad-attr") != "." + aname):
                bad.append("%d bytes: %s %s" % (n, os.strerror(e.error), ext))
    result(not bad and bool(sizes), "op %s: %s is %d..%d bytes (probed: 6.1 "
           "does not dump bounds beyond s16)" % (op, aname, lo, hi),
           "\n".join(bad))

print("1..%d" % len(results))
for i, (ok, desc, diag) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
    if not ok and diag:
        for line in diag.splitlines():
            print("# " + line)
sys.exit(0 if all(r[0] for r in results) else 1)
