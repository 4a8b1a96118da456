"""A fast HTTP/1.1 front for the Company X sandbox, and a keep-alive load client; asyncio both.

The sandbox's own server (http.server, a thread per connection) would be a bottleneck next
to the proxy it is meant to measure; here one event loop serves the sandbox's real endpoints
(RS256 validation, scopes, the token endpoint) and drives the client connections.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import time
from dataclasses import dataclass
from dataclasses import field
from email.utils import formatdate
from urllib.parse import urlsplit

from authdoctor.sandbox import Sandbox
from authdoctor.sandbox.messages import Request
from authdoctor.sandbox.server import new_request_id

HOST = "127.0.0.1"


async def _serve_connection(
    sandbox: Sandbox, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            line, _, rest = head.partition(b"\r\n")
            method, target, _ = line.decode("latin-1").split(" ", 2)
            headers = http.client.parse_headers(io.BytesIO(rest))
            body = await reader.readexactly(int(headers.get("Content-Length", "0")))
            now, request_id = sandbox.now(), new_request_id()
            url = urlsplit(target)
            answer = sandbox.handle(
                Request(method, url.path, url.query, headers, body, now, request_id)
            )
            lines = [
                f"HTTP/1.1 {answer.status} {http.HTTPStatus(answer.status).phrase}",
                "Server: CompanyX-Sandbox",
                f"Date: {formatdate(now, usegmt=True)}",
                f"X-Request-Id: {request_id}",
                *(f"{name}: {value}" for name, value in answer.headers.items()),
                f"Content-Length: {len(answer.body)}",
            ]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body)
            await writer.drain()
    finally:
        writer.close()


async def serve(sandbox: Sandbox) -> asyncio.Server:
    """The sandbox's endpoints on a free loopback port (server.sockets[0] tells which)."""
    return await asyncio.start_server(
        lambda r, w: _serve_connection(sandbox, r, w), HOST, 0, reuse_address=True
    )


@dataclass
class LoadResult:
    """What the client saw: per-request latency, statuses, and the wall time of the load."""

    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)


async def _client(proxy_port: int, queue: list[tuple[str, bytes]], result: LoadResult) -> None:
    reader, writer = await asyncio.open_connection(HOST, proxy_port)
    try:
        while queue:
            kind, raw = queue.pop()
            start = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            headers = http.client.parse_headers(io.BytesIO(head.partition(b"\r\n")[2]))
            await reader.readexactly(int(headers["Content-Length"]))
            result.latencies_s.append(time.perf_counter() - start)
            result.statuses.append((kind, int(head.split(b" ", 2)[1])))
    finally:
        writer.close()


async def load(proxy_port: int, requests: list[tuple[str, bytes]], connections: int) -> LoadResult:
    """Send `requests` (kind, raw HTTP/1.1 bytes) over `connections` keep-alive connections."""
    queue = list(reversed(requests))
    result = LoadResult()
    start = time.perf_counter()
    await asyncio.gather(*(_client(proxy_port, queue, result) for _ in range(connections)))
    result.seconds = time.perf_counter() - start
    return result
