# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A steady libuv workload for the sampled daemon test: Python asyncio on
# uvloop (Debian's python3-uvloop, on the system libuv.so.1), a TCP
# ping-pong over one loopback connection with a 5 ms sleep between rounds
# (uv_tcp reads both ways, a new uv_timer each sleep). Prints "ready <pid>"
# once connected; runs until killed.
import asyncio
import os

import uvloop


async def echo(reader, writer):
    while True:
        data = await reader.read(100)
        if not data:
            break
        writer.write(data)


async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    print("ready", os.getpid(), flush=True)
    while True:
        writer.write(b"p")
        await reader.read(10)
        await asyncio.sleep(0.005)


uvloop.install()
asyncio.run(main())
