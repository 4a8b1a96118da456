"""Secrets to seed into recordings, and the byte searches that prove they are gone, for the
redaction tests; the evidence they must keep (the challenge, the request id, authdoctor's own
annotations) is here too."""

from __future__ import annotations

import re
import secrets
from typing import Any

import jwt

CHALLENGE = 'Bearer realm="Company X API", error="invalid_token", error_description="expired"'
REQUEST_ID = "req_0123456789"
MARK = re.compile(r"\[redacted:[0-9a-f]{12}\]")
ANNOTATION = {
    "cause": "token_expired",
    "severity": "error",
    "findings": [{"rule": "token-expired", "cause": "token_expired", "title": "Token expired"}],
}
# authdoctor's own text: already safe, and it must reach the ticket as written (the URL is
# authdoctor's redacted_url, whose REDACTED would otherwise look like a value to replace).
COMMENT = (
    "authdoctor: Token expired (sha256:0123456789ab) on "
    "GET https://api.xxx.com/v1/orders?access_token=REDACTED\n1. Refresh the token"
)


class Canaries:
    """Distinct secrets, each unique enough that a byte search cannot hit anything else."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.jwts: list[str] = []

    def __call__(self, prefix: str = "cnry", size: int = 10) -> str:
        value = prefix + secrets.token_hex(size)
        self.values.append(value)
        return value

    def upper(self, prefix: str) -> str:
        value = prefix + secrets.token_hex(8).upper()
        self.values.append(value)
        return value

    def jwt(self, **claims: Any) -> str:
        payload = {"iss": "https://auth.xxx.com/", "sub": "svc-inventory", **claims}
        token = jwt.encode(payload, secrets.token_bytes(32), algorithm="HS256")
        self.jwts.append(token)
        self.values += [token, token.rsplit(".", 1)[1]]  # the whole token and its signature
        return token


def leaks(haystack: bytes, canaries: Canaries) -> list[str]:
    return [value for value in canaries.values if value.encode() in haystack]


def kept_segments(haystack: bytes, canaries: Canaries) -> list[str]:
    """header.payload of every JWT that did NOT survive (should be empty)."""
    return [t for t in canaries.jwts if t.rsplit(".", 1)[0].encode() not in haystack]
