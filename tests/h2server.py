#!/usr/bin/env python3
"""HTTP/2 test server for tests/test_h2.c, built on python3-h2 (hyper-h2),
so that HTTP/2 behaviour is proved against a stack nobody here wrote, and
so that it can send what well-behaved servers do not: REFUSED_STREAM and
GOAWAY above a stream.

Binds 127.0.0.1 on an ephemeral port, prints "READY <port>" and serves
until killed: cleartext with prior knowledge (h2c), or TLS with ALPN h2
given --tls CERT KEY. Each connection runs on its own thread.

Paths:
  /echo                  method, target, headers and body, one per line
  /status/N              status N
  /many-headers/N[?empty]  N small response headers (and no body)
  /early-hints/N         N 103 responses before the 200
  /ping-flood/N, /settings-flood/N   N PING or SETTINGS frames first
  /reset/CODE            RST_STREAM with error CODE instead of a response
  /slow/MS               "slow" after MS milliseconds (the connection's
                         other streams served meanwhile)
  /hpack-bomb/N          one 4 KiB header repeated N times (HPACK-indexed)
  /redirect-code/N?LOC   status N with Location LOC
  /refuse/KEY/N          RST_STREAM(REFUSED_STREAM) for the first N
                         requests of KEY (before reading their body), then
                         as /echo
  /goaway/KEY/N          for the first N requests of KEY: GOAWAY with a
                         last stream id below this stream (it was not
                         processed) and the connection closed; then /echo
  /drop/KEY/N            for the first N requests of KEY: the whole
                         request read (and counted as processed), then the
                         connection closed with no answer and no GOAWAY
  /refuse-late/KEY/N     for the first N requests of KEY: the first DATA
                         frame of the body read, then RST_STREAM
                         (REFUSED_STREAM); then "method M", "len N" and
                         "sum S" of the body (S: the sum of each byte
                         times its position from 1, modulo 2^32)
  /goaway-late/KEY/N     as /refuse-late, with a GOAWAY below the stream
                         and the connection closed instead of the RST
  /seen?TARGET           how many requests for TARGET were processed
                         (refused ones are not)
"""
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

try:
    import h2  # noqa: F401
except ImportError:
    # Debian's python3-h2 lives with the system interpreter; a python3
    # earlier on PATH (pyenv, a venv) may not see it.
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import h2.config
import h2.settings
import h2.connection
import h2.events
import h2.errors

LOCK = threading.Lock()
SEEN = {}
COUNT = {}


def bump(table, key):
    with LOCK:
        table[key] = table.get(key, 0) + 1
        return table[key]


class Conn:
    def __init__(self, sock):
        self.sock = sock
        cfg = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=cfg)
        self.streams = {}   # id -> [headers, body bytearray]
        self.late = set()   # streams refused at their first DATA frame
        self.later = []     # (due, stream id) of /slow answers
        self.closed = False

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def respond(self, sid, status, body=b"", extra=()):
        headers = [(":status", str(status)), ("content-length", str(len(body)))]
        headers += list(extra)
        self.h2.send_headers(sid, headers, end_stream=not body)
        if body:
            # Within the peer's window: the tests keep bodies small.
            self.h2.send_data(sid, body, end_stream=True)

    def refuse_early(self, sid, headers):
        """Refuse a stream on its headers, before its body: True if done."""
        path = dict(headers).get(":path", "")
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 3 and parts[0] in ("refuse-late", "goaway-late"):
            if bump(COUNT, parts[0] + "/" + parts[1]) <= int(parts[2]):
                self.late.add(sid)
            return False
        if len(parts) == 3 and parts[0] in ("refuse", "goaway"):
            if bump(COUNT, parts[0] + "/" + parts[1]) <= int(parts[2]):
                if parts[0] == "refuse":
                    self.h2.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
                else:
                    self.h2.close_connection(
                        error_code=h2.errors.ErrorCodes.NO_ERROR,
                        last_stream_id=max(0, sid - 2))
                    self.flush()
                    self.closed = True
                    self.linger()
                self.streams.pop(sid, None)
                return True
        return False

    def linger(self):
        """Close as a polite server does after GOAWAY: no more writes, and
        what the client still sends read and dropped, so that the close
        is a FIN and not a reset."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(2)
            while self.sock.recv(65536):
                pass
        except OSError:
            pass

    def serve(self, sid):
        headers, body = self.streams.pop(sid)
        h = dict(headers)
        method, target = h.get(":method", ""), h.get(":path", "/")
        bump(SEEN, target)
        path, _, query = target.partition("?")
        parts = path.strip("/").split("/")
        name = parts[0]
        if name == "drop" and bump(COUNT, "drop/" + parts[1]) <= int(parts[2]):
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.closed = True
            return
        if name in ("ping-flood", "settings-flood"):
            # /ping-flood/N, /settings-flood/N: N PING or SETTINGS frames
            # before the response.
            for i in range(int(parts[1])):
                if name == "ping-flood":
                    self.h2.ping(b"%08d" % i)
                else:
                    self.h2.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100 + i % 7})
                if i % 100 == 99:
                    self.flush()
            self.respond(sid, 200, b"after the flood")
            return
        if name in ("refuse-late", "goaway-late"):
            total = sum((i + 1) * b for i, b in enumerate(body)) & 0xffffffff
            self.respond(sid, 200, b"method %s\nlen %d\nsum %d\n" % (
                method.encode(), len(body), total))
            return
        if name == "slow":
            self.later.append((time.monotonic() + int(parts[1]) / 1000.0, sid))
            return
        if name == "reset":
            # /reset/CODE: RST_STREAM with that error code, no response.
            self.h2.reset_stream(sid, int(parts[1]))
            return
        if name == "early-hints":
            # /early-hints/N: N 103 responses, then 200.
            for i in range(int(parts[1])):
                self.h2.send_headers(sid, [(":status", "103"), ("link", "</s%d>" % i)])
                if i % 100 == 99:
                    self.flush()
            self.respond(sid, 200, b"after hints")
            return
        if name == "hpack-bomb":
            # /hpack-bomb/N: one 4 KiB header value sent once into the
            # dynamic table, then referenced N times: a few bytes each on
            # the wire, 4 KiB each decoded.
            big = "b" * 4000
            self.respond(sid, 200, b"bomb", [("x-bomb", big)] * int(parts[1]))
            return
        if name == "many-headers":
            # /many-headers/N: N small headers (about 11 bytes each).
            n = int(parts[1])
            self.respond(sid, 200, b"" if query == "empty" else b"many",
                         [("x-h%d" % i, "v") for i in range(n)])
            return
        if name == "status":
            self.respond(sid, int(parts[1]), b"status " + parts[1].encode())
        elif name == "redirect-code":
            self.respond(sid, int(parts[1]), b"", [("location", query)])
        elif name == "seen":
            with LOCK:
                n = SEEN.get(urllib.parse.unquote(query), 0)
            self.respond(sid, 200, b"%d" % n)
        else:  # echo, and refuse/goaway once they let a request through
            out = ["method %s" % method, "target %s" % target]
            out += ["header %s: %s" % kv for kv in headers if not kv[0].startswith(":")]
            self.respond(sid, 200, "\n".join(out).encode() + b"\n" + bytes(body))

    def run(self):
        self.h2.initiate_connection()
        self.flush()
        while not self.closed:
            try:
                if self.later:
                    self.sock.settimeout(max(0.001, min(self.later)[0] - time.monotonic()))
                data = self.sock.recv(65536)
            except socket.timeout:
                now = time.monotonic()
                for due, sid in [x for x in self.later if x[0] <= now]:
                    self.later.remove((due, sid))
                    self.respond(sid, 200, b"slow")
                self.sock.settimeout(30)
                try:
                    self.flush()
                except OSError:
                    return
                continue
            except OSError:
                return
            if not data:
                return
            try:
                events = self.h2.receive_data(data)
            except Exception:
                return
            for ev in events:
                if isinstance(ev, h2.events.RequestReceived):
                    if self.refuse_early(ev.stream_id, ev.headers):
                        continue
                    self.streams[ev.stream_id] = [ev.headers, bytearray()]
                    if ev.stream_ended is not None:
                        self.serve(ev.stream_id)
                elif isinstance(ev, h2.events.DataReceived):
                    self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    if ev.stream_id in self.late:
                        self.late.discard(ev.stream_id)
                        head = self.streams.pop(ev.stream_id)[0]
                        if dict(head).get(":path", "").startswith("/goaway-late/"):
                            self.h2.close_connection(
                                error_code=h2.errors.ErrorCodes.NO_ERROR,
                                last_stream_id=max(0, ev.stream_id - 2))
                            self.flush()
                            self.closed = True
                            self.linger()
                            break
                        self.h2.reset_stream(ev.stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
                    elif ev.stream_id in self.streams:
                        self.streams[ev.stream_id][1] += ev.data
                elif isinstance(ev, h2.events.StreamEnded):
                    if ev.stream_id in self.streams:
                        self.serve(ev.stream_id)
                if self.closed:
                    break
            try:
                self.flush()
            except OSError:
                return


def handle(sock, ctx):
    try:
        if ctx is not None:
            sock = ctx.wrap_socket(sock, server_side=True)
        sock.settimeout(30)
        Conn(sock).run()
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    ctx = None
    if len(sys.argv) >= 4 and sys.argv[1] == "--tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        ctx.set_alpn_protocols(["h2"])
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    print("READY %d" % lsock.getsockname()[1], flush=True)
    while True:
        sock, _ = lsock.accept()
        threading.Thread(target=handle, args=(sock, ctx), daemon=True).start()


if __name__ == "__main__":
    main()
