"""Hostile answers for the never-harm test: what a broken or malicious API can send back.

Each maker returns (category, status, headers, body). Bodies are exactly the bytes on the
wire after any framing: compressed bodies are compressed here, and a declared encoding may
lie about them.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from email.utils import formatdate

from mitmproxy.net import encoding

from tests.e2e.hostile_requests import Headers
from tests.e2e.hostile_requests import jwt
from tests.e2e.hostile_requests import random_bytes
from tests.e2e.hostile_requests import random_text

type Response = tuple[str, int, Headers, bytes]

JSON = (b"content-type", b"application/json")
OAUTH_ERRORS = (
    "invalid_token", "insufficient_scope", "invalid_request", "invalid_grant", "invalid_client",
    "unauthorized_client", "unsupported_grant_type", "invalid_scope", "E-AUTH-001", "", "x" * 500,
)  # fmt: skip


def _challenge(rng: random.Random) -> bytes:
    kind = rng.randrange(9)
    if kind == 0:  # unclosed quotes
        return b'Bearer realm="api, error="invalid_token, error_description="the token'
    if kind == 1:  # thousands of params
        params = ", ".join(
            f'p{i}="{random_text(rng, 0, 12)}"' for i in range(rng.randint(500, 3000))
        )
        return f"Bearer {params}".encode()
    if kind == 2:  # escapes, nested quotes, empty pieces
        return b'Bearer error="invalid_token\\", scope=\\"a b\\"", ,,,, =, ="", realm=' + b"\\" * 99
    if kind == 3:  # latin-1 and invalid UTF-8 bytes
        return b'Bearer error="invalid_token", error_description="caf\xe9 \xff\xfe \xc3\x28"'
    if kind == 4:  # several schemes in one header
        return b'Basic realm="x", Bearer error="insufficient_scope", scope="' + b"s " * 2000 + b'"'
    if kind == 5:
        return b"Bearer"
    if kind == 6:  # the token echoed in the challenge
        return f'Bearer error="invalid_token", error_description="{jwt(rng)}"'.encode()
    error = rng.choice(OAUTH_ERRORS)
    scope = rng.choice(("read", "devices:read admin", "", "x" * 5000))
    return f'Bearer realm="api", error="{error}", scope="{scope}"'.encode()


def challenges(rng: random.Random) -> Response:
    headers = [(b"www-authenticate", _challenge(rng))]
    for _ in range(rng.choice((0, 0, 1, 40))):  # repeated, each one short
        headers.append((b"www-authenticate", _challenge(rng)[:200]))
    return "www_authenticate", rng.choice((401, 401, 403, 400)), [JSON, *headers], b'{"error":1}'


def _error_object(rng: random.Random) -> dict[str, object]:
    return {
        "error": rng.choice((*OAUTH_ERRORS, None, 7, ["invalid_token"], {"code": "E-AUTH-001"})),
        "error_description": rng.choice(("The access token is invalid or has expired", "", 3)),
        "code": rng.choice(("E-AUTH-001", "E-AUTH-999", 401, None)),
        "message": rng.choice(("Unauthorized", "Invalid API Key provided: sk_live_****1234", "")),
    }


def huge_json(rng: random.Random) -> Response:
    size = rng.choice((300_000, 1_000_000, 4_000_000))
    error = _error_object(rng)
    error["error_description"] = random_text(rng, 100, 200) * (size // 150)
    body = json.dumps(error).encode()
    return "huge_json", rng.choice((401, 403, 400)), [JSON], body


def nested_json(rng: random.Random) -> Response:
    depth = rng.choice((100, 1000, 1000, 20_000, 20_000, 100_000))
    opening, closing = rng.choice(((b'{"error":', b"}"), (b"[", b"]"), (b'{"a":[', b"]}")))
    body = opening * depth + b'"invalid_token"' + closing * (depth if rng.random() < 0.7 else 3)
    return "nested_json", rng.choice((401, 403, 400)), [JSON], body


def invalid_utf8(rng: random.Random) -> Response:
    body = b'{"error": "invalid_token", "error_description": "\xff\xfe\xc3\x28 \xed\xa0\x80"}'
    content_type = rng.choice((b"application/json; charset=utf-8", b"text/plain; charset=utf-8"))
    return "invalid_utf8", rng.choice((401, 403)), [(b"content-type", content_type)], body


def binary(rng: random.Random) -> Response:
    content_type = rng.choice((b"application/octet-stream", b"application/json", b"text/plain"))
    body = random_bytes(rng, 0, rng.choice((100, 5000, 100_000)))
    return "binary", rng.choice((401, 403, 200, 400)), [(b"content-type", content_type)], body


def compressed(rng: random.Random) -> Response:
    plain = json.dumps(_error_object(rng)).encode() * rng.choice((1, 100, 3000))
    if rng.random() < 0.3:
        plain = token_answer(rng)[3]
    actual = rng.choice(("gzip", "deflate", "br", "zstd"))
    body = encoding.encode(plain, actual)
    shape = rng.randrange(5)
    if shape == 0:  # undeclared
        declared = None
    elif shape == 1:  # declared, but another encoding
        declared = rng.choice(("gzip", "deflate", "br", "zstd", "gzip, br", "identity", "x"))
    elif shape == 2:  # declared, but not compressed at all
        declared, body = actual, plain
    else:
        declared = actual
    headers = [JSON] + ([(b"content-encoding", declared.encode())] if declared else [])
    return f"compressed_{actual}", rng.choice((401, 403, 400, 200)), headers, body


def date_off(rng: random.Random) -> Response:
    date = rng.choice(
        (
            b"Thu, 01 Jan 1970 00:00:00 GMT",
            b"Fri, 31 Dec 9999 23:59:59 GMT",
            b"Mon, 01 Jan 1990 00:00:00 GMT",
            b"yesterday",
            b"",
            b"Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
            formatdate(time.time() + rng.choice((-7200, -400, 400, 86400)), usegmt=True).encode(),
        )
    )
    challenge = b'Bearer error="invalid_token", error_description="The token expired"'
    headers = [JSON, (b"date", date), (b"www-authenticate", challenge)]
    return "date_off", 401, headers, json.dumps(_error_object(rng)).encode()


def echo_token(rng: random.Random, authorization: bytes) -> Response:
    body = b"Invalid token: " + authorization + b"\n" + authorization * rng.randint(1, 3)
    return "echo_token", rng.choice((401, 403)), [(b"content-type", b"text/plain")], body


def token_answer(rng: random.Random) -> Response:
    shape = rng.randrange(3)
    if shape == 0:
        body = json.dumps(
            {
                "access_token": jwt(rng),
                "token_type": rng.choice(("Bearer", "mac")),
                "expires_in": rng.choice((3600, -5, "x", 10**30)),
                "refresh_token": jwt(rng),
                "id_token": jwt(rng),
                "scope": rng.choice(("read", 5, None)),
            }
        ).encode()
        return "token_answer", 200, [JSON], body
    error = _error_object(rng)
    status = rng.choice((400, 401, 403, 500))
    return "token_error", status, [JSON], json.dumps(error).encode()


def plain_ok(rng: random.Random) -> Response:
    return "ok", 200, [JSON], b'{"devices": []}'


MAKERS: tuple[tuple[Callable[[random.Random], Response], float], ...] = (
    (challenges, 22),
    (huge_json, 0.4),
    (nested_json, 5),
    (invalid_utf8, 6),
    (binary, 6),
    (compressed, 16),
    (date_off, 8),
    (token_answer, 10),
    (plain_ok, 14),
)


def hostile_response(rng: random.Random, authorization: bytes, token_request: bool) -> Response:
    if rng.random() < 0.08:
        return echo_token(rng, authorization)
    if token_request and rng.random() < 0.5:
        return token_answer(rng)
    makers, weights = zip(*MAKERS, strict=True)
    return rng.choices(makers, weights)[0](rng)
