#!/usr/bin/env python3
"""Test HTTP server for ahttp's tests: well-behaved and misbehaving replies.

Binds 127.0.0.1 on an ephemeral port, prints "READY <port>" on stdout and
serves until killed. With --tls CERT KEY [CLIENT_CA] it speaks TLS, and
with CLIENT_CA it requires a client certificate signed by it. Standard library only. Every reply is written by hand
so that faults (resets, short bodies, bad chunks, cut headers) are exact.
Each connection is kept alive for the well-behaved endpoints.
"""
import email
import email.policy
import gzip
import hashlib
import socket
import socketserver
import re
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib

CONNECTIONS = 0
LOCK = threading.Lock()
SEEN = {}   # request target -> how many times it arrived
FLAKY = {}  # /flaky key -> requests so far
HOLDING = {}  # Host header -> /hold requests being served now
PEAKS = {}    # Host header -> the most at once since /peaks last read them


DIGEST_REALM = "ahttp-test"
DIGEST_NONCE = "6f1c2a9e0b7d4e8f"


def digest_reply(method, target, headers, user, password):
    """200 when the Authorization header answers the challenge for user and
    password, else 401 with the challenge."""
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
    auth = next((v for k, v in headers if k.lower() == "authorization"), "")
    if auth.startswith("Digest "):
        p = {k: (q if q else u) for k, q, u in
             re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', auth[7:])}
        ha1 = md5("%s:%s:%s" % (user, DIGEST_REALM, password))
        ha2 = md5("%s:%s" % (method, p.get("uri", "")))
        want = md5(":".join([ha1, DIGEST_NONCE, p.get("nc", ""), p.get("cnonce", ""),
                             "auth", ha2]))
        if (p.get("username") == user and p.get("uri") == target and
                p.get("qop") == "auth" and p.get("response") == want):
            return reply(200, b"digest ok " + user.encode())
    challenge = 'Digest realm="%s", qop="auth", nonce="%s", opaque="0a1b"' % (
        DIGEST_REALM, DIGEST_NONCE)
    return reply(401, b"who are you?", [("WWW-Authenticate", challenge)],
                 reason="Unauthorized")


def reply(status, body=b"", headers=(), reason="OK"):
    head = ["HTTP/1.1 %d %s" % (status, reason),
            "Content-Length: %d" % len(body)]
    head += ["%s: %s" % h for h in headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def reset(sock):
    """Close with RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        global CONNECTIONS
        with LOCK:
            CONNECTIONS += 1
        self.buf = b""
        self.request.settimeout(30)
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (OSError, ssl.SSLError):
                self.request = None

    def handle(self):
        if self.request is None:
            return
        self.serve_connection()

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            data = self.request.recv(65536)
            if not data:
                return None
            self.buf += data
            if self.buf[:1] == b"\x16":
                # A TLS ClientHello on a plain port: answer as nginx does.
                self.send(reply(400, b"plain HTTP server", reason="Bad Request"))
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
        length = 0
        chunked = False
        for name, value in headers:
            if name.lower() == "content-length":
                length = int(value)
            if name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            body = self.read_chunked()
            if body is None:
                return None
            return method, target, headers, body
        while len(self.buf) < length:
            data = self.request.recv(65536)
            if not data:
                return None
            self.buf += data
        body, self.buf = self.buf[:length], self.buf[length:]
        return method, target, headers, body

    def read_line(self):
        while b"\r\n" not in self.buf:
            data = self.request.recv(65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_chunked(self):
        """A chunked request body, decoded; None if the connection ends."""
        body = b""
        while True:
            line = self.read_line()
            if line is None:
                return None
            size = int(line.split(b";")[0], 16)
            while len(self.buf) < size + 2:
                data = self.request.recv(65536)
                if not data:
                    return None
                self.buf += data
            body += self.buf[:size]
            self.buf = self.buf[size + 2:]
            if size == 0:
                return body

    def serve_connection(self):
        while True:
            try:
                req = self.read_request()
            except (OSError, ValueError):
                return
            if req is None:
                return
            try:
                keep = self.serve(*req)
            except OSError:
                return
            if not keep:
                return

    def send(self, data):
        self.request.sendall(data)

    def serve(self, method, target, headers, body):
        self.target = target
        with LOCK:
            SEEN[target] = SEEN.get(target, 0) + 1
        if getattr(self, "drop_next", False):
            # The keep-alive race: the request arrives as the server closes
            # (with a reset when the connection was armed so).
            if self.drop_next == "reset":
                reset(self.request)
            return False
        if target.startswith("http://"):
            # Absolute form: a request sent through a proxy; serve it here.
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
            self.proxied = True
        path, _, query = target.partition("?")
        parts = path.strip("/").split("/")
        name, arg = parts[0], (parts[1] if len(parts) > 1 else "")
        sock = self.request
        if name == "size":
            n = int(arg)
            self.send(reply(200, b"x" * n, [("Content-Type", "text/plain")]))
        elif name == "status":
            self.send(reply(int(arg), b"status %s" % arg.encode(), reason="Status"))
        elif name == "delay":
            time.sleep(int(arg) / 1000.0)
            self.send(reply(200, b"slept " + arg.encode()))
        elif name == "hold":
            # /hold/MS: as /delay, counted per Host header while it runs;
            # /peaks tells the most held at once for each (and resets).
            host = next((v for k, v in headers if k.lower() == "host"), "")
            with LOCK:
                HOLDING[host] = HOLDING.get(host, 0) + 1
                PEAKS[host] = max(PEAKS.get(host, 0), HOLDING[host])
            time.sleep(int(arg) / 1000.0)
            with LOCK:  # before the reply: the client's next comes after it
                HOLDING[host] -= 1
            self.send(reply(200, b"held " + arg.encode()))
        elif name == "peaks":
            with LOCK:
                out = "".join("%s %d\n" % kv for kv in sorted(PEAKS.items()))
                PEAKS.clear()
            self.send(reply(200, out.encode()))
        elif name == "echo":
            out = ["method %s" % method, "target %s" % self.target]
            if getattr(self, "proxied", False):
                out.append("proxied")
            out += ["header %s: %s" % h for h in headers]
            self.send(reply(200, "\n".join(out).encode() + b"\n" + body))
        elif name == "seen":
            # /seen?TARGET: how many requests for TARGET arrived.
            self.send(reply(200, b"%d" % SEEN.get(query, 0)))
        elif name == "drop-next":
            # Answer, keep the connection, and close it on the next request
            # without answering it.
            self.send(reply(200, b"armed"))
            self.drop_next = True
        elif name == "reset-next":
            # As /drop-next, the next request's connection reset (RST).
            self.send(reply(200, b"armed"))
            self.drop_next = "reset"
        elif name == "flaky":
            # /flaky/KEY/N/STATUS[?retry-after=V]: STATUS for the first N
            # requests of KEY, then 200.
            key, n, status = parts[1], int(parts[2]), int(parts[3])
            with LOCK:
                FLAKY[key] = FLAKY.get(key, 0) + 1
                count = FLAKY[key]
            if count <= n:
                extra = [("Retry-After", urllib.parse.unquote(query.split("=", 1)[1]))] if query.startswith("retry-after=") else []
                self.send(reply(status, b"not now %d" % count, extra, reason="Flaky"))
            else:
                self.send(reply(200, b"ok at %d" % count + (b": " + body if body else b"")))
        elif name == "flaky-reset":
            # /flaky-reset/KEY/N: the first N requests of KEY are read and
            # their connection closed without a byte; then 200.
            key, n = parts[1], int(parts[2])
            with LOCK:
                FLAKY[key] = FLAKY.get(key, 0) + 1
                count = FLAKY[key]
            if count <= n:
                return False
            self.send(reply(200, b"ok at %d" % count))
        elif name == "digest":
            # /digest/USER/PASSWORD: HTTP digest (RFC 7616, MD5, qop=auth).
            self.send(digest_reply(method, self.target, headers, parts[1], parts[2]))
        elif name == "headers":
            self.send(reply(200, b"h", [("X-Multi", "one"), ("x-multi", "two"),
                                        ("X-Empty", ""), ("X-Spaced", "  padded  "),
                                        ("X-Folded", "first"), ]).replace(
                b"X-Folded: first\r\n", b"X-Folded: first\r\n second\r\n"))
        elif name == "redirect":
            n = int(arg)
            if n <= 0:
                self.send(reply(200, b"arrived"))
            else:
                self.send(reply(302, b"", [("Location", "/redirect/%d" % (n - 1))],
                                reason="Found"))
        elif name == "loop":
            self.send(reply(302, b"", [("Location", "/loop")], reason="Found"))
        elif name == "redirect-file":
            self.send(reply(302, b"", [("Location", "file:///etc/passwd")], reason="Found"))
        elif name == "redirect-to":
            self.send(reply(302, b"", [("Location", query)], reason="Found"))
        elif name == "redirect-after":
            # /redirect-after/MS?LOCATION: a 302 to LOCATION after MS ms.
            time.sleep(int(arg) / 1000.0)
            self.send(reply(302, b"", [("Location", query)], reason="Found"))
        elif name == "redirect-code":
            # /redirect-code/STATUS?LOCATION
            self.send(reply(int(arg), b"", [("Location", query)], reason="Moved"))
        elif name == "redirect-drop":
            # /redirect-drop/STATUS?LOCATION: a redirect on a kept
            # connection, which is then closed on the next request
            # without an answer (as /drop-next).
            self.send(reply(int(arg), b"", [("Location", query)], reason="Moved"))
            self.drop_next = True
        elif name == "redirect-unquoted":
            # /redirect-unquoted?LOCATION, %XX-decoded: raw spaces, UTF-8.
            self.send(reply(302, b"", [("Location", urllib.parse.unquote(query))],
                            reason="Found"))
        elif name == "redirect-body":
            # /redirect-body/STATUS?LOCATION: a redirect with a body of its own.
            self.send(reply(int(arg), b"the redirect's own body", [("Location", query)],
                            reason="Moved"))
        elif name == "slow-redirect":
            # /slow-redirect/MS/N: after MS ms, 302 to /slow-redirect/MS/N-1;
            # at 0, 200.
            ms, n = int(arg), int(parts[2])
            time.sleep(ms / 1000.0)
            if n <= 0:
                self.send(reply(200, b"arrived"))
            else:
                self.send(reply(302, b"", [("Location", "/slow-redirect/%d/%d" % (ms, n - 1))],
                                reason="Found"))
        elif name == "two-locations":
            # /two-locations?FIRST|SECOND: a 302 with two Location lines
            # (FIRST may be empty).
            first, _, second = urllib.parse.unquote(query).partition("|")
            self.send(reply(302, b"", [("Location", first), ("Location", second)],
                            reason="Found"))
        elif name in ("chunked", "chunked-lying"):
            # chunked-lying: a Content-Length too, far larger, which the
            # chunked coding overrides (RFC 9112 section 6.3).
            n = int(arg)
            lie = b"Content-Length: 100000000\r\n" if name == "chunked-lying" else b""
            out = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + lie + b"\r\n"]
            left = n
            while left > 0:
                c = min(left, 1000)
                out.append(b"%x\r\n" % c + b"c" * c + b"\r\n")
                left -= c
            self.send(b"".join(out) + b"0\r\n\r\n")
        elif name == "trailers":
            # A chunked body "hello" and the trailers of the query (lines
            # separated by "|", sent as they are: bad ones too).
            lines = urllib.parse.unquote(query).split("|") if query else []
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                      b"Trailer: X-Checksum\r\n\r\n5\r\nhello\r\n0\r\n" +
                      b"".join(l.encode() + b"\r\n" for l in lines) + b"\r\n")
        elif name == "reason":
            # /reason/STATUS?TEXT: a status line with this reason phrase.
            self.send(b"HTTP/1.1 %s %s\r\nContent-Length: 2\r\n\r\nok" %
                      (arg.encode(), urllib.parse.unquote(query).encode()))
        elif name == "idle-close":
            # A keep-alive response, then the server drops the idle
            # connection after arg ms, as servers do at their idle timeout.
            self.send(reply(200, b"bye"))
            time.sleep(int(arg) / 1000.0)
            return False
        elif name == "nolength":
            # Body delimited by close, no Content-Length.
            self.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"n" * int(arg))
            return False
        elif name == "gzip":
            raw = b"z" * int(arg)
            self.send(reply(200, gzip.compress(raw), [("Content-Encoding", "gzip")]))
        elif name == "deflate":
            raw = b"d" * int(arg)
            self.send(reply(200, zlib.compress(raw), [("Content-Encoding", "deflate")]))
        elif name == "reset-headers":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Len")
            time.sleep(0.05)
            reset(sock)
            return False
        elif name == "reset-body":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"r" * 1000)
            time.sleep(0.05)
            reset(sock)
            return False
        elif name == "short":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"s" * 10)
            sock.shutdown(socket.SHUT_WR)
            return False
        elif name == "bad-chunk":
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\nzz\r\nbad\r\n0\r\n\r\n")
            time.sleep(0.2)
            return False
        elif name == "truncated-chunk":
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"100\r\n" + b"t" * 10)
            sock.shutdown(socket.SHUT_WR)
            return False
        elif name == "garbage":
            self.send(b"GARBAGE FROM THE SERVER\r\n\r\n")
            sock.shutdown(socket.SHUT_WR)
            return False
        elif name == "http09":
            self.send(b"hello from 1991\n")
            sock.shutdown(socket.SHUT_WR)
            return False
        elif name == "empty":
            sock.shutdown(socket.SHUT_WR)
            return False
        elif name == "cut-headers":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
            sock.shutdown(socket.SHUT_WR)
            return False
        elif name == "conflict-length":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
        elif name == "nul-header":
            self.send(b"HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 2\r\n\r\nok")
        elif name == "big-header":
            n = int(arg)
            self.send(b"HTTP/1.1 200 OK\r\nX-Big: " + b"b" * n + b"\r\nContent-Length: 2\r\n\r\nok")
        elif name == "many-headers":
            n = int(arg)
            hs = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(n))
            self.send(b"HTTP/1.1 200 OK\r\n" + hs + b"Content-Length: 2\r\n\r\nok")
        elif name == "endless":
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n" % 65536 + b"e" * 65536 + b"\r\n"
            deadline = time.time() + 60
            while time.time() < deadline:
                self.send(chunk)
            return False
        elif name == "silent":
            deadline = time.time() + 30
            sock.settimeout(0.1)
            while time.time() < deadline:
                try:
                    if sock.recv(1) == b"":
                        break
                except socket.timeout:
                    pass
            return False
        elif name == "drip":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % int(arg))
            for _ in range(int(arg)):
                time.sleep(0.2)
                self.send(b"d")
        elif name == "set-cookie":
            cookie = "%s=%s; Path=/" % (arg, parts[2] if len(parts) > 2 else "")
            self.send(reply(200, b"set", [("Set-Cookie", cookie)]))
        elif name == "set-cookies":
            # /set-cookies/KEY/N: N new cookies on each response (their
            # names never repeat), as a hostile server floods a jar.
            n = int(parts[2])
            with LOCK:
                FLAKY["cookies"] = FLAKY.get("cookies", 0) + 1
                round_ = FLAKY["cookies"]
            out = reply(200, b"set %d" % n,
                        [("Set-Cookie", "%s-%d-%d=v; Path=/" % (arg, round_, i)) for i in range(n)])
            self.send(out)
        elif name == "form":
            self.send(reply(200, parse_form(headers, body)))
        elif name == "slow-headers":
            # /slow-headers/N/MS: a header line every MS ms, N of them,
            # then a short body.
            n, gap = int(arg), int(parts[2])
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n")
            for i in range(n):
                time.sleep(gap / 1000.0)
                self.send(b"X-Slow-%d: v\r\n" % i)
            self.send(b"\r\nbody")
        elif name == "informational":
            # /informational/N/MS: N "102 Processing" responses MS ms
            # apart, then the response.
            n, gap = int(arg), int(parts[2])
            for i in range(n):
                time.sleep(gap / 1000.0)
                self.send(b"HTTP/1.1 102 Processing\r\n\r\n")
            self.send(reply(200, b"done"))
        elif name == "slowdrip":
            # arg bytes, one every parts[2] ms: slower than an idle timeout.
            n, gap = int(arg), int(parts[2])
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
            for _ in range(n):
                time.sleep(gap / 1000.0)
                self.send(b"s")
        elif name in ("br", "zstd"):
            data, packed = compressed(name, int(arg))
            if packed is None:
                self.send(reply(501, b"no %s tool" % name.encode()))
            else:
                self.send(reply(200, packed, [("Content-Encoding", name)]))
        elif name == "stats":
            with LOCK:
                n = CONNECTIONS
            self.send(reply(200, b"%d" % n))
        else:
            self.send(reply(404, b"not found", reason="Not Found"))
        return True


def parse_form(headers, body):
    """multipart/form-data, parsed by the standard library: one line per
    part, "field NAME=VALUE" or "file NAME FILENAME TYPE LENGTH"."""
    ctype = ""
    for name, value in headers:
        if name.lower() == "content-type":
            ctype = value
    msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() +
                                   b"\r\n\r\n" + body,
                                   policy=email.policy.HTTP)
    if not msg.is_multipart():
        return b"not multipart\n"
    out = []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        data = part.get_payload(decode=True) or b""
        if filename is None:
            out.append("field %s=%s" % (name, data.decode(errors="backslashreplace")))
        else:
            out.append("file %s %s %s %d" % (name, filename,
                                             part.get_content_type(), len(data)))
    return ("\n".join(out) + "\n").encode()


PACKED = {}


def compressed(tool, n):
    """n bytes of text and their encoding by the brotli or zstd tool."""
    key = (tool, n)
    if key not in PACKED:
        data = (b"ahttp " * (n // 6 + 1))[:n]
        try:
            cmd = {"br": "brotli", "zstd": "zstd"}[tool]
            p = subprocess.run([cmd, "-c"], input=data, capture_output=True,
                               timeout=30)
            PACKED[key] = (data, p.stdout if p.returncode == 0 else None)
        except (OSError, subprocess.TimeoutExpired):
            PACKED[key] = (data, None)
    return PACKED[key]


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    tls = None

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls is not None:
            # The handshake runs in the handler's thread (setup).
            sock = self.tls.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False)
        return sock, addr

    def shutdown_request(self, request):
        if request is not None:
            super().shutdown_request(request)


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    tls = None


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--unix":
        srv = UnixServer(sys.argv[2], Handler)
        print("READY 0", flush=True)
        srv.serve_forever()
        return
    srv = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) >= 4 and sys.argv[1] == "--tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        if len(sys.argv) >= 5:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(sys.argv[4])
            # TLS 1.2 refuses a missing client certificate inside the
            # handshake; TLS 1.3 does it after, racing the client's first
            # write (then seen as a broken pipe).
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        srv.tls = ctx
    print("READY %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
