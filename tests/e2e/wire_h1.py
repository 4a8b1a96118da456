"""HTTP/1.1 on raw sockets: an upstream that records every byte it gets and answers with
scripted bytes, and a client that sends scripted bytes through the proxy and keeps every
byte of the answer. No HTTP library in between that could normalise what we compare."""

from __future__ import annotations

import socket

from tests.e2e.loopback_server import LoopbackServer

ID_HEADER = b"x-nh-id"
UNKNOWN = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def _read_head(reader) -> tuple[bytes, dict[bytes, bytes]]:
    """The request head as sent, and its headers by lower-case name (the last one wins)."""
    lines = []
    while (line := reader.readline(1 << 20)) not in (b"\r\n", b"\n", b""):
        lines.append(line)
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    return b"".join(lines) + b"\r\n", fields


def _read_body(reader, fields: dict[bytes, bytes]) -> bytes:
    """The body with its framing, as sent (chunk sizes included)."""
    if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        raw = []
        while True:
            size_line = reader.readline(1 << 16)
            raw.append(size_line)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while (trailer := reader.readline(1 << 16)) not in (b"\r\n", b""):
                    raw.append(trailer)
                raw.append(b"\r\n")
                return b"".join(raw)
            raw.append(reader.read(size + 2))
    return reader.read(int(fields.get(b"content-length", b"0")))


class Http1Upstream(LoopbackServer):
    """Answers each request with the bytes scripted for its x-nh-id, then closes."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        super().__init__()
        self.answers = answers
        self.received: dict[str, bytes] = {}

    def serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            head, fields = _read_head(reader)
            if not head.strip():
                return
            body = _read_body(reader, fields)
            exchange = fields.get(ID_HEADER, b"").decode("ascii", "replace")
            self.received[exchange] = head + body
            conn.sendall(self.answers.get(exchange, UNKNOWN))
            conn.shutdown(socket.SHUT_WR)


def send(proxy_port: int, raw: bytes, timeout: float = 60.0) -> bytes:
    """Send one request (it says Connection: close) and read the answer until the proxy closes."""
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(1 << 20):
            chunks.append(chunk)
    return b"".join(chunks)
