#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count a TAP stream by its results, the way kselftest nests them.

A line's depth is the number of "# " prefixes in front of it: the
kernel's runner prints each test's own TAP one level down and its
verdict ("ok N selftests: cpns: nl_key") at the level above, after it.
A result owns the results and the plan printed one level down since the
previous result at its own level.

Every leaf counts once.  A result with children counts as its children,
plus one failure when it failed and none of them did (a crash, a
timeout, a kernel warning after the last case), plus one failure when
the children do not add up to their plan.  Skips count as skips; a skip
that no line of the allow-list matches is also a failure, so a broken
prerequisite cannot pass for a missing feature.

usage: tap.py [--stage NAME] [--allow FILE] [--counts FILE]
              [--require-plan] [--require-children] [LOG]
Prints "# NAME: P passed, F failed, S skipped" and a "# FAIL ..." line
per failure, followed by indented "#   " lines with the VM guard's reason
when a test failed with none of its own results failing; exits 1 when
anything failed.
"""
import argparse
import re
import sys

RESULT = re.compile(r'^(not )?ok\b\s*(\d+)?\s*(?:- )?(.*)$')
PLAN = re.compile(r'^1\.\.(\d+)\s*(?:#\s*(.*))?$')
DIRECTIVE = re.compile(r'\s#\s*(\S*)\s*(.*)$')


class Node:
    def __init__(self, ok, name, directive, reason):
        self.ok, self.name = ok, name
        self.directive, self.reason = directive, reason
        self.children, self.plan, self.plan_reason = [], None, ""
        self.diag = []


def split(line):
    depth = 0
    while line.startswith("# ") or line == "#":
        line = line[2:]
        depth += 1
    return depth, line.rstrip()


def parse(lines):
    pending = {}    # depth -> results not yet claimed by a parent
    plans = {}      # depth -> (count, reason)
    notes = []      # (depth, comment line) not yet claimed by a result
    bailed = []
    for raw in lines:
        depth, text = split(raw.rstrip("\n"))
        if text.startswith("Bail out!"):
            bailed.append(text)
            continue
        m = PLAN.match(text)
        if m:
            plans[depth] = (int(m.group(1)), m.group(2) or "")
            continue
        m = RESULT.match(text)
        if not m:
            notes.append((depth, text))
            del notes[:-2000]
            continue
        desc = m.group(3)
        d = DIRECTIVE.search(" " + desc)
        directive = reason = ""
        if d:
            directive, reason = d.group(1), d.group(2).strip()
            if directive.upper() == "SKIP":
                directive = "SKIP"
            desc = (" " + desc)[:d.start()].strip()
        node = Node(not m.group(1), desc.strip(), directive, reason)
        i = len(notes)
        while i and notes[i - 1][0] > depth:
            i -= 1
        node.diag = [t for k, t in notes[i:]]
        del notes[i:]
        node.children = pending.pop(depth + 1, [])
        if depth + 1 in plans:
            node.plan, node.plan_reason = plans.pop(depth + 1)
        for deeper in [k for k in pending if k > depth + 1]:
            node.children += pending.pop(deeper)
        for deeper in [k for k in plans if k > depth + 1]:
            plans.pop(deeper)
        pending.setdefault(depth, []).append(node)
    root = Node(True, "", "", "")
    root.children = [n for k in sorted(pending) for n in pending[k]]
    if 0 in plans:
        root.plan, root.plan_reason = plans[0]
    root.bailed = bailed
    return root


class Count:
    def __init__(self, stage, allow, root, need_children):
        self.stage, self.allow = stage, allow
        self.root, self.need_children = root, need_children
        self.passed = self.failed = self.skipped = 0
        self.notes = []

    def fail(self, what, node=None):
        self.failed += 1
        self.notes.append("# FAIL %s: %s" % (self.stage, what))
        if node:
            self.notes += ["#   " + d for d in why(node)]

    def skip(self, path, reason):
        self.skipped += 1
        what = "%s # SKIP %s" % (path, reason)
        if not any(re.search(p, what) for p in self.allow):
            self.fail("skip not on the allow-list: " + what)

    def walk(self, node, path, need_children=False):
        here = " / ".join(p for p in path if p)
        if need_children and not node.children and node.plan is None \
                and node.directive != "SKIP":
            self.fail("%s: reported no result of its own" % here)
            return
        if node.children or node.plan is not None:
            before = self.failed
            for c in node.children:
                self.walk(c, path + [c.name], self.need_children and
                          node is self.root)
            if node.plan is not None and node.plan != len(node.children):
                self.fail("%s: planned %d results, reported %d" %
                          (here or "stream", node.plan, len(node.children)))
            if node.plan == 0 and not node.children and node.plan_reason:
                self.skip(here, node.plan_reason.replace("SKIP", "", 1).strip())
            elif not node.ok and self.failed == before:
                self.fail(here + tail(node), node)
            elif node.ok and node.directive == "SKIP" and not node.children \
                    and not node.plan_reason:
                self.skip(here, node.reason)
            return
        if not node.ok:
            self.fail(here + tail(node))
        elif node.directive == "SKIP":
            self.skip(here, node.reason)
        else:
            self.passed += 1


# What the VM's test guard (ksft-guard.sh) said when it failed a test
# whose own results all passed: otherwise CI's log shows only "exit=1".
GUARD = re.compile(r': (a sanitizer reported an error|the kernel log shows):$')


def why(node):
    for i, line in enumerate(node.diag):
        if GUARD.search(line):
            return node.diag[i:i + 8]
    return []


def tail(node):
    if not node.directive:
        return ""
    return (" # %s %s" % (node.directive, node.reason)).rstrip()


def load_allow(path):
    pats = []
    if not path:
        return pats
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pat, sep, why = line.partition("  -- ")
            if not sep or not why.strip():
                sys.exit("tap.py: %s: every entry needs '  -- reason': %s" %
                         (path, line))
            pats.append(pat.strip())
    return pats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", default="tap")
    ap.add_argument("--allow")
    ap.add_argument("--counts")
    ap.add_argument("--require-plan", action="store_true")
    # Each top-level result is a test program whose own TAP must be there.
    ap.add_argument("--require-children", action="store_true")
    ap.add_argument("log", nargs="?")
    a = ap.parse_args()
    lines = open(a.log, errors="replace") if a.log else sys.stdin
    root = parse(lines)
    c = Count(a.stage, load_allow(a.allow), root, a.require_children)
    if a.require_plan and root.plan is None:
        c.fail("the stream has no plan")
    if not root.children and root.plan is None:
        c.fail("no result at all")
    for b in root.bailed:
        c.fail(b)
    if root.children or root.plan is not None:
        c.walk(root, [])
    for n in c.notes:
        print(n)
    print("# %s: %d passed, %d failed, %d skipped" %
          (a.stage, c.passed, c.failed, c.skipped))
    if a.counts:
        with open(a.counts, "w") as f:
            f.write("%d %d %d\n" % (c.passed, c.failed, c.skipped))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
