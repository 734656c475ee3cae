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

    python3 bench/cache.py [--bin DIR] [--only W1,W2] [--rounds 3]
"""
import argparse
import os
import statistics
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


# The workloads the targets name: (file, N pair, C).
WORKLOADS = {"W1": ("1k", (2000, 6000), 64), "W2": ("64k", (1000, 3000), 32)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench")
    ap.add_argument("--only", default="W1,W2")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    ng = bench.Nginx()
    try:
        for w in a.only.split(","):
            workload(a, ng, w, *WORKLOADS[w])
        print(f"Medians of {a.rounds} rounds; libcurl {bench.libcurl_version(a.bin)}.\n")
        copies(a, ng)
    finally:
        ng.stop()


def copies(a, ng):
    """Copies per byte of a kept body: the lines memcpy writes per line of
    body (marginal between 4 and 12 requests, 2 at a time), for nginx's
    1 MiB file (a Content-Length) and a 4 MiB chunked body of
    tests/server.py (no length: the buffer grows as it comes)."""
    here = os.path.dirname(os.path.abspath(__file__))
    srv = subprocess.Popen([sys.executable, os.path.join(here, "..", "tests", "server.py")],
                           stdout=subprocess.PIPE, text=True)
    try:
        port = int(srv.stdout.readline().split()[1])
        print("## A kept body: copies per byte (lines memcpy writes / lines of body)\n")
        print("| body | size | copies per byte |")
        print("|---|---:|---:|")
        for name, url, size in [("nginx, Content-Length", ng.url("1m"), 1 << 20),
                                ("tests/server.py, chunked", f"http://127.0.0.1:{port}/chunked/4194304", 4 << 20)]:
            s1 = simulate_fn([f"{a.bin}/bench_ahttp", "window", url, "4", "2"])
            s2 = simulate_fn([f"{a.bin}/bench_ahttp", "window", url, "12", "2"])
            lines = (s2 - s1) / 8
            print(f"| {name} | {size:,} | {lines / (size / 64):.2f} |")
        print()
    finally:
        srv.kill()
        srv.wait()


def simulate_fn(argv, fn="__memcpy"):
    """D1 write misses of the functions whose name starts with fn."""
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        p = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=yes"] + GEOMETRY +
                           ["--cachegrind-out-file=" + out.name] + argv,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("cachegrind failed: " + p.stderr[-500:])
        names, cur, total = None, None, 0
        for line in open(out.name):
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith("fn="):
                cur = line[3:].strip()
            elif line[:1].isdigit() and cur and cur.startswith(fn) and names:
                total += int(line.split()[1:][names.index("D1mw")])
        return total


def workload(a, ng, w, file, ns, c):
    n1, n2 = ns
    url = ng.url(file)
    rows = [("raw multi_socket", [f"{a.bin}/raw_socket", url]),
            ("raw multi_poll", [f"{a.bin}/raw_poll", url]),
            ("ahttp on_done window", [f"{a.bin}/bench_ahttp", "window", url]),
            ("ahttp window, body streamed", [f"{a.bin}/bench_ahttp", "stream", url]),
            ("ahttp gather", [f"{a.bin}/bench_ahttp", "gather", url])]
    print(f"## {w}: per request under cachegrind (marginal between N={n1} and N={n2}, "
          f"{file} responses, C={c}; I1 and D1 32 KiB 8-way, LL 8 MiB 16-way; "
          f"ratio to raw multi_socket)\n")
    print("| client | " + " | ".join(label for _, label in EVENTS) + " |")
    print("|---|" + "---:|" * len(EVENTS))
    # Rounds, each client once per round: ahttp ends and starts the
    # requests of a reactor turn in phases, so what a request costs
    # depends a little on how many end together, which follows the
    # machine's load; medians of rounds taken side by side steady it.
    per = {name: [] for name, _ in rows}
    for _ in range(a.rounds):
        for name, argv in rows:
            s1 = simulate(argv + [str(n1), str(c)])
            s2 = simulate(argv + [str(n2), str(c)])
            per[name].append([(value(s2, e) - value(s1, e)) / (n2 - n1) for e, _ in EVENTS])
    ref = None
    for name, _ in rows:
        med = [statistics.median(r[i] for r in per[name]) for i in range(len(EVENTS))]
        ref = ref or med
        cells = [f"{p:,.0f}" + (f" ({p / r:.2f}x)" if med is not ref and r >= 10 else "")
                 for p, r in zip(med, ref)]
        print(f"| {name} | " + " | ".join(cells) + " |")
        sys.stdout.flush()
    print()


if __name__ == "__main__":
    main()
