"""A tiny loopback server that answers like the stacks of rules/stacks/ do, for e2e tests.

/istio/... is an Istio sidecar with an AuthorizationPolicy that requires a request
principal: RequestAuthentication lets a request without a token through, and Envoy's RBAC
filter answers it 403 "RBAC: access denied" (envoy rbac_filter.cc), `server: istio-envoy`.
/spring/... is a Spring Security resource server: it verifies the RS256 token with its key
and JwtTimestampValidator's 60 s of clock skew, and answers as BearerTokenAuthenticationEntryPoint
does. It really checks: a good token gets 200.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC
from datetime import datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

HOST = "127.0.0.1"
SPRING_SKEW = 60  # JwtTimestampValidator's default clock skew, seconds
RFC6750 = "https://tools.ietf.org/html/rfc6750#section-3.1"
DECODE_ERROR = "An error occurred while attempting to decode the Jwt: "

type Answer = tuple[int, list[tuple[str, str]], bytes]


def istio(authorization: str | None) -> Answer:
    if not authorization:
        return (
            403,
            [("content-type", "text/plain"), ("server", "istio-envoy")],
            b"RBAC: access denied",
        )
    body = json.dumps({"orders": []}).encode()
    return 200, [("content-type", "application/json"), ("server", "istio-envoy")], body


def spring(authorization: str | None, key: RSAPublicKey) -> Answer:
    if not authorization or not authorization.startswith("Bearer "):
        return 401, [("www-authenticate", "Bearer")], b""
    try:
        jwt.decode(authorization[7:], key, algorithms=["RS256"], leeway=SPRING_SKEW,
                   options={"verify_aud": False})  # fmt: skip
    except jwt.ExpiredSignatureError:
        claims = jwt.decode(authorization[7:], options={"verify_signature": False})
        expired = datetime.fromtimestamp(claims["exp"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return _spring_invalid(f"Jwt expired at {expired}")
    except jwt.InvalidSignatureError:
        return _spring_invalid("Signed JWT rejected: Invalid signature")
    except jwt.InvalidTokenError:
        return _spring_invalid("Malformed token")
    return 200, [("content-type", "application/json")], b'{"orders": []}'


def _spring_invalid(message: str) -> Answer:
    challenge = (
        f'Bearer error="invalid_token", error_description="{DECODE_ERROR}{message}", '
        f'error_uri="{RFC6750}"'
    )
    return 401, [("www-authenticate", challenge), ("x-content-type-options", "nosniff")], b""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization")
        if self.path.startswith("/istio/"):
            status, headers, body = istio(authorization)
        elif self.path.startswith("/spring/"):
            status, headers, body = spring(authorization, self.server.key)
        else:
            status, headers, body = 404, [("content-type", "text/plain")], b"not found"
        self.send_response_only(status)
        self.send_header("date", formatdate(usegmt=True))
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: request lines and headers may carry tokens."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, key: RSAPublicKey) -> None:
        super().__init__((HOST, 0), _Handler)
        self.key = key


class StackServer:
    """The server on a free loopback port, in a daemon thread; a context manager."""

    def __init__(self, key: RSAPublicKey) -> None:
        self._httpd = _Server(key)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._httpd.server_address[1]}"

    def __enter__(self) -> StackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
