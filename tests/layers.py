#!/usr/bin/env python3
"""The shape of lib/, held as docs/design.md describes it.

  - no lib/ source file is longer than 800 lines;
  - calls go one way: no circle among lib/ files, read from the compiled
    objects (which file defines each symbol another one uses);
  - includes go one way: no circle among lib/ headers and sources;
  - tests mirror lib/: each lib/X.c has its tests/test_X.c.

For calls a file and its header are one module (foo.c, foo.h); includes
go from file to file. Usage:
  layers.py OBJDIR     (the objects of lib/*.c, e.g. build/obj)
Prints each problem and exits 1, or one line and exits 0."""
import glob
import os
import re
import subprocess
import sys

MAX_LINES = 800


def cycles(edges):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def call_edges(objdir):
    defined, used = {}, {}
    for obj in sorted(glob.glob(os.path.join(objdir, "*.o"))):
        mod = os.path.basename(obj)[:-2]
        if not os.path.exists(os.path.join("lib", mod + ".c")):
            continue
        nm = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        for line in nm.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBR":
                defined[f[2]] = mod
            elif len(f) == 2 and f[0] == "U":
                used.setdefault(mod, set()).add(f[1])
    edges = {}
    for mod, syms in used.items():
        for s in syms:
            if s in defined and defined[s] != mod:
                edges.setdefault(mod, set()).add(defined[s])
    return edges, len(defined)


def include_edges():
    """File to file (a header never includes a source, so a circle can
    only be among headers)."""
    edges = {}
    for path in glob.glob("lib/*.[ch]"):
        name = os.path.basename(path)
        for line in open(path, encoding="utf-8"):
            m = re.match(r'\s*#\s*include\s+"([\w.]+\.h)"', line)
            if m and os.path.exists("lib/" + m.group(1)):
                edges.setdefault(name, set()).add(m.group(1))
    return edges


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    problems = []
    for path in sorted(glob.glob("lib/*.c")):
        n = sum(1 for _ in open(path, encoding="utf-8"))
        if n > MAX_LINES:
            problems.append("%s: %d lines (at most %d)" % (path, n, MAX_LINES))
    calls, nsyms = call_edges(sys.argv[1])
    if nsyms == 0:
        problems.append("no symbols read from %s/*.o" % sys.argv[1])
    for c in cycles(calls):
        problems.append("call circle among " + ", ".join(c))
    for c in cycles(include_edges()):
        problems.append("include circle among " + ", ".join(c))
    for path in sorted(glob.glob("lib/*.c")):
        test = "tests/test_" + os.path.basename(path)
        if not os.path.exists(test):
            problems.append("%s has no %s" % (path, test))
    for p in problems:
        print("layers: " + p)
    if problems:
        return 1
    print("layers: ok (%d files in lib/, each at most %d lines, each with its test file; "
          "calls and includes one way)"
          % (len(glob.glob("lib/*.c")), MAX_LINES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
