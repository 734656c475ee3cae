#!/usr/bin/env python3
"""make soak: 1,000,000 requests against a private nginx, keep-alive and
with connection churn (one in ten closes its connection), sampling RSS and
open descriptors every 10,000 (bench/soak.c). Not a test: a long run.

    python3 bench/soak.py [--bin DIR] [--n 1000000]
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Nginx)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench")
    ap.add_argument("--n", type=int, default=1000000)
    a = ap.parse_args()
    ng = bench.Nginx()
    try:
        url = ng.url("1k")
        churn = url.rsplit("/", 1)[0] + "/churn"
        rc = subprocess.run([os.path.join(a.bin, "soak"), url, str(a.n), churn]).returncode
    finally:
        ng.stop()
    sys.exit(rc)


if __name__ == "__main__":
    main()
