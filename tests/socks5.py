#!/usr/bin/env python3
"""A small SOCKS5 proxy for ahttp's tests (RFC 1928, with RFC 1929
user/password authentication). Standard library only.

    socks5.py LOG [--user NAME:PASSWORD] [--map HOST=ADDRESS]...

Binds 127.0.0.1 on an ephemeral port, prints "READY <port>" and serves
until killed. Every CONNECT is written to LOG as one line,
"CONNECT <kind> <host> <port>", kind being "name" (the client left the
name to the proxy: remote DNS), "ipv4" or "ipv6". Names given with --map
resolve to their address here (so that a test can use a name no DNS
knows); other names go to getaddrinfo. A target that refuses gets reply
5 (connection refused), a name that does not resolve reply 4.
"""
import socket
import socketserver
import struct
import sys
import threading

LOG = None
USER = None
NAMES = {}
LOCK = threading.Lock()


def log(line):
    with LOCK, open(LOG, "a") as f:
        f.write(line + "\n")


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def relay(a, b):
    """Copy bytes both ways until either side closes."""
    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    t = threading.Thread(target=pump, args=(b, a), daemon=True)
    t.start()
    pump(a, b)
    t.join()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        try:
            ver, n = read_exact(c, 2)
            methods = read_exact(c, n)
            want = 2 if USER else 0
            if ver != 5 or want not in methods:
                c.sendall(b"\x05\xff")
                return
            c.sendall(bytes([5, want]))
            if USER:
                read_exact(c, 1)
                name = read_exact(c, read_exact(c, 1)[0]).decode()
                password = read_exact(c, read_exact(c, 1)[0]).decode()
                ok = (name, password) == USER
                c.sendall(b"\x01\x00" if ok else b"\x01\x01")
                if not ok:
                    log("AUTH FAILED %s" % name)
                    return
            ver, cmd, _, atyp = read_exact(c, 4)
            if atyp == 1:
                host, kind = socket.inet_ntop(socket.AF_INET, read_exact(c, 4)), "ipv4"
            elif atyp == 4:
                host, kind = socket.inet_ntop(socket.AF_INET6, read_exact(c, 16)), "ipv6"
            else:
                host, kind = read_exact(c, read_exact(c, 1)[0]).decode(), "name"
            port = struct.unpack("!H", read_exact(c, 2))[0]
            log("CONNECT %s %s %d" % (kind, host, port))
            if cmd != 1:
                c.sendall(b"\x05\x07\x00\x01" + bytes(6))
                return
            try:
                addr = NAMES.get(host) or socket.getaddrinfo(host, port)[0][4][0]
            except OSError:
                c.sendall(b"\x05\x04\x00\x01" + bytes(6))
                return
            try:
                up = socket.create_connection((addr, port), timeout=5)
            except OSError:
                c.sendall(b"\x05\x05\x00\x01" + bytes(6))
                return
            up.settimeout(None)
            c.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + b"\x00\x00")
            relay(c, up)
            up.close()
        except (ConnectionError, OSError):
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global LOG, USER
    args = sys.argv[1:]
    LOG = args.pop(0)
    while args:
        opt = args.pop(0)
        if opt == "--user":
            USER = tuple(args.pop(0).split(":", 1))
        elif opt == "--map":
            name, addr = args.pop(0).split("=", 1)
            NAMES[name] = addr
    open(LOG, "w").close()
    srv = Server(("127.0.0.1", 0), Handler)
    print("READY %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
