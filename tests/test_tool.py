#!/usr/bin/env python3
"""test_tool.py - the ahttp command-line tool (src/), driven as a user
would drive it: the real binary, its arguments, standard input and output
on pipes, and a pseudo-terminal for the progress bar. Every request goes
to tests/server.py, started here on 127.0.0.1 and stopped by its pid.

    python3 tests/test_tool.py build/ahttp
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

TOOL = None
BASE = None
SERVER = None


def setUpModule():
    global BASE, SERVER
    SERVER = subprocess.Popen([sys.executable, "tests/server.py"], stdout=subprocess.PIPE)
    line = SERVER.stdout.readline().decode()
    if not line.startswith("READY "):
        raise RuntimeError("the test server did not start")
    BASE = "http://127.0.0.1:%d" % int(line.split()[1])


def tearDownModule():
    os.kill(SERVER.pid, signal.SIGTERM)
    SERVER.wait(10)
    SERVER.stdout.close()


def url(path):
    return BASE + path


def run(args, stdin=None, timeout=60, env=None):
    """Run the tool with pipes; returns (exit status, stdout bytes, stderr text).
    env: variables added to the environment."""
    full = None
    if env is not None:
        full = dict(os.environ)
        full.update(env)
    p = subprocess.run([TOOL] + args, input=stdin, capture_output=True, timeout=timeout,
                       env=full)
    return p.returncode, p.stdout, p.stderr.decode()


class OneUrl(unittest.TestCase):
    def test_body_to_stdout_and_nothing_else(self):
        rc, out, err = run([url("/size/100000")])
        self.assertEqual(rc, 0)
        self.assertEqual(out, b"x" * 100000)
        self.assertEqual(err, "")  # no summary, no bar for one URL on pipes

    def test_include_prints_status_line_and_headers(self):
        rc, out, _ = run(["-i", url("/size/5")])
        self.assertEqual(rc, 0)
        head, _, body = out.partition(b"\n\n")
        self.assertEqual(head.split(b"\n")[0], b"HTTP/1.1 200 OK")
        self.assertIn(b"Content-Length: 5", head)
        self.assertEqual(body, b"xxxxx")

    def test_reason_phrase_and_trailers(self):
        # The reason phrase as the server sent it (curl prints it too).
        rc, out, _ = run(["-I", url("/reason/404?Nicht%20gefunden")])
        self.assertEqual((rc, out.split(b"\n")[0]), (0, b"HTTP/1.1 404 Nicht gefunden"))
        rc, out, _ = run(["-I", url("/reason/200")])  # none sent: none printed
        self.assertEqual((rc, out.split(b"\n")[0]), (0, b"HTTP/1.1 200"))
        # -i: the trailers after the body, as curl -i prints them.
        rc, out, _ = run(["-i", url("/trailers?X-Checksum:%20abc|grpc-status:0")])
        self.assertEqual(rc, 0)
        head, _, rest = out.partition(b"\n\n")
        self.assertEqual(head.count(b"HTTP/1.1 200 OK"), 1)
        self.assertEqual(rest, b"helloX-Checksum: abc\ngrpc-status: 0\n")
        rc, out, _ = run([url("/trailers?X-Checksum:%20abc")])  # without -i: the body
        self.assertEqual((rc, out), (0, b"hello"))
        # A malformed trailer fails the request (AH_EPROTO; the exit
        # status is libcurl's own code, which differs between releases).
        for bad in ("no%20colon", "%20folded:x"):
            rc, _, err = run([url("/trailers?" + bad)])
            self.assertNotEqual(rc, 0)
            self.assertIn("HTTP protocol error", err)

    def test_raw_and_compressed(self):
        import gzip
        rc, out, _ = run(["--raw", url("/gzip/5000")])
        self.assertEqual(rc, 0)
        self.assertEqual(out[:2], b"\x1f\x8b")
        self.assertEqual(gzip.decompress(out), b"z" * 5000)
        for args in ([], ["--compressed"], ["--raw", "--compressed"]):
            rc, out, _ = run(args + [url("/gzip/5000")])
            self.assertEqual((rc, out), (0, b"z" * 5000), args)
        # -w %{size_download} counts what was received as sent.
        rc, out, _ = run(["--raw", "-o", "/dev/null", "-w", "%{size_download}", url("/gzip/5000")])
        self.assertEqual(rc, 0)
        self.assertLess(int(out), 5000)

    def test_method_headers_and_body(self):
        rc, out, _ = run(["-X", "PUT", "-H", "X-Test: yes", "-d", "payload", url("/echo")])
        self.assertEqual(rc, 0)
        self.assertIn(b"method PUT\n", out)
        self.assertIn(b"header X-Test: yes\n", out)
        self.assertTrue(out.endswith(b"\npayload"))

    def test_data_from_file_means_post(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"from a file")
            f.flush()
            rc, out, _ = run(["-d", "@" + f.name, url("/echo")])
        self.assertEqual(rc, 0)
        self.assertIn(b"method POST\n", out)
        self.assertIn(b"header Content-Length: 11\n", out)
        self.assertTrue(out.endswith(b"\nfrom a file"))

    def test_output_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "body")
            rc, out, _ = run(["-o", path, url("/size/300")])
            self.assertEqual(rc, 0)
            self.assertEqual(out, b"")
            with open(path, "rb") as f:
                self.assertEqual(f.read(), b"x" * 300)

    def test_output_file_never_removed(self):
        # A transfer cut after its first body bytes: -o keeps what came, as
        # curl does, whether the file existed, is a link or is new; the
        # tool never removes what it did not create (it removed /dev/null).
        with tempfile.TemporaryDirectory() as d:
            old = os.path.join(d, "old")
            with open(old, "wb") as f:
                f.write(b"precious")
            target = os.path.join(d, "target")
            link = os.path.join(d, "link")
            os.symlink(target, link)
            new = os.path.join(d, "new")
            for path in (old, link, new):
                rc, _, err = run(["-o", path, url("/reset-body")])
                self.assertEqual(rc, 56, err)  # curl's "failure receiving"
                self.assertTrue(os.path.exists(path), path)
                with open(path, "rb") as f:
                    self.assertTrue(f.read().startswith(b"r" * 100), path)
            self.assertTrue(os.path.islink(link))
            self.assertTrue(os.path.isfile(target))
        # /dev/stdout is standard output, as in curl.
        rc, out, _ = run(["-o", "/dev/stdout", url("/size/5")])
        self.assertEqual((rc, out), (0, b"xxxxx"))

    def test_output_dir_removes_only_its_own(self):
        with tempfile.TemporaryDirectory() as d:
            out_dir = os.path.join(d, "out")
            name = "0-127.0.0.1_%s_reset-body" % BASE.rsplit(":", 1)[1]
            rc, _, _ = run(["--output-dir", out_dir, url("/reset-body")])
            self.assertEqual(rc, 56)
            self.assertEqual(os.listdir(out_dir), [])  # made here, cut: removed
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(b"earlier")
            rc, _, _ = run(["--output-dir", out_dir, url("/reset-body")])
            self.assertEqual(rc, 56)
            self.assertEqual(os.listdir(out_dir), [name])  # there before: kept

    def test_failure_exit_status_and_message(self):
        rc, out, err = run(["http://127.0.0.1:1/"])
        self.assertEqual(rc, 7)  # one URL: curl's "failed to connect"
        self.assertEqual(out, b"")
        self.assertIn("connection refused", err)
        self.assertIn("1 of 1 requests failed", err)

    def test_timeout(self):
        start = time.monotonic()
        rc, _, err = run(["-m", "0.3", url("/delay/3000")])
        self.assertEqual(rc, 28)
        self.assertIn("timed out", err)
        self.assertLess(time.monotonic() - start, 2.5)

    def test_http_status_is_a_response_unless_fail(self):
        rc, out, _ = run([url("/status/404")])
        self.assertEqual((rc, out), (0, b"status 404"))
        rc, out, err = run(["-f", url("/status/404")])
        self.assertEqual(rc, 22)
        self.assertIn("HTTP status 404", err)
        # As curl: no byte of an HTTP error's body is written, and -o
        # makes no file (it held "status 404").
        self.assertEqual(out, b"")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "out")
            rc, _, _ = run(["-f", "-o", path, url("/status/404")])
            self.assertEqual(rc, 22)
            self.assertFalse(os.path.exists(path))
            rc, _, _ = run(["-f", "--output-dir", d, url("/status/500"), url("/size/3")])
            self.assertEqual(rc, 1)
            self.assertEqual([open(os.path.join(d, n), "rb").read() for n in os.listdir(d)], [b"xxx"])

    def test_redirects(self):
        rc, out, _ = run([url("/redirect/2")])
        self.assertEqual((rc, out), (0, b"arrived"))
        rc, _, err = run(["--max-redirs", "1", url("/redirect/2")])
        self.assertEqual(rc, 47)
        self.assertIn("redirect", err)

    def test_closed_stdout_is_a_write_error(self):
        # `ahttp URL | head -c 10`: the pipe closes under a 4 MiB body.
        p = subprocess.Popen([TOOL, url("/size/4194304")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdout.read(10)
        p.stdout.close()
        err = p.stderr.read().decode()
        p.stderr.close()
        self.assertEqual(p.wait(30), 23)
        self.assertIn("cannot write standard output", err)

    def test_retry_rate_connect_to_digest(self):
        rc, out, _ = run(["--retry", "3", "--jsonl", url("/flaky/tool1/2/503")])
        r = json.loads(out.decode())
        self.assertEqual((rc, r["status"], r["attempts"]), (0, 200, 3))
        rc, out, _ = run(["--connect-to", "example.test::127.0.0.1",
                          "http://example.test:%s/size/4" % BASE.rsplit(":", 1)[1]])
        self.assertEqual((rc, out), (0, b"xxxx"))
        rc, out, _ = run(["--digest", "-u", "ann:pw", url("/digest/ann/pw")])
        self.assertEqual((rc, out), (0, b"digest ok ann"))
        # 30 requests at 10 per second per host, bursts of 10: about 2 s.
        start = time.monotonic()
        rc, _, err = run(["--rate", "10", "-j", "30"] + [url("/size/%d" % i) for i in range(30)])
        took = time.monotonic() - start
        self.assertEqual(rc, 0)
        self.assertGreaterEqual(took, 1.8)
        self.assertLess(took, 6)

    def test_connect_to_as_curl(self):
        port = BASE.rsplit(":", 1)[1]
        # curl's HOST:PORT:TO_HOST:TO_PORT: every host to the test server.
        rc, out, _ = run(["--connect-to", "::127.0.0.1:" + port, "http://any.test/echo"])
        self.assertEqual(rc, 0)
        self.assertIn(b"header Host: any.test\n", out)
        # Only the port changed, the host looked up as usual.
        rc, out, _ = run(["--connect-to", "localhost:1::" + port, "http://localhost:1/size/4"])
        self.assertEqual((rc, out), (0, b"xxxx"))
        # A rule for one host before one for any: the first that matches.
        rc, out, _ = run(["--connect-to", "a.test::127.0.0.1:" + port, "--connect-to", "::127.0.0.1:1",
                          "http://a.test/size/2", "http://b.test/size/2", "--jsonl"])
        lines = [json.loads(l) for l in out.decode().splitlines()]
        self.assertEqual(sorted((l["url"], l["status"], l["error"]) for l in lines),
                         [("http://a.test/size/2", 200, None),
                          ("http://b.test/size/2", None, "AH_ECONNECT")])
        for bad in ("a:b:c:d:e", "::", ":::", "h:x:127.0.0.1:1", "h:1:[::1:2", "h:1:127.0.0.1:70000"):
            rc, _, err = run(["--connect-to", bad, url("/")], stdin=b"")
            self.assertEqual(rc, 2, bad)
            self.assertIn("--connect-to wants", err)

    def test_proxy_user(self):
        # The test server stands in for the proxy: it sees the credentials.
        rc, out, _ = run(["-x", BASE, "-U", "u1:secret:x", "http://example.test/echo"])
        self.assertEqual(rc, 0)
        self.assertIn(b"\nproxied\n", out)
        self.assertIn(b"header Proxy-Authorization: Basic dTE6c2VjcmV0Ong=\n", out)
        # A host not proxied gets none.
        rc, out, _ = run(["-x", "http://127.0.0.1:1", "--proxy-user", "u1:secret",
                          "--noproxy", "127.0.0.1", url("/echo")])
        self.assertEqual(rc, 0)
        self.assertNotIn(b"Proxy-Authorization", out)
        self.assertNotIn(b"proxied", out)

    def test_usage_errors_are_one_line_and_a_hint(self):
        for args, what in ((["--no-such-option", url("/")], "option --no-such-option: is unknown"),
                           (["--no-such=1", url("/")], "option --no-such: is unknown"),
                           (["-Z", url("/")], "option -Z: is unknown"),
                           (["-j"], "option -j: requires an argument"),
                           (["--jobs"], "option --jobs: requires an argument"),
                           (["--json"], "option --json: requires an argument")):
            rc, out, err = run(args, stdin=b"")
            self.assertEqual((rc, out), (2, b""), args)
            self.assertEqual(err.splitlines(), ["ahttp: " + what,
                                                "ahttp: try 'ahttp --help' for more information"],
                             args)
        rc, _, err = run([], stdin=b"")
        self.assertEqual(rc, 2)
        self.assertEqual(err.splitlines()[0], "ahttp: no URL given")
        self.assertNotIn("--jobs", err)  # not the whole help

    def test_usage_errors(self):
        for args in (["-j", "0", url("/")], ["-o", "x", url("/a"), url("/b")],
                     ["--no-such-option", url("/")], ["--retry", "x", url("/")],
                     ["--rate", "0", url("/")], ["--connect-to", "nohost", url("/")], []):
            rc, _, err = run(args, stdin=b"")
            self.assertEqual(rc, 2, args)
            self.assertTrue(err, args)

    def test_help_and_version(self):
        rc, out, _ = run(["--help"])
        self.assertEqual(rc, 0)
        # Every long option the tool accepts is in the help.
        with open(os.path.join(os.path.dirname(__file__), "..", "src", "tool_args.c")) as f:
            names = re.findall(r'\{"([a-z0-9.-]+)", (?:no|required)_argument', f.read())
        self.assertGreater(len(names), 40)
        for name in names:
            self.assertIn(("--" + name).encode(), out, name)
        for group in (b"Request:", b"Output:", b"Connection and TLS:", b"Many requests:"):
            self.assertIn(group, out)
        rc, out, _ = run(["--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out.decode(), r"^ahttp \d+\.\d+\.\d+")


class CurlOptions(unittest.TestCase):
    """The options and behaviours curl users expect (issue 18, part 6)."""

    def test_json_sends_a_json_body(self):
        rc, out, _ = run(["--json", '{"a":1}', url("/echo")])
        self.assertEqual(rc, 0)
        self.assertIn(b"method POST\n", out)
        self.assertIn(b"header Content-Type: application/json\n", out)
        self.assertIn(b"header Accept: application/json\n", out)
        self.assertTrue(out.endswith(b'\n{"a":1}'))
        # Repeated: concatenated as they are; from a file and from stdin.
        rc, out, _ = run(["--json", "[1,", "--json", "2]", url("/echo")])
        self.assertTrue(out.endswith(b"\n[1,2]"))
        with tempfile.NamedTemporaryFile() as f:
            f.write(b'{"from": "file"}\n')
            f.flush()
            rc, out, _ = run(["--json", "@" + f.name, url("/echo")])
        self.assertEqual(rc, 0)
        self.assertTrue(out.endswith(b'\n{"from": "file"}\n'))
        rc, out, _ = run(["--json", "@-", url("/echo")], stdin=b'{"from":"stdin"}')
        self.assertTrue(out.endswith(b'\n{"from":"stdin"}'))
        # -H names win; -X sets the method.
        rc, out, _ = run(["--json", "{}", "-H", "Accept: text/plain", "-X", "PUT", url("/echo")])
        self.assertIn(b"method PUT\n", out)
        self.assertIn(b"header Accept: text/plain\n", out)
        self.assertNotIn(b"Accept: application/json", out)
        # A file that cannot be read: curl's read error.
        rc, _, err = run(["--json", "@/nonexistent/x.json", url("/echo")])
        self.assertEqual(rc, 26)
        self.assertIn("cannot read the body from /nonexistent/x.json", err)

    def test_json_lines_moved_to_jsonl(self):
        rc, out, _ = run(["--jsonl", url("/size/3")])
        r = json.loads(out.decode())
        self.assertEqual((rc, r["status"], r["bytes"]), (0, 200, 3))
        # --json is no output mode: it takes the next word as its data.
        rc, out, _ = run(["--json", url("/size/3"), url("/echo")])
        self.assertEqual(rc, 0)
        self.assertTrue(out.endswith(b"\n" + url("/size/3").encode()))

    def test_data_joined_with_ampersand_raw_and_binary(self):
        rc, out, _ = run(["-d", "a=1", "--data-binary", "b=2", "--data-raw", "@c", url("/echo")])
        self.assertEqual(rc, 0)
        self.assertTrue(out.endswith(b"\na=1&b=2&@c"))

    def test_url_without_scheme_is_http(self):
        bare = BASE[len("http://"):]
        rc, out, _ = run([bare + "/size/4"])
        self.assertEqual((rc, out), (0, b"xxxx"))
        rc, out, _ = run(["--jsonl", bare + "/size/2", bare + "/size/1"])
        urls = sorted(json.loads(line)["url"] for line in out.decode().splitlines())
        self.assertEqual(urls, [url("/size/1"), url("/size/2")])
        # "://" after the host (in a query) is no scheme.
        rc, out, err = run([bare + "/echo?next=http://x/"])
        self.assertEqual(rc, 0, err)
        self.assertIn(b"target /echo?next=http://x/\n", out)

    def test_location_is_accepted(self):
        for flag in ("-L", "--location"):
            rc, out, _ = run([flag, url("/redirect/2")])
            self.assertEqual((rc, out), (0, b"arrived"))

    def test_silent_and_show_error(self):
        rc, out, err = run(["-s", "http://127.0.0.1:1/"])
        self.assertEqual((rc, out, err), (7, b"", ""))
        rc, _, err = run(["-s", "-S", "http://127.0.0.1:1/"])
        self.assertEqual(rc, 7)
        self.assertIn("connection refused", err)
        # Several URLs: no summary either.
        rc, _, err = run(["-s", url("/size/1"), url("/size/2")])
        self.assertEqual((rc, err), (0, ""))
        rc, out, err = run(["--silent", url("/size/3")])
        self.assertEqual((rc, out, err), (0, b"xxx", ""))

    def test_head(self):
        rc, out, _ = run(["-I", url("/size/5")])
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith(b"HTTP/1.1 200 OK\n"))
        self.assertIn(b"Content-Length: 5\n", out)
        self.assertTrue(out.endswith(b"\n\n"))  # the headers, no body
        self.assertNotIn(b"xxxxx", out)
        rc, out, err = run(["-v", "--head", url("/size/1")])
        self.assertIn("> HEAD /size/1\n", err)
        rc, _, err = run(["-I", "-d", "x", url("/echo")])
        self.assertEqual(rc, 2)
        self.assertIn("only one of", err)

    def test_write_out(self):
        fmt = ("code=%{http_code} size=%{size_download} eff=%{url_effective} url=%{url} "
               "redirects=%{num_redirects} exit=%{exitcode} v=%{http_version} "
               "ct=%{content_type} h=%header{content-length} port=%{remote_port} 100%%\t|\n")
        rc, out, _ = run(["-o", "/dev/null", "-w", fmt, url("/redirect/2")])
        self.assertEqual(rc, 0)
        self.assertEqual(out.decode(),
                         "code=200 size=7 eff=%s url=%s redirects=2 exit=0 v=1.1 ct= h=7 "
                         "port=%s 100%%\t|\n" % (url("/redirect/0"), url("/redirect/2"),
                                                 BASE.rsplit(":", 1)[1]))
        rc, out, _ = run(["-w", "%{time_namelookup} %{time_connect} %{time_starttransfer} "
                                "%{time_total}", "-o", "/dev/null", url("/delay/100")])
        t = [float(x) for x in out.split()]
        self.assertEqual(t, sorted(t))
        self.assertGreaterEqual(t[3], 0.1)
        rc, out, _ = run(["-s", "-w", "%{http_code} %{exitcode} %{errorcode}", "http://127.0.0.1:1/"])
        self.assertEqual((rc, out), (7, b"000 7 AH_ECONNECT"))
        rc, out, _ = run(["-w", "%{json}", "-o", "/dev/null", url("/size/3")])
        self.assertEqual((json.loads(out.decode())["bytes"]), 3)
        rc, out, err = run(["-w", "%{stderr}to err%{stdout}|%{nonesuch}|", url("/size/1")])
        self.assertEqual((out, err), (b"x||", "to errahttp: unknown --write-out variable: 'nonesuch'\n"))
        with tempfile.NamedTemporaryFile("w") as f:
            f.write("%{response_code}\n")
            f.flush()
            rc, out, _ = run(["-w", "@" + f.name, "-o", "/dev/null", url("/status/404")])
        self.assertEqual(out, b"404\n")
        # Once per request, several URLs too.
        rc, out, _ = run(["-w", "%{http_code}\n", url("/size/1"), url("/status/503")])
        self.assertEqual(sorted(out.split()), [b"200", b"503"])

    def test_exit_codes_of_one_url(self):
        cases = [
            (["http://name.invalid/"], 6),
            (["http://127.0.0.1:1/"], 7),
            (["-m", "0.3", url("/delay/3000")], 28),
            ([url("/loop")], 47),
            ([url("/redirect-file")], 1),
            (["-f", url("/status/500")], 22),
            ([url("/empty")], 52),
            ([url("/short")], 18),
            ([url("/reset-body")], 56),
            ([url("/bad-chunk")], 56),
            ([url("/cut-headers")], 8),
            ([url("/garbage")], 1),
            (["ftp://example.test/"], 1),
            (["http://bad host/"], 3),
            (["-o", "/nonexistent-dir/x", url("/size/3")], 23),
            (["-d", "@/nonexistent-file", url("/echo")], 26),
            (["-F", "f=@/nonexistent-file", url("/form")], 26),
            (["--no-such-option", url("/")], 2),
            ([url("/status/500")], 0),
            ([url("/size/1")], 0),
        ]
        for args, code in cases:
            rc, _, err = run(args, stdin=b"")
            self.assertEqual(rc, code, (args, err))

    def test_exit_code_rule_of_several_urls_is_kept(self):
        rc, _, err = run(["http://127.0.0.1:1/", url("/size/1")])
        self.assertEqual(rc, 1)
        self.assertIn("1 of 2 requests failed", err)
        rc, _, _ = run(["-f", url("/status/404"), url("/size/1")])
        self.assertEqual(rc, 1)

    def test_verbose_prints_the_journey(self):
        rc, out, err = run(["-v", "-H", "X-Test: yes", url("/redirect/1")])
        self.assertEqual((rc, out), (0, b"arrived"))
        lines = err.splitlines()
        port = BASE.rsplit(":", 1)[1]
        want = ["* Request GET %s (attempt 1)" % url("/redirect/1"),
                "* Connected to 127.0.0.1 port %s" % port,
                "> GET /redirect/1",
                "> User-Agent: ahttp/",
                "> X-Test: yes",
                ">",
                "< 302 redirect",
                "* Issue another request to this URL: '%s'" % url("/redirect/0"),
                "> GET /redirect/0",
                "< HTTP/1.1 200 OK",
                "< Content-Length: 7",
                "<",
                "* Done: status 200"]
        at = 0
        for w in want:  # in this order, others between them allowed
            while at < len(lines) and not lines[at].startswith(w):
                at += 1
            self.assertLess(at, len(lines), "missing %r in:\n%s" % (w, err))
        self.assertTrue(any(l.startswith("* Re-using existing connection") for l in lines), err)
        # A failure and a POST that a 302 turns into a GET.
        rc, _, err = run(["-v", "http://127.0.0.1:1/"])
        self.assertEqual(rc, 7)
        self.assertIn("* Failed: AH_ECONNECT\n", err)
        rc, _, err = run(["-v", "-d", "x", url("/redirect/1")])
        self.assertIn("> POST /redirect/1\n", err)
        self.assertIn("} [1 bytes of body]\n", err)
        self.assertIn("> GET /redirect/0\n", err)
        # A hop off the origin (localhost is another host) carries no
        # secret, and -v shows none (it showed the Cookie the library
        # had dropped); the first hop shows both.
        other = "http://localhost:%s/echo" % port
        rc, out, err = run(["-v", "-b", "sid=secret", "-H", "Authorization: Bearer t",
                            url("/redirect-to?" + other)])
        self.assertEqual(rc, 0, err)
        self.assertNotIn(b"secret", out)
        first, _, rest = err.partition("* Issue another request")
        self.assertIn("> Cookie: sid=secret\n", first)
        self.assertIn("> Authorization: Bearer t\n", first)
        self.assertIn("> GET /echo\n", rest)
        self.assertNotIn("Cookie", rest)
        self.assertNotIn("Authorization", rest)

    def test_form(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "data.bin")
            with open(path, "wb") as f:
                f.write(b"\x00\x01" * 50)
            text = os.path.join(d, "text.txt")
            with open(text, "w") as f:
                f.write("from a file")
            rc, out, _ = run(["-F", "name=ann", "-F", "up=@" + path,
                              "-F", "typed=@%s;type=application/x-test;filename=other.bin" % path,
                              "-F", "t=<" + text, url("/form")])
        self.assertEqual(rc, 0)
        self.assertEqual(out.decode().splitlines(),
                         ["field name=ann", "file up data.bin application/octet-stream 100",
                          "file typed other.bin application/x-test 100", "field t=from a file"])
        rc, _, err = run(["-F", "novalue", url("/form")])
        self.assertEqual(rc, 2)

    def test_form_from_memory(self):
        # NAME=<FILE: the file's bytes (NULs too) as a part from memory,
        # with a type and a file name; a name with a quote goes as %22.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bytes")
            with open(path, "wb") as f:
                f.write(b"\x00\x01\x00" * 33 + b"\xff")
            rc, out, err = run(["-F", "bin=<%s;type=application/x-b;filename=b.bin" % path,
                                "-F", "n=<" + path, url("/form")])
            self.assertEqual(rc, 0, err)
            self.assertEqual(out.decode().splitlines()[0], "file bin b.bin application/x-b 100")
            rc, out, err = run(["-F", "bin=<%s;filename=b.bin" % path, url("/echo")])
            self.assertIn(b"\x00\x01\x00" * 33 + b"\xff", out)
        rc, out, err = run(["-F", 'a"b=1', url("/echo")])
        self.assertEqual(rc, 0, err)
        self.assertIn(b'Content-Disposition: form-data; name="a%22b"\r\n', out)

    def test_data_urlencode(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "text")
            with open(path, "w") as f:
                f.write("from file")
            rc, out, err = run(["--data-urlencode", "q=a b&c=d", "--data-urlencode", "flag",
                                "--data-urlencode", "=x y", "--data-urlencode", "f@" + path,
                                "-v", url("/echo")])
        self.assertEqual(rc, 0, err)
        self.assertIn(b"method POST\n", out)
        self.assertIn(b"header Content-Type: application/x-www-form-urlencoded\n", out)
        self.assertTrue(out.endswith(b"\nq=a+b%26c%3Dd&flag&x+y&f=from+file"), out)
        self.assertIn("> Content-Type: application/x-www-form-urlencoded\n", err)
        self.assertIn("} [form, 4 pairs]\n", err)
        # The pairs are the whole body: not with -d.
        rc, _, err = run(["-d", "a=1", "--data-urlencode", "b=2", url("/echo")])
        self.assertEqual(rc, 2, err)
        rc, _, err = run(["--data-urlencode", "b=2", "-d", "a=1", url("/echo")])
        self.assertEqual(rc, 2, err)
        # -d is a raw body, not labelled a form.
        rc, out, _ = run(["-d", "a=1", url("/echo")])
        self.assertNotIn(b"urlencoded", out)

    def test_cookies(self):
        rc, out, _ = run(["-b", "a=1", "-b", "b=2", url("/echo")])
        self.assertIn(b"header Cookie: a=1; b=2\n", out)
        rc, out, _ = run(["-b", "a=1;b=2 ;  c=", url("/echo")])
        self.assertIn(b"header Cookie: a=1; b=2; c=\n", out)
        rc, out, _ = run(["-b", "a=x y", url("/echo")])  # a space: refused, not sent
        self.assertEqual((rc, out), (2, b""))
        with tempfile.TemporaryDirectory() as d:
            jar = os.path.join(d, "jar")
            rc, _, _ = run(["-c", jar, url("/set-cookie/flavour/oat")])
            self.assertEqual(rc, 0)
            with open(jar) as f:
                self.assertRegex(f.read(), r"127\.0\.0\.1\t.*\tflavour\toat")
            rc, out, _ = run(["-b", jar, url("/echo")])  # no '=': a file
            self.assertIn(b"header Cookie: flavour=oat\n", out)
            # A file and pairs: one Cookie header with both, the pairs
            # not written to the jar.
            rc, out, _ = run(["-b", jar, "-b", "sid=1", "-c", jar, url("/echo")])
            self.assertEqual(out.count(b"header Cookie:"), 1)
            self.assertIn(b"flavour=oat", out)
            self.assertIn(b"sid=1", out)
            with open(jar) as f:
                self.assertNotIn("sid", f.read())
            # A file that is not there is skipped, as curl does.
            rc, out, _ = run(["-b", os.path.join(d, "none"), url("/echo")])
            self.assertEqual(rc, 0)
            self.assertNotIn(b"Cookie", out)

    def test_proxy_environment(self):
        # The test server serves absolute-form requests itself, saying
        # "proxied": it stands in for the proxy.
        target = "http://example.test/echo"
        rc, out, _ = run([target], env={"http_proxy": BASE})
        self.assertEqual(rc, 0)
        self.assertIn(b"\nproxied\n", out)
        self.assertIn(b"target http://example.test/echo\n", out)
        rc, out, _ = run([target], env={"ALL_PROXY": BASE})
        self.assertIn(b"\nproxied\n", out)
        # HTTP_PROXY in upper case is ignored (as curl: a CGI's Proxy: header).
        rc, _, err = run([target], env={"HTTP_PROXY": BASE})
        self.assertEqual(rc, 6, err)
        # https_proxy is not for http URLs.
        rc, _, _ = run([target], env={"https_proxy": BASE, "HTTPS_PROXY": BASE})
        self.assertEqual(rc, 6)
        # no_proxy, NO_PROXY and --noproxy: names, subdomains, addresses, CIDR, *.
        direct = url("/echo")
        for env, extra in (({"no_proxy": "127.0.0.1"}, []),
                           ({"NO_PROXY": "127.0.0.0/8"}, []),
                           ({"no_proxy": "*"}, []),
                           ({}, ["--noproxy", "localhost, 127.0.0.1"])):
            env = dict(env, http_proxy="http://127.0.0.1:1")
            rc, out, err = run(extra + [direct], env=env)
            self.assertEqual(rc, 0, (env, err))
            self.assertNotIn(b"proxied", out)
        rc, out, _ = run(["http://sub.example.test/echo"],
                         env={"http_proxy": BASE, "no_proxy": "other.test,ample.test"})
        self.assertIn(b"proxied", out)  # "ample.test" is no domain of it
        rc, _, _ = run(["http://sub.example.test/echo"],
                       env={"http_proxy": BASE, "no_proxy": ".example.test"})
        self.assertEqual(rc, 6)  # not proxied: resolved here, and .test does not
        # -x wins over the environment.
        rc, out, _ = run(["-x", BASE, target], env={"http_proxy": "http://127.0.0.1:1"})
        self.assertIn(b"proxied", out)
        # A proxy without a scheme is an http:// one, as in curl (it was
        # refused, and said "out of memory").
        bare = BASE[len("http://"):]
        for args, env in ((["-x", bare, target], {}), ([target], {"http_proxy": bare})):
            rc, out, err = run(args, env=env)
            self.assertEqual(rc, 0, err)
            self.assertIn(b"proxied", out)
        # One the library does not speak is said as such, exit 7 (curl's
        # unsupported proxy scheme).
        rc, _, err = run(["-x", "socks4://127.0.0.1:1", target])
        self.assertEqual(rc, 7, err)
        self.assertIn("proxy is not http://", err)
        self.assertNotIn("out of memory", err)

    def test_load_run(self):
        rc, out, err = run(["-n", "60", "-j", "6", url("/size/10")])
        self.assertEqual(rc, 0)
        s = json.loads(out.decode())
        self.assertEqual((s["url"], s["requests"], s["ok"], s["failed"], s["errors"],
                          s["status"], s["bytes"]),
                         (url("/size/10"), 60, 60, 0, {}, {"200": 60}, 600))
        lat = s["latency_ms"]
        self.assertLessEqual(lat["p50"], lat["p90"])
        self.assertLessEqual(lat["p90"], lat["p99"])
        self.assertLessEqual(lat["p99"], lat["max"])
        self.assertGreater(s["rps"], 0)
        self.assertIn("60 requests in ", err)  # the human lines on stderr
        # Errors by code, statuses by code; a failure makes the exit status 1.
        rc, out, _ = run(["-s", "--requests", "4", "http://127.0.0.1:1/"])
        s = json.loads(out.decode())
        self.assertEqual((rc, s["errors"], s["latency_ms"]), (1, {"AH_ECONNECT": 4}, None))
        rc, out, _ = run(["-s", "-n", "3", url("/status/503")])
        self.assertEqual(json.loads(out.decode())["status"], {"503": 3})
        # For a duration: 2 in flight, 100 ms each, 0.6 s: about 12.
        start = time.monotonic()
        rc, out, err = run(["-s", "--duration", "0.6", "-j", "2", url("/delay/100")])
        took = time.monotonic() - start
        s = json.loads(out.decode())
        self.assertEqual((rc, err), (0, ""))
        self.assertGreaterEqual(s["requests"], 6)
        self.assertLessEqual(s["requests"], 16)
        self.assertGreaterEqual(s["latency_ms"]["p50"], 100)
        self.assertLess(took, 5)
        # -n and --duration together: whichever comes first.
        rc, out, _ = run(["-s", "-n", "3", "--duration", "30", url("/size/1")])
        self.assertEqual(json.loads(out.decode())["requests"], 3)
        # One URL only; no body kept.
        for args in (["-n", "2", url("/a"), url("/b")], ["-n", "2", "-o", "x", url("/a")],
                     ["-n", "0", url("/a")], ["--duration", "0", url("/a")]):
            rc, _, err = run(args)
            self.assertEqual(rc, 2, args)


def url_list(n, bad=()):
    return [url("/size/%d" % (i + 1)) for i in range(n)] + list(bad)


class ManyUrls(unittest.TestCase):
    def test_summary_and_exit_status(self):
        urls = url_list(300, ["http://127.0.0.1:1/", "http://bad url/"])
        with tempfile.NamedTemporaryFile("w") as f:
            f.write("# a comment, then a blank line\n\n" + "\n".join("  %s  " % u for u in urls))
            f.flush()
            rc, out, err = run(["-j", "32", "--input", f.name])
        self.assertEqual(rc, 1)
        self.assertEqual(out, b"")  # several URLs, no directory: bodies counted only
        self.assertIn("302 requests in ", err)
        self.assertIn("300 succeeded, 2 failed", err)
        self.assertIn("%.1f KiB received" % (sum(range(1, 301)) / 1024.0), err)
        self.assertRegex(err, r"latency of 300 responses: p50 [\d.]+ ms, p90 [\d.]+ ms, "
                              r"p99 [\d.]+ ms, max [\d.]+ ms")
        self.assertIn("statuses: 2xx 300", err)
        self.assertIn("AH_ECONNECT 1", err)
        self.assertIn("AH_EINVAL 1", err)
        self.assertIn("2 of 302 requests failed", err)
        self.assertNotIn("\r", err)  # piped: no progress bar
        self.assertNotIn("\033[", err)

    def test_urls_from_stdin(self):
        urls = url_list(50)
        rc, _, err = run(["-j", "4"], stdin="\n".join(urls).encode())
        self.assertEqual(rc, 0)
        self.assertIn("50 requests in ", err)
        self.assertIn("50 succeeded, 0 failed", err)
        rc, _, err = run(["--input", "-", "-q"], stdin="\n".join(urls).encode())
        self.assertEqual((rc, err), (0, ""))

    def test_json_lines(self):
        urls = url_list(40, ["http://127.0.0.1:1/", "ftp://example.test/", url("/status/503"),
                             url("/redirect/1")])
        rc, out, _ = run(["--jsonl", "-j", "8"] + urls)
        self.assertEqual(rc, 1)
        rows = [json.loads(line) for line in out.decode().splitlines()]
        self.assertEqual(sorted(r["index"] for r in rows), list(range(len(urls))))
        by = {r["index"]: r for r in rows}
        for i in range(40):
            r = by[i]
            self.assertEqual((r["url"], r["status"], r["bytes"], r["error"]),
                             (urls[i], 200, i + 1, None))
            t = r["time_ms"]
            self.assertLessEqual(t["connect"], t["first_byte"])
            self.assertLessEqual(t["first_byte"], t["total"])
            self.assertEqual(r["http_version"], "1.1")
        self.assertEqual((by[40]["status"], by[40]["error"]), (None, "AH_ECONNECT"))
        self.assertIn("127.0.0.1", by[40]["message"])
        self.assertEqual(by[41]["error"], "AH_EINVAL")
        self.assertEqual((by[42]["status"], by[42]["error"]), (503, None))
        self.assertEqual((by[43]["redirects"], by[43]["final_url"]), (1, url("/redirect/0")))
        self.assertEqual(by[43]["history"], [{"status": 302, "url": url("/redirect/1")}])
        self.assertEqual(by[0]["history"], [])

    def test_json_lines_always_parse_with_the_same_keys(self):
        # Bytes that are not UTF-8 in a URL (the tool had written them raw:
        # the line did not parse), and the same keys whatever the outcome
        # (null where absent), as ahttp(1) lists them.
        keys = {"index", "url", "status", "http_version", "redirects", "attempts",
                "final_url", "history", "bytes", "seconds", "time_ms", "file",
                "error", "message"}
        odd = os.fsencode(url("/size/3?q=")) + b"\xff\xc3(\xed\xa0\x80"
        args = [b"--jsonl", odd, os.fsencode(url("/size/2?q=\u00fc")),
                b"http://127.0.0.1:1/", b"ftp://x.test/"]
        p = subprocess.run([TOOL] + args, capture_output=True, timeout=60)
        lines = p.stdout.decode("utf-8").splitlines()  # strict: valid UTF-8
        self.assertEqual(len(lines), 4)
        by = {}
        for line in lines:
            r = json.loads(line)
            self.assertEqual(set(r), keys, line)
            by[r["index"]] = r
        self.assertEqual(by[0]["url"], url("/size/3?q=") + "\ufffd\ufffd(\ufffd\ufffd\ufffd")
        self.assertEqual((by[0]["status"], by[0]["bytes"]), (200, 3))
        self.assertEqual(by[1]["url"], url("/size/2?q=\u00fc"))
        for i in (2, 3):
            self.assertIsNone(by[i]["status"])
            self.assertIsNone(by[i]["time_ms"])
            self.assertIsNone(by[i]["history"])
            self.assertIsNotNone(by[i]["error"])

    def test_output_dir(self):
        urls = url_list(12, ["http://127.0.0.1:1/", url("/size/7?x=../../escape"),
                             url("/size/0")])
        with tempfile.TemporaryDirectory() as d:
            out_dir = os.path.join(d, "out")
            rc, out, _ = run(["--output-dir", out_dir, "-j", "5", "--jsonl"] + urls)
            self.assertEqual(rc, 1)
            rows = {r["index"]: r for r in map(json.loads, out.decode().splitlines())}
            names = sorted(os.listdir(out_dir))
            self.assertEqual(len(names), 14)  # the refused URL left no file
            self.assertEqual(os.listdir(d), ["out"])  # nothing escaped
            for i in range(12):
                path = rows[i]["file"]
                self.assertEqual(os.path.dirname(path), out_dir)
                self.assertTrue(os.path.basename(path).startswith("%02d-127.0.0.1_" % i))
                with open(path, "rb") as f:
                    self.assertEqual(f.read(), b"x" * (i + 1))
            self.assertIsNone(rows[12]["file"])
            self.assertEqual(os.path.basename(rows[13]["file"]).find("/"), -1)
            self.assertEqual(os.path.getsize(rows[14]["file"]), 0)

    def test_failed_write_is_a_failure(self):
        with tempfile.TemporaryDirectory() as d:
            # A symbolic link planted under the name the first body gets:
            # never written through.
            target = os.path.join(d, "target")
            os.mkdir(os.path.join(d, "out"))
            os.symlink(target, os.path.join(d, "out", "0-127.0.0.1_%s_size_9"
                                            % BASE.rsplit(":", 1)[1]))
            rc, _, err = run(["--output-dir", os.path.join(d, "out"), url("/size/9"),
                              url("/size/8")])
            self.assertEqual(rc, 1)
            self.assertIn("cannot write", err)
            self.assertFalse(os.path.exists(target))
            self.assertIn("1 of 2 requests failed", err)
            self.assertIn("errors: write 1", err)
            rc, out, _ = run(["--jsonl", "--output-dir", os.path.join(d, "out"),
                              url("/size/9"), url("/size/8")])
            rows = {r["index"]: r for r in map(json.loads, out.decode().splitlines())}
            self.assertEqual((rows[0]["error"], rows[0]["file"]), ("write", None))
            self.assertIn("cannot write the file", rows[0]["message"])
            self.assertIsNone(rows[1]["error"])

    def test_interrupt(self):
        p = subprocess.Popen([TOOL, "-j", "4"] + [url("/delay/5000")] * 8,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=10)
        err = err.decode()
        self.assertEqual(p.returncode, 130)
        self.assertIn("interrupted after 4 of 8 requests", err)
        self.assertIn("AH_ECANCELED 4", err)


class TlsAndHttp2(unittest.TestCase):
    """Against the private nginx of tests/nginx.sh: a throwaway CA, a
    certificate it did not sign, HTTP/2 over TLS and h2c."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.nginx = subprocess.Popen(["sh", "tests/nginx.sh", cls.dir.name],
                                     stdout=subprocess.PIPE)
        line = cls.nginx.stdout.readline().decode().split()
        if not line or line[0] != "READY":
            raise RuntimeError("nginx did not start")
        ports = [int(p) for p in line[1:]]
        cls.tls, cls.expired, cls.wrong, cls.untrusted = ports[0:4]
        cls.mtls, cls.h2c, cls.plain = ports[4:7]
        cls.ca = os.path.join(cls.dir.name, "ca.pem")
        for _ in range(100):  # until nginx listens
            if run(["--cacert", cls.ca, "https://127.0.0.1:%d/1k" % cls.tls])[0] == 0:
                break
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        os.kill(cls.nginx.pid, signal.SIGTERM)
        cls.nginx.wait(10)
        cls.nginx.stdout.close()
        cls.dir.cleanup()

    def json_of(self, args):
        rc, out, err = run(["--jsonl"] + args)
        return rc, json.loads(out.decode()), err

    def test_verified_by_default_http2_when_offered(self):
        rc, r, _ = self.json_of(["--cacert", self.ca, "https://127.0.0.1:%d/1k" % self.tls])
        self.assertEqual((rc, r["status"], r["bytes"], r["http_version"]), (0, 200, 1024, "2"))
        rc, r, _ = self.json_of(["--cacert", self.ca, "--http1.1",
                                 "https://127.0.0.1:%d/1k" % self.tls])
        self.assertEqual((rc, r["http_version"]), (0, "1.1"))

    def test_untrusted_fails_unless_insecure(self):
        u = "https://127.0.0.1:%d/1k" % self.untrusted
        rc, r, _ = self.json_of(["--cacert", self.ca, u])
        self.assertEqual((rc, r["status"], r["error"]), (60, None, "AH_ETLS"))
        rc, r, _ = self.json_of(["-k", u])
        self.assertEqual((rc, r["status"]), (0, 200))

    def test_client_certificate(self):
        u = "https://127.0.0.1:%d/1k" % self.mtls
        rc, out, _ = run(["--cacert", self.ca, "-w", "%{http_code}", "-o", "/dev/null", u])
        self.assertEqual((rc, out), (0, b"400"))  # nginx: no certificate sent
        rc, out, _ = run(["--cacert", self.ca, "--cert", os.path.join(self.dir.name, "client.pem"),
                          "--key", os.path.join(self.dir.name, "client.key"),
                          "-w", "%{http_code}", "-o", "/dev/null", u])
        self.assertEqual((rc, out), (0, b"200"))
        rc, _, _ = run(["--cacert", self.ca, "--cert", "/nonexistent.pem", u])
        self.assertEqual(rc, 58)
        rc, _, _ = run(["--key", "k.pem", u])
        self.assertEqual(rc, 2)

    def test_tls_exit_codes(self):
        d = self.dir.name
        for port, args, code in ((self.untrusted, [], 60), (self.expired, [], 60),
                                 (self.wrong, [], 60),
                                 (self.tls, ["--pinnedpubkey", os.path.join(d, "untrusted.pin")], 90)):
            rc, _, err = run(["--cacert", self.ca] + args + ["https://127.0.0.1:%d/1k" % port])
            self.assertEqual(rc, code, (port, err))
        # TLS to a plain HTTP server.
        rc, _, _ = run(["https://127.0.0.1:%d/" % self.plain])
        self.assertEqual(rc, 35)

    def test_h2c_prior_knowledge(self):
        rc, r, _ = self.json_of(["--http2-prior-knowledge", "http://127.0.0.1:%d/1k" % self.h2c])
        self.assertEqual((rc, r["status"], r["http_version"]), (0, 200, "2"))


class ProgressBar(unittest.TestCase):
    def run_on_terminal(self, args):
        """stderr on a pseudo-terminal, stdout on a pipe."""
        master, slave = pty.openpty()
        p = subprocess.Popen([TOOL] + args, stdout=subprocess.PIPE, stderr=slave,
                             stdin=subprocess.DEVNULL)
        os.close(slave)
        seen = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the terminal's last writer exited
                    break
                if not chunk:
                    break
                seen += chunk
            elif p.poll() is not None:
                break
        os.close(master)
        out, _ = p.communicate(timeout=10)
        return p.returncode, out, seen.decode()

    def test_bar_on_a_terminal(self):
        # 12 requests of 200 ms, 3 at a time: about 0.8 s, several redraws.
        rc, out, tty = self.run_on_terminal(["-j", "3", url("/status/404")] +
                                            [url("/delay/200")] * 12)
        self.assertEqual(rc, 0)
        self.assertEqual(out, b"")
        draws = [d for d in tty.split("\r") if d.startswith("[")]
        self.assertGreaterEqual(len(draws), 3)
        self.assertIn("[##############################] 13/13 100%", tty)
        self.assertRegex(tty, r"\[#*\.+\] \d+/13 ")  # a partial bar was drawn
        self.assertIn("13 requests in ", tty)  # the summary follows it

    def test_no_bar_when_asked(self):
        rc, _, tty = self.run_on_terminal(["--no-progress", url("/size/1"), url("/size/2")])
        self.assertEqual(rc, 0)
        self.assertNotIn("[", tty)
        self.assertIn("2 requests in ", tty)


if __name__ == "__main__":
    TOOL = os.path.abspath(sys.argv.pop(1))
    # Under `make check SANITIZE=1` a sanitizer's finding must not pass for
    # the tool's own exit status 1.
    os.environ["ASAN_OPTIONS"] = "exitcode=86:detect_leaks=1"
    os.environ["UBSAN_OPTIONS"] = "exitcode=87:print_stacktrace=1"
    # The tool honours proxy variables: none from the caller's environment.
    for name in ("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                 "no_proxy", "NO_PROXY", "HTTP_PROXY"):
        os.environ.pop(name, None)
    unittest.main(verbosity=1)
