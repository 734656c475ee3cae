"""aiohttp with asyncio.gather: N requests, at most C in flight (the
connector's limit), every body read. Prints: elapsed_s ok bytes non200.

    python3 aiohttp_client.py URL N C [keep]
keep: keep every body until the gather returns (the W4 shape)."""
import asyncio
import sys
import time

import aiohttp


async def main(url, n, c, keep):
    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=conn) as s:
        async def one():
            async with s.get(url) as r:
                body = await r.read()
                return r.status, (body if keep else len(body))

        t0 = time.monotonic()
        res = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
        el = time.monotonic() - t0
    ok = [r for r in res if isinstance(r, tuple)]
    size = sum(len(b) if keep else b for _, b in ok)
    print("%.6f %d %d %d" % (el, len(ok), size, sum(1 for st, _ in ok if st != 200)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                     len(sys.argv) > 4 and sys.argv[4] == "keep"))
