# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# An asyncio TCP echo server on uvloop (Debian's python3-uvloop, which links
# the system libuv.so.1) and N loopback clients in the same process, one
# after the other: each connects, sends, reads the echo and closes. Made to
# run under `asyncscope trace --` from its first line: uvloop is imported
# (dlopen'd) after start, so its callbacks are found only at run time. libuv
# sees 2N+1 uv_tcp (the listener, N accepted, N client sockets), N
# uv_connect. Prints "done N" at the end.
import asyncio
import sys

import uvloop

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10


async def handle(reader, writer):
    data = await reader.read(100)
    writer.write(data)
    await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for i in range(N):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping %d" % i)
        await writer.drain()
        assert await reader.read(100) == b"ping %d" % i
        writer.close()
    server.close()
    await server.wait_closed()
    print("done", N, flush=True)


uvloop.install()
asyncio.run(main())
