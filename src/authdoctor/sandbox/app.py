"""Sandbox: one Company X environment (authorization server + API) on one loopback port."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import jwt

from authdoctor.sandbox import api
from authdoctor.sandbox import oauth
from authdoctor.sandbox import tokens
from authdoctor.sandbox.environments import environment as find_environment
from authdoctor.sandbox.keys import SigningKey
from authdoctor.sandbox.messages import Request
from authdoctor.sandbox.messages import Response
from authdoctor.sandbox.ratelimit import RateCounter
from authdoctor.sandbox.registry import Registry
from authdoctor.sandbox.server import HOST
from authdoctor.sandbox.server import Server

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_CLIENT_SCOPES = (
    "read write devices:read devices:manage policies:read policies:write logs:read admin"
)
MINT_KEYS = ("own", "foreign", "none")


class Sandbox:
    """A stand-in for api.xxx.com or api.staging.xxx.com with its own RSA key and clock.

    `clock_offset` (seconds, settable while running) skews everything the server does:
    token dates, validation and the Date header, to reproduce clock-skew failures.
    """

    def __init__(
        self, environment: str = "production", port: int = 0, clock_offset: float = 0.0
    ) -> None:
        env = find_environment(environment)
        self.environment = env.name
        self.issuer = env.issuer
        self.audience = env.audience
        self.port = port
        self.clock_offset = float(clock_offset)
        self.key = SigningKey.generate()
        self.registry = Registry()
        self.rate_counter = RateCounter()
        self.registry.register_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CLIENT_SCOPES)
        self._foreign_key: SigningKey | None = None
        self._server: Server | None = None
        self._lifecycle = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def now(self) -> float:
        """The server clock: real time plus clock_offset."""
        return time.time() + self.clock_offset

    def start(self) -> Sandbox:
        """Listen on 127.0.0.1 (port 0 picks a free one) and serve in a daemon thread."""
        with self._lifecycle:
            if self._server is None:
                server = Server(self, self.port)
                server.start()
                self.port = server.port
                self._server = server
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice or before start."""
        with self._lifecycle:
            server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def handle(self, request: Request) -> Response:
        """Authorization-server paths first, everything else is the API."""
        return oauth.handle(request, self) or api.handle(request, self)

    def mint(
        self,
        *,
        scope: str = "read write",
        lifetime: int = tokens.ACCESS_TOKEN_LIFETIME,
        claims: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        issuer: str | None = None,
        key: str = "own",
    ) -> str:
        """Sign an access token as the token endpoint would, for demo-client, now.

        `claims` override or add claims and `headers` JWT header fields; a value of None
        removes that claim or header. `key`: "own" (this environment's key), "foreign"
        (a key never published in the JWKS) or "none" (unsigned, alg "none").
        """
        if key not in MINT_KEYS:
            raise ValueError(f"key must be one of {MINT_KEYS}, not {key!r}")
        payload = tokens.access_token_claims(
            issuer=self.issuer if issuer is None else issuer,
            audience=self.audience,
            client_id=DEMO_CLIENT_ID,
            scope=scope,
            now=self.now(),
            lifetime=lifetime,
        )
        payload.update(claims or {})
        payload = {name: value for name, value in payload.items() if value is not None}
        return tokens.sign(payload, self._signing_key(key), headers or {})

    def _signing_key(self, name: str) -> SigningKey | None:
        if name == "none":
            return None
        if name == "own":
            return self.key
        if self._foreign_key is None:  # made on first use: key generation is slow
            self._foreign_key = SigningKey.generate()
        return self._foreign_key

    def register_client(
        self, client_id: str, client_secret: str, scopes: str, status: str = "active"
    ) -> None:
        """Add or replace an API application; `scopes` is what it may request."""
        self.registry.register_client(client_id, client_secret, scopes, status)

    def set_client_status(self, client_id: str, status: str) -> None:
        """Set "active", "revoked" or "suspended" as in the admin portal; tokens follow at once."""
        self.registry.set_client_status(client_id, status)

    def revoke(self, token: str) -> None:
        """Revoke as the admin portal does: a refresh token, or an access token by its jti."""
        if self.registry.revoke_refresh_token(token):
            return
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise ValueError("not an access token (JWT) nor a live refresh token") from None
        token_id = claims.get("jti")
        if not isinstance(token_id, str):
            raise ValueError("the access token has no jti to revoke")
        self.registry.revoke_token_id(token_id)
