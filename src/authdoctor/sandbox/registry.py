"""The authorization server's memory: clients, refresh-token grants and revoked token ids.

Shared by request threads and by the test or demo driving the sandbox, hence one lock.
Secrets are kept only as SHA-256 digests and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from dataclasses import field

CLIENT_STATUSES = ("active", "revoked", "suspended")
REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600


@dataclass
class Client:
    """An API application as listed in the admin portal (Settings > API > Applications)."""

    client_id: str
    secret_digest: bytes
    scopes: frozenset[str]
    status: str = "active"


@dataclass
class Grant:
    """What a refresh token stands for; it survives rotation, the token itself does not."""

    client_id: str
    scope: str
    expires_at: float
    access_token_ids: set[str] = field(default_factory=set)


def new_grant(client_id: str, scope: str, now: float) -> Grant:
    """A grant as made by a client_credentials request; its refresh tokens live 30 days."""
    return Grant(client_id, scope, now + REFRESH_TOKEN_LIFETIME)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _check_status(status: str) -> None:
    if status not in CLIENT_STATUSES:
        raise ValueError(f"unknown client status {status!r}; expected one of {CLIENT_STATUSES}")


class Registry:
    """Clients, live refresh tokens and revoked access-token ids (jti)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Client] = {}
        self._refresh_tokens: dict[str, Grant] = {}
        self._revoked_ids: set[str] = set()

    def register_client(
        self, client_id: str, client_secret: str, scopes: str, status: str = "active"
    ) -> None:
        """Add or replace a client; `scopes` is the space-separated list it may request."""
        _check_status(status)
        client = Client(client_id, _digest(client_secret), frozenset(scopes.split()), status)
        with self._lock:
            self._clients[client_id] = client

    def set_client_status(self, client_id: str, status: str) -> None:
        """Revoke, suspend or reactivate a client; its existing tokens follow at once."""
        _check_status(status)
        with self._lock:
            self._clients[client_id].status = status

    def authenticate(self, client_id: str, client_secret: str) -> Client | None:
        """The active client with this secret, else None (callers must not say why)."""
        with self._lock:
            client = self._clients.get(client_id)
        digest = _digest(client_secret)
        if client is None or not hmac.compare_digest(client.secret_digest, digest):
            return None
        return client if client.status == "active" else None

    def is_active(self, client_id: str) -> bool:
        with self._lock:
            client = self._clients.get(client_id)
        return client is not None and client.status == "active"

    def issue_refresh_token(self, grant: Grant) -> str:
        """An opaque random refresh token for `grant`."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh_tokens[token] = grant
        return token

    def find_grant(self, refresh_token: str, client_id: str, now: float) -> Grant | None:
        """The live grant behind a refresh token presented by its own client, else None."""
        with self._lock:
            grant = self._refresh_tokens.get(refresh_token)
            if grant is not None and now >= grant.expires_at:
                del self._refresh_tokens[refresh_token]
                grant = None
        if grant is None or grant.client_id != client_id:
            return None
        return grant

    def rotate_refresh_token(self, refresh_token: str) -> str | None:
        """Invalidate the presented refresh token and issue its successor for the same grant.

        None when another request rotated it first.
        """
        with self._lock:
            grant = self._refresh_tokens.pop(refresh_token, None)
        return None if grant is None else self.issue_refresh_token(grant)

    def record_access_token(self, grant: Grant, token_id: str) -> None:
        """Remember which access tokens a grant produced, so revoking it can revoke them."""
        with self._lock:
            grant.access_token_ids.add(token_id)

    def revoke_refresh_token(self, refresh_token: str, client_id: str | None = None) -> bool:
        """Drop a refresh token and the access tokens of its grant (RFC 7009 §2.1).

        With `client_id`, only that client's tokens can be revoked.
        """
        with self._lock:
            grant = self._refresh_tokens.get(refresh_token)
            if grant is None or client_id not in (None, grant.client_id):
                return False
            del self._refresh_tokens[refresh_token]
            self._revoked_ids.update(grant.access_token_ids)
        return True

    def revoke_token_id(self, token_id: str) -> None:
        with self._lock:
            self._revoked_ids.add(token_id)

    def is_revoked(self, token_id: str) -> bool:
        with self._lock:
            return token_id in self._revoked_ids
