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
"""
import asyncio
import logging
import ssl
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


async def main():
    global close_seen
    close_seen = asyncio.Event()
    # max_size: the tests send messages larger than the 1 MiB default.
    ctx = None
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=ctx,
                                max_size=64 * 1024 * 1024,
                                ping_interval=None, close_timeout=1) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print("READY %d" % port, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
