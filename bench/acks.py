"""How long each client takes to answer the server on a connection.

    python3 bench/acks.py [--bin DIR] [--size 64k] [-n 3000] [-c 32]

Runs each client (ahttp streamed and kept, the raw multi_socket and
multi_poll loops) against a private nginx under tcpdump on loopback, and
reports, per client, how long after a segment of the server's the client
sent its next packet on that connection (an acknowledgement or the next
request): median, 99th percentile, the longest, and how many waited over
20 ms. A wait near 40 ms is the kernel's delayed acknowledgement: the
server had more to send and waited for it (docs/performance.md, "A
response in two reads"). Needs tcpdump and root; not part of make bench.
A client missing from --bin is left out.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

SEG = re.compile(r"([\d.]+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): .*length (\d+)")


def waits(text, port):
    """Delays (ms) between a server segment and the client's next packet."""
    last, out = {}, []
    for line in text.splitlines():
        m = SEG.match(line)
        if not m:
            continue
        t, src, dst, n = float(m.group(1)), m.group(2), m.group(3), int(m.group(4))
        if src == port and n > 0:
            last[dst] = t
        elif dst == port and src in last:
            out.append((t - last.pop(src)) * 1e3)
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench")
    ap.add_argument("--size", default="64k")
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("-c", type=int, default=32)
    a = ap.parse_args()
    if shutil.which("tcpdump") is None:
        sys.exit("acks.py needs tcpdump (apt-get install tcpdump)")
    clients = [("ahttp window, body streamed", ["bench_ahttp", "stream"]),
               ("ahttp on_done window", ["bench_ahttp", "window"]),
               ("raw multi_socket", ["raw_socket"]),
               ("raw multi_poll", ["raw_poll"])]
    ng = bench.Nginx()
    port = str(ng.port)
    url = ng.url(a.size)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, argv in clients:
                if not os.path.exists(os.path.join(a.bin, argv[0])):
                    continue
                pcap = os.path.join(tmp, "cap.pcap")
                dump = subprocess.Popen(["tcpdump", "-U", "-i", "lo", "-n", "-s", "96",
                                         "-w", pcap, "tcp port " + port],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)  # tcpdump is listening
                cmd = [os.path.join(a.bin, argv[0])] + argv[1:] + [url, str(a.n), str(a.c)]
                subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, timeout=300)
                time.sleep(0.5)
                dump.terminate()
                dump.wait(timeout=10)
                text = subprocess.run(["tcpdump", "-r", pcap, "-n", "-tt"], capture_output=True,
                                      text=True).stdout
                w = waits(text, port)
                if not w:
                    print(f"{name}: nothing captured")
                    continue
                print(f"{name}: {len(w)} answers, median {w[len(w) // 2]:.2f} ms, "
                      f"p99 {w[int(len(w) * 0.99)]:.2f} ms, longest {w[-1]:.1f} ms, "
                      f"over 20 ms: {sum(x > 20 for x in w)}")
    finally:
        ng.stop()


if __name__ == "__main__":
    main()
