#!/usr/bin/env python3
"""tutorial.py - every C snippet of docs/tutorial.md and README.md is
compiled code.

Each ```c block must follow a line `<!-- from examples/NAME.c -->` and be,
line for line, a contiguous piece of that file; `make examples` compiles
the files and tests/examples.sh runs them. A snippet that drifts from its
program fails here.

    python3 tests/tutorial.py FILE.md...
"""
import re
import sys


def check(path):
    text = open(path).read().split("\n")
    fails, blocks, source = [], 0, None
    i = 0
    while i < len(text):
        line = text[i]
        m = re.match(r"<!-- from (examples/[\w.-]+\.c) -->$", line)
        if m:
            source = m.group(1)
        elif line.startswith("```c"):
            end = text.index("```", i + 1)
            snippet = text[i + 1:end]
            blocks += 1
            if source is None:
                fails.append("line %d: a C snippet without <!-- from examples/... -->" % (i + 1))
            else:
                try:
                    lines = open(source).read().split("\n")
                except OSError as e:
                    fails.append("line %d: %s" % (i + 1, e))
                    lines = []
                n = len(snippet)
                if lines and not any(lines[k:k + n] == snippet for k in range(len(lines) - n + 1)):
                    fails.append("line %d: the snippet is not in %s as written" % (i + 1, source))
            source = None
            i = end
        elif line.strip():
            source = None if not line.startswith("<!--") else source
        i += 1
    for f in fails:
        print("snippets: %s: %s" % (path, f))
    if blocks == 0:
        fails.append("no snippets")
        print("snippets: %s: no C snippets found" % path)
    return blocks, len(fails)


if __name__ == "__main__":
    results = [check(p) for p in sys.argv[1:]]
    if any(bad for _, bad in results) or not results:
        sys.exit(1)
    print("snippets: ok (%d in %s, each a piece of a program in examples/)"
          % (sum(n for n, _ in results), ", ".join(sys.argv[1:])))
