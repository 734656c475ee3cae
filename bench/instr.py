#!/usr/bin/env python3
"""make bench-instr: instructions per request under callgrind, marginal
(from two sizes of N, so start-up cost cancels), for ahttp and the raw
libcurl multi_socket client, against a private nginx. Counts are
repeatable on a noisy machine, unlike times.

    python3 bench/instr.py [--bin DIR] [--file 1k] [--n 1000,3000] [--c 16]
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Nginx)


def count(argv, env=None):
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + argv,
                       capture_output=True, text=True, env=env)
    m = re.search(r"Collected : (\d+)", p.stderr)
    if not m:
        sys.exit("callgrind failed: " + p.stderr[-500:])
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench")
    ap.add_argument("--file", default="1k")
    ap.add_argument("--n", default="1000,3000")
    ap.add_argument("--c", default="16")
    a = ap.parse_args()
    n1, n2 = (int(x) for x in a.n.split(","))
    ng = bench.Nginx()
    try:
        url = ng.url(a.file)
        hook = dict(os.environ, AH_BENCH_HOOK="1")
        rows = [("raw multi_socket", [f"{a.bin}/raw_socket", url], None),
                ("raw multi_poll", [f"{a.bin}/raw_poll", url], None),
                ("ahttp on_done window", [f"{a.bin}/bench_ahttp", "window", url], None),
                ("ahttp window, lifecycle hook set", [f"{a.bin}/bench_ahttp", "window", url], hook),
                ("ahttp gather", [f"{a.bin}/bench_ahttp", "gather", url], None)]
        print(f"## instructions per request (callgrind, marginal between N={n1} and N={n2}, "
              f"{a.file} responses, C={a.c})\n")
        print("| client | instr/request | vs raw multi_socket |")
        print("|---|---:|---:|")
        ref = None
        for name, argv, env in rows:
            i1 = count(argv + [str(n1), a.c], env)
            i2 = count(argv + [str(n2), a.c], env)
            per = (i2 - i1) / (n2 - n1)
            ref = ref or per
            print(f"| {name} | {per:,.0f} | {per / ref:.2f}x |")
    finally:
        ng.stop()


if __name__ == "__main__":
    main()
