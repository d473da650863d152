# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A Python asyncio TCP echo server on uvloop (Debian's python3-uvloop, which
# links the system libuv.so.1). It listens, prints "ready <pid> <port>",
# waits for a line on stdin (so a tracer can attach with -p), then N clients
# in the same process each connect, send, read the echo and close; then it
# exits (with "hold": prints "done" and exits after one more stdin line).
import asyncio
import os
import sys

import uvloop

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5
HOLD = len(sys.argv) > 2 and sys.argv[2] == "hold"


async def handle(reader, writer):
    data = await reader.read(100)
    writer.write(data)
    await writer.drain()
    writer.close()


async def client(port, i):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ping %d" % i)
    await writer.drain()
    await reader.read(100)
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("ready", os.getpid(), port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(client(port, i) for i in range(N)))
    await asyncio.sleep(0.05)
    server.close()
    await server.wait_closed()
    if HOLD:
        await asyncio.sleep(0.2)
        print("done", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)


uvloop.install()
asyncio.run(main())
