#!/usr/bin/env python3
"""make bench-cache: what a request costs in the caches and the branch
predictor, under cachegrind's simulation (--cache-sim=yes
--branch-sim=yes), marginal between two sizes of N as bench-instr does,
for ahttp (on_done window, gather) and the raw libcurl loops
(multi_socket, multi_poll), against a private nginx. The simulation is
the same on every run, so it is the yardstick on a noisy machine where
wall-clock ratios move by 10% (issue 19): instructions, L1 instruction
and data misses, last-level misses, conditional and indirect branch
mispredictions, each per request and as a ratio to raw multi_socket.

    python3 bench/cache.py [--bin DIR] [--file 1k] [--n 2000,6000] [--c 64]
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Nginx)

# One cache geometry on every machine (cachegrind otherwise copies the
# host's), so that two machines' figures compare: 32 KiB 8-way L1s and an
# 8 MiB 16-way last level, 64-byte lines, as on the x86 servers of today.
GEOMETRY = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64"]

# cachegrind's event names, in the order the table shows them.
EVENTS = [("Ir", "instr"), ("I1mr", "I1 miss"), ("D1mr+D1mw", "D1 miss"),
          ("ILmr+DLmr+DLmw", "LL miss"), ("Bcm", "cond mispred"), ("Bim", "indirect mispred")]


def simulate(argv):
    """Totals of each cachegrind event for one run of argv."""
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        p = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--branch-sim=yes"] +
                           GEOMETRY + ["--cachegrind-out-file=" + out.name] + argv,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("cachegrind failed: " + p.stderr[-500:])
        names, totals = None, None
        for line in open(out.name):
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith("summary:"):
                totals = [int(x) for x in line.split()[1:]]
        if names is None or totals is None:
            sys.exit("cachegrind wrote no summary")
        return dict(zip(names, totals))


def value(sums, expr):
    return sum(sums.get(name, 0) for name in expr.split("+"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench")
    ap.add_argument("--file", default="1k")
    ap.add_argument("--n", default="2000,6000")
    ap.add_argument("--c", default="64")
    a = ap.parse_args()
    n1, n2 = (int(x) for x in a.n.split(","))
    ng = bench.Nginx()
    try:
        url = ng.url(a.file)
        rows = [("raw multi_socket", [f"{a.bin}/raw_socket", url]),
                ("raw multi_poll", [f"{a.bin}/raw_poll", url]),
                ("ahttp on_done window", [f"{a.bin}/bench_ahttp", "window", url]),
                ("ahttp window, body streamed", [f"{a.bin}/bench_ahttp", "stream", url]),
                ("ahttp gather", [f"{a.bin}/bench_ahttp", "gather", url])]
        print(f"## per request under cachegrind (marginal between N={n1} and N={n2}, "
              f"{a.file} responses, C={a.c}; I1 and D1 32 KiB 8-way, LL 8 MiB 16-way; "
              f"ratio to raw multi_socket)\n")
        print("| client | " + " | ".join(label for _, label in EVENTS) + " |")
        print("|---|" + "---:|" * len(EVENTS))
        ref = None
        for name, argv in rows:
            s1 = simulate(argv + [str(n1), a.c])
            s2 = simulate(argv + [str(n2), a.c])
            per = [(value(s2, e) - value(s1, e)) / (n2 - n1) for e, _ in EVENTS]
            ref = ref or per
            cells = [f"{p:,.0f}" + (f" ({p / r:.2f}x)" if per is not ref and r >= 10 else "")
                     for p, r in zip(per, ref)]
            print(f"| {name} | " + " | ".join(cells) + " |")
            sys.stdout.flush()
    finally:
        ng.stop()


if __name__ == "__main__":
    main()
