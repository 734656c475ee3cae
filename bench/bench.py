#!/usr/bin/env python3
"""ahttp's benchmark: every client against one private nginx, side by side.

    python3 bench/bench.py [--quick] [--rounds R] [--only W1,W3] [--bin DIR]

Starts nginx (Debian nginx-light) on 127.0.0.1 with an ephemeral port,
access_log off, serving 16 B, 1 KiB, 64 KiB and 1 MiB files, and stops it
by pid at the end. Each round runs every client once, in rotating order;
each client prints "elapsed_s ok bytes non200" and the driver takes CPU
seconds and peak RSS from wait4(). The table gives medians over rounds and
each client's ratio to the raw libcurl multi_socket client, computed round
by round (paired) so that machine drift cancels.
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURE = "measure"
SYS_PYTHON = "/usr/bin/python3"  # Debian's, which has python3-aiohttp

WORKLOADS = {
    # name: (file, N, C, description)
    "W1": ("1k", 20000, 64, "N=20000 x 1 KiB, C=64"),
    "W2": ("64k", 5000, 32, "N=5000 x 64 KiB, C=32"),
    "W3": ("1m", 500, 16, "N=500 x 1 MiB, C=16"),
    "W4": ("16b", 100000, 100, "one gather of 100,000 x 16 B, default limit (100)"),
    "W5": ("1k", 20000, 64, "HTTP/2 over TLS, N=20000 x 1 KiB, C=64 streams multiplexed"),
}
SIZES = {"16b": 16, "1k": 1024, "64k": 65536, "1m": 1 << 20}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nginx:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ahttp-bench-")
        os.chmod(self.dir, 0o755)
        root = os.path.join(self.dir, "www")
        os.mkdir(root)
        for name, size in SIZES.items():
            with open(os.path.join(root, name), "wb") as f:
                f.write(b"b" * size)
        self.port = free_port()
        self.tls_port = free_port()
        self.ca = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                        "-out", self.ca, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        conf = os.path.join(self.dir, "nginx.conf")
        user = "user root;" if os.geteuid() == 0 else ""
        with open(conf, "w") as f:
            f.write(f"""{user}
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 60s;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {self.dir}/tmp;
  proxy_temp_path {self.dir}/tmp;
  fastcgi_temp_path {self.dir}/tmp;
  uwsgi_temp_path {self.dir}/tmp;
  scgi_temp_path {self.dir}/tmp;
  types {{ }}
  default_type application/octet-stream;
  http2_max_requests 10000000;
  http2_max_concurrent_streams 256;
  server {{
    listen 127.0.0.1:{self.port};
    listen 127.0.0.1:{self.tls_port} ssl http2;
    ssl_certificate {self.ca};
    ssl_certificate_key {key};
    root {root};
    # Connection churn (bench/soak): every response closes its connection.
    location = /churn {{ keepalive_timeout 0; try_files /1k =404; }}
  }}
}}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"  # often not on PATH
        argv = [nginx, "-c", conf, "-p", self.dir]
        if SERVER_CPU is not None:
            argv = ["taskset", "-c", str(SERVER_CPU)] + argv
        self.proc = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
        for _ in range(200):  # bounded: 10 s
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.05).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        sys.exit("bench: nginx did not start (see nginx-light)")

    def url(self, name, tls=False):
        if tls:
            return f"https://127.0.0.1:{self.tls_port}/{name}"
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# Pinning (--pin, the default with two CPUs or more): every client runs
# on CLIENT_CPU and nginx on another, so that a client's caches and branch
# predictor are its own for the run and the scheduler does not move it.
CLIENT_CPU = None
SERVER_CPU = None


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine


def pinned(cmd):
    if CLIENT_CPU is None:
        return cmd
    return ["taskset", "-c", str(CLIENT_CPU)] + cmd


def run(cmd, timeout=600, env=None):
    """Run cmd under bench/measure, env added to the environment; return
    (stdout, wall_s, cpu_s, maxrss_mib, exit status, page faults)."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(pinned([MEASURE] + cmd), capture_output=True, timeout=timeout,
                           env=dict(os.environ, **env) if env else None)
    except subprocess.TimeoutExpired:
        return "", timeout, 0.0, 0.0, -1, 0
    wall = time.monotonic() - t0
    cpu, rss, faults = 0.0, 0.0, 0
    for line in p.stderr.decode(errors="replace").splitlines():
        if line.startswith("MEASURE "):
            f = line.split()
            cpu, rss, faults = float(f[1]), int(f[2]) / 1024.0, int(f[3])
    return p.stdout.decode(), wall, cpu, rss, p.returncode, faults


def clients(b, w, url, n, c, ca=None):
    """(name, argv, kind, env) for workload w. kind: 'line' or 'wrk' or
    'curl'; env: variables added to the environment, or None."""
    out = []
    if w == "W5":
        out.append(("ahttp gather", [f"{b}/bench_ahttp", "gather", url, str(n), str(c), ca], "line"))
        out.append(("ahttp on_done window", [f"{b}/bench_ahttp", "window", url, str(n), str(c), ca], "line"))
        out.append(("raw multi_socket", [f"{b}/raw_socket", url, str(n), str(c), ca], "line"))
        out.append(("raw multi_poll", [f"{b}/raw_poll", url, str(n), str(c), ca], "line"))
        if shutil.which("h2load"):
            out.append(("h2load (ceiling)", ["h2load", "-n", str(n), "-c", "1", "-m", str(c), url], "h2load"))
        return with_env(out)
    if w == "W4":
        out.append(("ahttp gather", [f"{b}/bench_ahttp", "gather", url, str(n), str(c)], "line"))
        out.append(("raw multi_socket", [f"{b}/raw_socket", url, str(n), str(c)], "line"))
        out.append(("aiohttp gather (keep)", [SYS_PYTHON, f"{HERE}/aiohttp_client.py", url, str(n), str(c), "keep"], "line"))
        return with_env(out)
    out.append(("ahttp gather", [f"{b}/bench_ahttp", "gather", url, str(n), str(c)], "line"))
    out.append(("ahttp on_done window", [f"{b}/bench_ahttp", "window", url, str(n), str(c)], "line"))
    # Like the raw loops: the body counted in an on_data callback, not kept.
    out.append(("ahttp window, body streamed", [f"{b}/bench_ahttp", "stream", url, str(n), str(c)], "line"))
    # What keeping bodies costs in the C library's heap, not in ahttp:
    # the same clients with a glibc tunable the program may set (glibc
    # 2.35 or later; an older one ignores it and the row repeats the
    # plain one). A gather keeps every body: the heap in huge pages takes
    # one fault per 2 MiB instead of one per 4 KiB. A window frees each
    # 64 KiB body in its callback, and libcurl before 8.7 allocates and
    # frees a 64 KiB receive buffer per transfer: the top of glibc's heap
    # swings across its trim threshold, is given back to the kernel and
    # faulted in again (docs/performance.md).
    if w == "W1":
        out.append(("ahttp gather, glibc heap in huge pages",
                    [f"{b}/bench_ahttp", "gather", url, str(n), str(c)], "line",
                    {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}))
    if w == "W2":
        out.append(("ahttp window, glibc heap not trimmed",
                    [f"{b}/bench_ahttp", "window", url, str(n), str(c)], "line",
                    {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=67108864"}))
    out.append(("raw multi_socket", [f"{b}/raw_socket", url, str(n), str(c)], "line"))
    out.append(("raw multi_poll", [f"{b}/raw_poll", url, str(n), str(c)], "line"))
    if shutil.which("curl"):
        out.append(("curl --parallel", None, "curl"))
    if os.path.exists(SYS_PYTHON):
        # Bodies kept until the gather returns, as ahttp's gather keeps them.
        out.append(("aiohttp gather (keep)", [SYS_PYTHON, f"{HERE}/aiohttp_client.py", url, str(n), str(c), "keep"], "line"))
    if shutil.which("node"):
        out.append(("node fetch", ["node", f"{HERE}/node_fetch.mjs", url, str(n), str(c)], "line"))
    if shutil.which("wrk"):
        out.append(("wrk (ceiling)", None, "wrk"))
    return with_env(out)


def with_env(out):
    """The clients, each with its environment (None: this one's)."""
    return [x if len(x) == 4 else x + (None,) for x in out]


def one(name, argv, kind, url, n, c, size, tmp, env=None):
    """Run one client once: dict of rps, cpu, rss, faults (page faults per
    request), or an 'error'."""
    if kind == "curl":
        cfg = os.path.join(tmp, "curl.cfg")
        with open(cfg, "w") as f:
            for _ in range(n):
                f.write(f'url = "{url}"\noutput = "/dev/null"\n')
        argv = ["curl", "--parallel", "--parallel-max", str(c), "-s",
                "-w", "%{http_code} %{size_download}\\n", "-K", cfg]
        out, wall, cpu, rss, st, _ = run(argv)
        lines = [l.split() for l in out.splitlines() if l.strip()]
        ok = sum(1 for l in lines if l[0] == "200")
        got = sum(int(l[1]) for l in lines)
        return check(name, n, size, wall, ok, got, 0, cpu, rss, st)
    if kind == "h2load":
        out, wall, cpu, rss, st, _ = run(argv)
        for line in out.splitlines():
            if line.startswith("finished in"):
                rps = float(line.split(",")[1].split()[0])
                return {"rps": rps, "cpu": cpu, "rss": rss}
        return {"error": "h2load printed no rate"}
    if kind == "wrk":
        secs = 3 if n >= 1000 else 1
        argv = ["wrk", "-t1", f"-c{c}", f"-d{secs}s", url]
        out, wall, cpu, rss, st, _ = run(argv)
        for line in out.splitlines():
            if line.startswith("Requests/sec:"):
                return {"rps": float(line.split()[1]), "cpu": cpu / secs * (n / float(line.split()[1])),
                        "rss": rss}
        return {"error": "wrk printed no rate"}
    out, wall, cpu, rss, st, faults = run(argv, env=env)
    try:
        el, ok, got, non200 = out.split()[:4]
    except ValueError:
        return {"error": f"no result line (status {st})"}
    r = check(name, n, size, float(el), int(ok), int(got), int(non200), cpu, rss, st)
    r["faults"] = faults / n
    return r


def check(name, n, size, el, ok, got, non200, cpu, rss, st):
    if ok != n or got != n * size or non200:
        return {"error": f"{ok}/{n} ok, {got} bytes (want {n * size}), {non200} non-200"}
    return {"rps": n / el, "cpu": cpu, "rss": rss}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small N, one round (CI smoke)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="W1,W2,W3,W4,W5")
    ap.add_argument("--bin", default="build/bench")
    ap.add_argument("--pin", dest="pin", action="store_true", default=None,
                    help="clients on the last CPU, nginx on the first (default with 2+ CPUs)")
    ap.add_argument("--no-pin", dest="pin", action="store_false")
    ap.add_argument("--ratios", action="store_true",
                    help="only ahttp and the raw loops, and one line of ratios at the end")
    a = ap.parse_args()
    global MEASURE, CLIENT_CPU, SERVER_CPU
    MEASURE = os.path.join(a.bin, "measure")
    cpus = sorted(os.sched_getaffinity(0))
    if a.pin is None:
        a.pin = len(cpus) >= 2 and shutil.which("taskset") is not None
    if a.pin:
        CLIENT_CPU, SERVER_CPU = cpus[-1], cpus[0]
    rounds = 1 if a.quick else a.rounds
    ng = Nginx()
    tmp = tempfile.mkdtemp(prefix="ahttp-bench-run-")
    line = []
    try:
        print(f"# ahttp bench: {os.cpu_count()} cores, nginx on 127.0.0.1:{ng.port}, "
              f"{rounds} round(s){' (quick)' if a.quick else ''}")
        print(f"# CPU: {cpu_model()}; " +
              (f"pinned: clients on CPU {CLIENT_CPU}, nginx on CPU {SERVER_CPU}" if a.pin
               else "not pinned"))
        print(f"# {os.uname().sysname} {os.uname().release}, libcurl {libcurl_version(a.bin)}, "
              f"{time.strftime('%Y-%m-%d')}")
        print(f"# {fault_cost(a.bin)}\n")
        for w in a.only.split(","):
            fname, n, c, desc = WORKLOADS[w]
            if a.quick:
                n = max(n // 20, c * 4)
            url = ng.url(fname, tls=(w == "W5"))
            cs = clients(a.bin, w, url, n, c, ng.ca)
            if a.ratios:
                cs = [x for x in cs if x[0].startswith("ahttp") or x[0].startswith("raw")]
            res = {name: [] for name, _, _, _ in cs}
            for r in range(rounds):
                order = cs[r % len(cs):] + cs[:r % len(cs)]
                for name, argv, kind, env in order:
                    res[name].append(one(name, argv, kind, url, n, c, SIZES[fname], tmp, env))
            r = table(w, desc if not a.quick else f"{desc} (quick: N={n})", cs, res, rounds)
            line.append(f"{w} {r.get('ahttp on_done window', '-')}")
            if w == "W2" and "ahttp window, glibc heap not trimmed" in r:
                line.append(f"W2 heap not trimmed {r['ahttp window, glibc heap not trimmed']}")
            for g, say in (("ahttp gather", "W1 gather/window"),
                           ("ahttp gather, glibc heap in huge pages", "huge pages")):
                if w == "W1" and g in r:
                    gw = [x["rps"] / y["rps"] for x, y in zip(res[g], res["ahttp on_done window"])
                          if "error" not in x and "error" not in y]
                    if gw:
                        line.append(f"{say} {statistics.median(gw):.2f}x")
            if w == "W4":
                memory(a.bin, url, n)
                scaling(a.bin, url, rounds, small=1000 if not a.quick else 100,
                        large=n)
        if a.ratios:
            print(f"ahttp window / faster raw loop, paired over {rounds} rounds"
                  f"{', pinned' if a.pin else ''} ({cpu_model()}): " + ", ".join(line))
    finally:
        ng.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def fault_cost(bindir):
    """What a page fault costs here (bench/pagefault): the price of each
    page of fresh memory a client touches, in the tables' faults column."""
    try:
        p = subprocess.run(pinned([os.path.join(bindir, "pagefault"), "16"]),
                           capture_output=True, text=True, timeout=120)
        us = [float(l.split("us per")[0].split()[-1]) for l in p.stdout.splitlines()
              if "us per" in l]
        return (f"a page fault here: {us[0]:.1f} us per 4 KiB page of fresh memory, "
                f"{us[2]:.1f} us in huge pages (bench/pagefault)")
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return "a page fault here: not measured (bench/pagefault failed)"


def libcurl_version(bindir):
    """The libcurl the clients run on (the same library search as theirs)."""
    try:
        import ctypes
        lib = ctypes.CDLL("libcurl.so.4")
        lib.curl_version.restype = ctypes.c_char_p
        return lib.curl_version().decode().split()[0].replace("libcurl/", "")
    except (OSError, AttributeError):
        return "?"


def memory(bindir, url, n):
    """What one future costs, counted by the allocator (bench/mem.c)."""
    p = subprocess.run([os.path.join(bindir, "mem"), url, str(n)],
                       capture_output=True, text=True, timeout=600)
    try:
        queued, done, body, heap = p.stdout.split()
    except ValueError:
        print(f"memory per future: mem failed ({p.returncode})\n")
        return
    print(f"Memory per future (allocator's count, gather of {n:,}): queued "
          f"{queued} B (request, future and URL), completed {int(done) - int(body)} B "
          f"beyond its {body} B body (future and compact response), heap "
          f"{heap} MiB.\n")


def scaling(bindir, url, rounds, small, large):
    """Time per request of one gather of `small` futures against one of
    `large`, run alternately: the cost per future must not grow with n."""
    per = {small: [], large: []}
    for _ in range(rounds):
        for n in (small, large):
            out, wall, cpu, rss, rc, _ = run([os.path.join(bindir, "bench_ahttp"),
                                           "gather", url, str(n), "100"])
            try:
                elapsed = float(out.split()[0])
            except (ValueError, IndexError):
                print(f"scaling: bench_ahttp failed for n={n}\n")
                return
            per[n].append(elapsed / n * 1e6)
    a, b = statistics.median(per[small]), statistics.median(per[large])
    print(f"Scaling (one gather, 16 B responses, median of {rounds}): "
          f"{small:,} futures {a:.2f} us/request, {large:,} futures "
          f"{b:.2f} us/request: {b / a:.2f}x.\n")


def table(w, desc, cs, res, rounds):
    ref = res.get("raw multi_socket")
    # The faster of the two raw loops in each round: the target's yardstick.
    poll = res.get("raw multi_poll")
    best = None
    if ref and poll:
        best = [max((x for x in (a, b) if "error" not in x),
                    key=lambda x: x["rps"], default={"error": "both failed"})
                for a, b in zip(ref, poll)]
    out = {}
    print(f"## {w}: {desc}\n")
    print("| client | req/s | CPU s | peak RSS MiB | page faults / req | vs raw multi_socket | vs faster raw loop |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, _, _, _ in cs:
        rs = res[name]
        errs = [x["error"] for x in rs if "error" in x]
        good = [x for x in rs if "error" not in x]
        if not good:
            print(f"| {name} | failed: {errs[0]} | | | | | |")
            continue
        rps = statistics.median(x["rps"] for x in good)
        cpu = statistics.median(x["cpu"] for x in good)
        rss = statistics.median(x["rss"] for x in good)
        faults = [x["faults"] for x in good if "faults" in x]
        faults = f"{statistics.median(faults):.2f}" if faults else "-"
        ratios = [x["rps"] / y["rps"] for x, y in zip(rs, ref or [])
                  if "error" not in x and "error" not in y]
        ratio = f"{statistics.median(ratios):.2f}x" if ratios else "-"
        vs_best = [x["rps"] / y["rps"] for x, y in zip(rs, best or [])
                   if "error" not in x and "error" not in y]
        ratio_best = f"{statistics.median(vs_best):.2f}x" if vs_best else "-"
        note = f" ({len(errs)} failed runs)" if errs else ""
        print(f"| {name}{note} | {rps:,.0f} | {cpu:.2f} | {rss:.1f} | {faults} | {ratio} | {ratio_best} |")
        out[name] = ratio_best
    print()
    sys.stdout.flush()
    return out


if __name__ == "__main__":
    main()
