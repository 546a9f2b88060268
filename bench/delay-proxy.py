#!/usr/bin/env python3
"""A TCP proxy that delays every byte by a fixed one-way latency in each direction, as a registry some way off.

Usage: delay-proxy.py LISTEN_HOST:PORT BACKEND_HOST:PORT ONE_WAY_MS

A round trip through it takes 2 x ONE_WAY_MS more than without it; bandwidth is not limited and order is kept (each
chunk is written when its own delay has passed, after the chunks before it). Used by bench/oci-vs-script.sh with
LATENCY_MS set, so the GC and the script meet the same distance.
"""
import asyncio
import sys


async def pipe(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                break
        await sender
    except (ConnectionError, asyncio.CancelledError):
        sender.cancel()
    finally:
        writer.close()


async def main(listen, backend, delay):
    host, port = listen.rsplit(":", 1)
    backend_host, backend_port = backend.rsplit(":", 1)

    async def accept(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(backend_host, int(backend_port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, delay), pipe(server_reader, client_writer, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(accept, host, int(port), backlog=256)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) / 1000))
