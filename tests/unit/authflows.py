"""Flows for the pipeline tests, built with mitmproxy's tflow/tutils.

tutils fixes every request at 2000-01-01 (timestamp_start 946681200), and authdoctor judges
tokens against the request's own send time, so tokens here are minted relative to it. Error
answers are shaped like the Company X API's (runbook-401.md): a Bearer challenge with the
realm, and a JSON body with error, error_description, error_code, timestamp and request_id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from mitmproxy import http
from mitmproxy.test import tflow
from mitmproxy.test import tutils

PRODUCTION_ISSUER = "https://auth.xxx.com/"
PRODUCTION_AUDIENCE = "https://api.xxx.com"
STAGING_ISSUER = "https://auth.staging.xxx.com/"
STAGING_AUDIENCE = "https://api.staging.xxx.com"
CLIENT_ID = "cli_8f2a91"
REQUEST_ID = "req_0123456789"
REALM = 'Bearer realm="Company X API"'
SENT = tutils.treq().timestamp_start  # what tflow uses for every request: year 2000

type Headers = Sequence[tuple[str, str]]


class Issuer:
    """Mints RS256 access tokens whose times are offsets from the request time."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def token(
        self,
        *,
        scope: str | None = "read write",
        iss: str = PRODUCTION_ISSUER,
        aud: str | list[str] = PRODUCTION_AUDIENCE,
        issued: int | None = -600,
        expires: int | None = 3000,
        not_before: int | None = None,
        **claims: Any,
    ) -> str:
        """A token; issued/expires/not_before are seconds from the request time (None: left out)."""
        payload: dict[str, Any] = {
            "iss": iss,
            "sub": "svc-inventory",
            "aud": aud,
            "client_id": CLIENT_ID,
            "jti": "4f1c2b7e-93aa-4d0e-8c55-0e6d1f2a3b4c",
        }
        if scope is not None:
            payload["scope"] = scope
        for name, offset in (("iat", issued), ("exp", expires), ("nbf", not_before)):
            if offset is not None:
                payload[name] = int(SENT) + offset
        payload.update(claims)
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "cx-2026-01"})


def _headers(pairs: Headers) -> http.Headers:
    return http.Headers([(k.encode(), v.encode()) for k, v in pairs])


def request(
    url: str, *, method: str = "GET", headers: Headers = (), content: bytes = b""
) -> http.Request:
    """A request sent at the tflow time, to `url`."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = [("content-length", str(len(content)))] if content else []
    return tutils.treq(
        method=method.encode(),
        scheme=parts.scheme.encode(),
        host=parts.hostname,
        port=parts.port or (443 if parts.scheme == "https" else 80),
        path=path.encode(),
        headers=_headers([*headers, *extra]),
        content=content,
    )


def response(
    status: int = 200,
    *,
    headers: Headers = (),
    body: Any = None,
    date_offset: int = 0,
    date: bool = True,
) -> http.Response:
    """A response; its Date header is the request time plus `date_offset` seconds."""
    pairs = [("Date", formatdate(SENT + date_offset, usegmt=True))] if date else []
    content = b""
    if body is not None:
        content = json.dumps(body).encode()
        pairs.append(("Content-Type", "application/json"))
    return tutils.tresp(
        status_code=status, reason=b"", headers=_headers([*pairs, *headers]), content=content
    )


def company_x_error(
    status: int = 401,
    *,
    error: str | None = "invalid_token",
    description: str = "The access token is invalid or has expired",
    code: str = "E-AUTH-001",
    scope: str | None = None,
    date_offset: int = 0,
) -> http.Response:
    """Company X's error answer. error=None: the challenge without error= (no usable token)."""
    challenge = REALM
    if error is not None:
        challenge += f', error="{error}", error_description="{description}"'
    if scope is not None:
        challenge += f', scope="{scope}"'
    body = {
        "error": "unauthorized" if status == 401 else "forbidden",
        "error_description": description,
        "error_code": code,
        "timestamp": datetime.fromtimestamp(SENT, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request_id": REQUEST_ID,
    }
    return response(
        status, headers=[("WWW-Authenticate", challenge)], body=body, date_offset=date_offset
    )


def flow(
    url: str,
    *,
    method: str = "GET",
    headers: Headers = (),
    content: bytes = b"",
    resp: http.Response | None = None,
) -> http.HTTPFlow:
    """A flow; resp=None means the response has not arrived yet."""
    req = request(url, method=method, headers=headers, content=content)
    return tflow.tflow(req=req, resp=resp if resp is not None else False)


def bearer(token: str) -> tuple[str, str]:
    return ("Authorization", f"Bearer {token}")
