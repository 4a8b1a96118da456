"""The never-harm traffic plan: every exchange (request and scripted answer) drawn from one
seed, and its bytes on the wire for HTTP/1.1 and HTTP/2."""

from __future__ import annotations

import random
from dataclasses import dataclass
from http import HTTPStatus

from tests.e2e.hostile_requests import Headers
from tests.e2e.hostile_requests import hostile_request
from tests.e2e.hostile_responses import hostile_response

ID_HEADER = b"x-nh-id"
FAILING_SHARE = 0.03  # exchanges whose path makes the deliberately failing rule raise
FAILING_PATH = "/v2/devices/boom-"
H1_FRAMINGS = ("length", "length", "length", "chunked", "chunked", "close")
# HTTP/2 header lists are capped (mitmproxy refuses more than 64 KiB, counted as RFC 7541 does)
H2_HEADER_LIMIT = 30_000


@dataclass(frozen=True, slots=True)
class Exchange:
    id: str
    protocol: str  # h1 | h2
    request_kind: str
    response_kind: str
    method: str
    target: str  # path and query
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    chunked: bool  # HTTP/1.1 request body sent chunked
    status: int
    response_headers: tuple[tuple[bytes, bytes], ...]
    response_body: bytes
    framing: str  # HTTP/1.1: length | chunked | close; HTTP/2: length | none

    @property
    def fails(self) -> bool:
        return self.target.startswith(FAILING_PATH)


def _for_h2(headers: Headers) -> Headers:
    """HTTP/2 wants lower-case names and no surrounding whitespace in values (RFC 9113
    8.2.1); HPACK caps the header list, so cut what is too big."""
    kept: Headers = []
    budget = H2_HEADER_LIMIT
    for name, value in headers:
        value = value.strip(b" \t")[:budget]
        budget -= len(name) + len(value) + 32
        if budget < 0:
            break
        kept.append((name.lower(), value))
    return kept


def exchange(rng: random.Random, number: int, protocol: str) -> Exchange:
    request_kind, method, target, headers, body, chunked = hostile_request(rng)
    if rng.random() < FAILING_SHARE:
        target = f"{FAILING_PATH}{protocol}-{number}"
    if protocol == "h2":
        headers = _for_h2(headers)
        target = target[: H2_HEADER_LIMIT // 2]
    authorization = next((v for n, v in headers if n.lower() == b"authorization"), b"none")
    response_kind, status, response_headers, response_body = hostile_response(
        rng, authorization, token_request=request_kind == "token_endpoint"
    )
    if protocol == "h2":
        response_headers = _for_h2(response_headers)
    framing = rng.choice(H1_FRAMINGS) if protocol == "h1" else rng.choice(("length", "none"))
    return Exchange(
        id=f"{protocol}-{number}",
        protocol=protocol,
        request_kind=request_kind,
        response_kind=response_kind,
        method=method,
        target=target,
        headers=tuple(headers),
        body=body,
        chunked=chunked and protocol == "h1",
        status=status,
        response_headers=tuple(response_headers),
        response_body=response_body,
        framing=framing,
    )


def plan(seed: int, h1: int, h2: int) -> list[Exchange]:
    rng = random.Random(seed)
    return [exchange(rng, n, "h1") for n in range(h1)] + [exchange(rng, n, "h2") for n in range(h2)]


def _chunked(body: bytes, extension: bool) -> bytes:
    sizes = (1, 7, 4096, 65536)
    out, at, index = [], 0, 0
    while at < len(body):
        size = sizes[index % len(sizes)]
        piece = body[at : at + size]
        ext = b";ext=1" if extension and index == 0 else b""
        out.append(b"%x%s\r\n%s\r\n" % (len(piece), ext, piece))
        at, index = at + size, index + 1
    return b"".join(out) + b"0\r\n\r\n"


def _lines(headers: Headers) -> bytes:
    return b"".join(name + b": " + value + b"\r\n" for name, value in headers)


def h1_request(ex: Exchange, upstream_port: int) -> bytes:
    authority = f"127.0.0.1:{upstream_port}".encode()
    head = f"{ex.method} http://127.0.0.1:{upstream_port}{ex.target} HTTP/1.1\r\n".encode()
    headers = [(b"Host", authority), *ex.headers, (b"X-NH-Id", ex.id.encode())]
    body = ex.body
    if ex.chunked:
        headers.append((b"Transfer-Encoding", b"chunked"))
        body = _chunked(body, extension=len(body) % 2 == 0)
    elif body or ex.method in ("POST", "PUT", "PATCH"):
        headers.append((b"Content-Length", str(len(body)).encode()))
    headers.append((b"Connection", b"close"))
    return head + _lines(headers) + b"\r\n" + body


def h1_response(ex: Exchange) -> bytes:
    try:
        reason = HTTPStatus(ex.status).phrase.encode()
    except ValueError:
        reason = b"Whatever"
    headers = list(ex.response_headers)
    body = ex.response_body
    if ex.framing == "length":
        headers.append((b"content-length", str(len(body)).encode()))
    elif ex.framing == "chunked":
        headers.append((b"transfer-encoding", b"chunked"))
        body = _chunked(body, extension=ex.status == 401)
    headers.append((b"connection", b"close"))
    return b"HTTP/1.1 %d %s\r\n" % (ex.status, reason) + _lines(headers) + b"\r\n" + body


def h2_request(ex: Exchange, upstream_port: int) -> tuple[Headers, bytes]:
    pseudo = [
        (b":method", ex.method.encode()),
        (b":scheme", b"https"),
        (b":authority", f"127.0.0.1:{upstream_port}".encode()),
        (b":path", ex.target.encode()),
    ]
    extra = [(b"content-length", str(len(ex.body)).encode())] if ex.body else []
    return [*pseudo, *ex.headers, (ID_HEADER, ex.id.encode()), *extra], ex.body


def h2_response(ex: Exchange) -> tuple[Headers, bytes]:
    headers = [(b":status", str(ex.status).encode()), *ex.response_headers]
    if ex.framing == "length":
        headers.append((b"content-length", str(len(ex.response_body)).encode()))
    return headers, ex.response_body
