#!/usr/bin/python3
"""WebSocket test server for tests/test_ws.c, on Debian's python3-websockets
(a server nobody here wrote: its framing, close handshake and pong are
its own). Run with /usr/bin/python3, whose dist-packages hold it.

With --tls CERT KEY it serves wss (TLS) instead. Binds 127.0.0.1 on an
ephemeral port, prints "READY <port>" and serves
until killed. What a connection gets depends on its path:

  /echo        every message back, as it came (text or binary); answers
               a close with a close (the library's own handshake)
  /frag        a text message in three fragments ("hel", "lo ", "world"),
               then a binary one in two (b"\\x00\\x01", b"\\x02"), then
               echoes like /echo
  /big?n=N     one message of N bytes "x" in one frame, then echoes
  /fragbig?n=N&k=K  one text message of N fragments of K bytes each
  /close       a close frame at once: code 4001, reason "bye"; what the
               client answered is kept for /lastclose
  /lastclose   the text "<code>" of the close frame the client answered the
               last /close with, or "none" when it did not answer
  /silent      reads nothing after the handshake: a close is never
               answered, the connection is never closed by the server
  /drop        the TCP connection aborted right after the handshake,
               without a close frame
  /ping        the server pings the client, and once the pong came back
               sends the text "ponged"

A second listener, on the port after "READY <port>" on the same line,
is a hostile server of our own (raw frames, no library: what a broken or
malicious peer sends). Its paths:

  /closemidfrag  text "abc" fin=0, then a close 1001 "gone" in the middle
               of the message; what the client answered is kept for /last
  /emptyfrags?secs=S&rate=R  binary "a" fin=0, then empty continuation
               frames at R bytes/s (100e6) for S seconds (4), then "z"
  /bighdr?n=N  a good 101 with about N bytes more of header lines
  /hsempty     the connection closed without answering the upgrade
  /hscut /badaccept /noaccept /h2c  a 101 cut before its blank line,
               with a wrong or no Sec-WebSocket-Accept, with Upgrade: h2c
  /tinyfrags?n=N  one binary message of N 1-byte fragments: "abb...bc"
  /floodnopong?n=N&k=K  after the client's ping, N binary messages of K
               bytes, then the pong
  /badutf8     the text "\u00e9ok" in two fragments, then text that is not UTF-8
  /msgsthenclose  the texts "one" and "two", then a close 4001 "bye"
  /rawclose?hex=H  a close frame whose payload is the bytes H (hex)
  /slowpong    each ping answered 0.5 s later, in order
  /pongwrong   as /slowpong, with a pong of another payload at once first
  /nohandshake  reads the upgrade request and never answers it
  /latestonly?n=N  after N pings, one pong: the payload of the last (RFC
               6455 5.5.3 lets a peer answer only the most recent ping)
  /msgsthendrop  the texts "one" and "two", then the TCP connection
               closed 0.3 s later without a close frame
  /halfclose?secs=S  0.3 s, then the 101 and a close 1000 at once, then
               the write side shut (EOF) and nothing read for S s (4)
  /last        a text frame: the code of the last close a client sent the
               raw server, "none" when none came within 5 s
"""
import asyncio
import base64
import hashlib
import logging
import ssl
import struct
import sys
from urllib.parse import parse_qs, urlparse

import websockets

logging.basicConfig(level=logging.CRITICAL)  # a client gone without a close is a test


last_close = ["none"]
close_seen = None  # an asyncio.Event, set once a /close has ended


async def echo(ws):
    async for msg in ws:
        await ws.send(msg)


async def handler(ws, path=None):
    if path is None:  # 10.x: ws.path; 13 on: the path is on the request
        path = getattr(ws, "path", None) or ws.request.path
    u = urlparse(path)
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    if u.path == "/echo":
        await echo(ws)
    elif u.path == "/frag":
        await ws.send(["hel", "lo ", "world"])
        await ws.send([b"\x00\x01", b"\x02"])
        await echo(ws)
    elif u.path == "/big":
        await ws.send("x" * int(q["n"]))
        await echo(ws)
    elif u.path == "/fragbig":
        await ws.send(["y" * int(q["k"])] * int(q["n"]))
        await echo(ws)
    elif u.path == "/close":
        await ws.close(4001, "bye")
        rcvd = getattr(ws, "close_rcvd", None)
        last_close[0] = str(rcvd.code) if rcvd is not None else "none"
        close_seen.set()
    elif u.path == "/lastclose":
        try:
            await asyncio.wait_for(close_seen.wait(), 5)
        except asyncio.TimeoutError:
            pass
        await ws.send(last_close[0])
    elif u.path == "/silent":
        ws.transport.pause_reading()
        await asyncio.sleep(3600)
    elif u.path == "/drop":
        ws.transport.abort()
    elif u.path == "/ping":
        waiter = await ws.ping(b"are you there")
        await waiter
        await ws.send("ponged")
        await echo(ws)
    else:
        await ws.close(4004, "no such path")


# The hostile server: frames written by hand.
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
raw_last = ["none"]
raw_seen = None  # an asyncio.Event, set when a client's close came


def frame(op, payload=b"", fin=True):
    n = len(payload)
    b0 = bytes([(0x80 if fin else 0) | op])
    if n < 126:
        return b0 + bytes([n]) + payload
    if n < 65536:
        return b0 + bytes([126]) + struct.pack(">H", n) + payload
    return b0 + bytes([127]) + struct.pack(">Q", n) + payload


async def read_frame(reader):
    """A client frame (op, payload), None at the end of the stream."""
    try:
        h = await reader.readexactly(2)
        n = h[1] & 0x7F
        if n == 126:
            n = struct.unpack(">H", await reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", await reader.readexactly(8))[0]
        k = await reader.readexactly(4) if h[1] & 0x80 else b"\0\0\0\0"
        p = await reader.readexactly(n)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return h[0] & 0x0F, bytes(x ^ k[i % 4] for i, x in enumerate(p))


async def raw_log_close(reader):
    """Read the client's frames; keep the code of its close for /last."""
    for _ in range(100):
        fr = await read_frame(reader)
        if fr is None:
            return
        if fr[0] == 8:
            raw_last[0] = str(struct.unpack(">H", fr[1][:2])[0]) if len(fr[1]) >= 2 else "empty"
            raw_seen.set()
            return


async def raw_handler(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    lines = head.split(b"\r\n")
    u = urlparse(lines[0].split(b" ")[1].decode())
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    key = b""
    for line in lines[1:]:
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    ok = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    try:
        if u.path == "/closemidfrag":
            raw_seen.clear()
            raw_last[0] = "none"
            writer.write(ok + frame(1, b"abc", fin=False) +
                         frame(8, struct.pack(">H", 1001) + b"gone"))
            await raw_log_close(reader)
        elif u.path == "/emptyfrags":
            writer.write(ok + frame(2, b"a", fin=False))
            # At most rate bytes/s (100 MB/s): faster than libcurl decodes
            # empty frames (one a curl_ws_recv), slower than it reads
            # the socket: libcurl 8.21 reads on while each read fills its
            # 64 KiB chunk, so a sender as fast as the reader (a client
            # under ASan) would hold one curl_ws_recv, unbounded.
            blob = frame(0, b"", fin=False) * 10000
            loop = asyncio.get_running_loop()
            start = loop.time()
            end = start + float(q.get("secs", "4"))
            rate = float(q.get("rate", "100e6"))
            sent = 0
            while loop.time() < end:
                writer.write(blob)
                await writer.drain()
                sent += len(blob)
                # the other connections too
                await asyncio.sleep(max(0.0, sent / rate - (loop.time() - start)))
            writer.write(frame(0, b"z"))
            await raw_log_close(reader)
        elif u.path == "/bighdr":  # a good 101 with n bytes more of headers
            n = int(q.get("n", "5000"))
            pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 990) for i in range(n // 1000))
            writer.write(ok[:-2] + pad + b"\r\n")
            await raw_log_close(reader)
        elif u.path == "/hsempty":  # closed without a byte of answer
            pass
        elif u.path == "/hscut":  # the 101 cut before its blank line
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")
        elif u.path == "/badaccept":
            writer.write(ok.replace(accept, b"AAAAAAAAAAAAAAAAAAAAAAAAAAA="))
            await reader.read()
        elif u.path == "/noaccept":
            writer.write(ok.replace(b"Sec-WebSocket-Accept: " + accept + b"\r\n", b""))
            await reader.read()
        elif u.path == "/h2c":
            writer.write(ok.replace(b"Upgrade: websocket", b"Upgrade: h2c"))
            await reader.read()
        elif u.path == "/tinyfrags":  # one message of n 1-byte fragments
            n = int(q.get("n", "1000"))
            writer.write(ok + frame(2, b"a", fin=False) +
                         frame(0, b"b", fin=False) * (n - 2) + frame(0, b"c"))
            await raw_log_close(reader)
        elif u.path == "/floodnopong":
            # After the client's ping: n binary messages of k bytes, then
            # the pong; then echoes.
            writer.write(ok)
            fr = await read_frame(reader)
            m = frame(2, b"F" * int(q.get("k", "60000")))
            for _ in range(int(q.get("n", "200"))):
                writer.write(m)
                await writer.drain()
            writer.write(frame(10, fr[1] if fr else b""))
            while True:
                fr = await read_frame(reader)
                if fr is None or fr[0] == 8:
                    break
                if fr[0] in (1, 2):
                    writer.write(frame(fr[0], fr[1]))
        elif u.path == "/badutf8":
            raw_seen.clear()
            raw_last[0] = "none"
            writer.write(ok + frame(1, b"\xc3", fin=False) + frame(0, b"\xa9ok") +
                         frame(1, b"ab\xff\xfecd"))
            await raw_log_close(reader)
        elif u.path == "/msgsthenclose":  # two texts and a close at once
            writer.write(ok + frame(1, b"one") + frame(1, b"two") +
                         frame(8, struct.pack(">H", 4001) + b"bye"))
            await raw_log_close(reader)
        elif u.path == "/rawclose":  # a close frame of the payload given in hex
            raw_seen.clear()
            raw_last[0] = "none"
            writer.write(ok + frame(8, bytes.fromhex(q.get("hex", ""))))
            await raw_log_close(reader)
        elif u.path in ("/slowpong", "/pongwrong"):
            # Each ping answered 0.5 s later, in order; /pongwrong sends a
            # pong of another payload first, at once.
            writer.write(ok)
            while True:
                fr = await read_frame(reader)
                if fr is None or fr[0] == 8:
                    break
                if fr[0] == 9:
                    if u.path == "/pongwrong":
                        writer.write(frame(10, b"not-your-payload"))
                    await asyncio.sleep(0.5)
                    writer.write(frame(10, fr[1]))
        elif u.path == "/latestonly":
            writer.write(ok)
            seen, n = 0, int(q.get("n", "2"))
            while True:
                fr = await read_frame(reader)
                if fr is None or fr[0] == 8:
                    break
                if fr[0] == 9:
                    seen += 1
                    if seen % n == 0:
                        writer.write(frame(10, fr[1]))
        elif u.path == "/msgsthendrop":
            writer.write(ok + frame(1, b"one") + frame(1, b"two"))
            await writer.drain()
            await asyncio.sleep(0.3)
        elif u.path == "/halfclose":
            await asyncio.sleep(0.3)
            writer.write(ok + frame(8, struct.pack(">H", 1000)))
            await writer.drain()
            writer.write_eof()
            await asyncio.sleep(float(q.get("secs", "4")))
        elif u.path == "/nohandshake":
            await reader.read()  # until the client gives up
        elif u.path == "/last":
            try:
                await asyncio.wait_for(raw_seen.wait(), 5)
            except asyncio.TimeoutError:
                pass
            writer.write(ok + frame(1, raw_last[0].encode()))
            await raw_log_close(reader)
        await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    global close_seen, raw_seen
    close_seen = asyncio.Event()
    raw_seen = asyncio.Event()
    # max_size: the tests send messages larger than the 1 MiB default.
    ctx = None
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=ctx,
                                max_size=64 * 1024 * 1024,
                                ping_interval=None, close_timeout=1) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        raw = await asyncio.start_server(raw_handler, "127.0.0.1", 0)
        print("READY %d %d" % (port, raw.sockets[0].getsockname()[1]), flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
