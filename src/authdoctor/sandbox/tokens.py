"""Minting and verifying RS256 access tokens the way the Company X authorization server does,
and the OpenID Connect ID tokens it hands out beside them.

Verification is strict and ordered (signature, typ, exp, nbf, iss, aud), and each failure
carries the description a real server would give: precise for expiry, signature and garbage,
generic for the rest, so that authdoctor has to infer those causes itself.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from numbers import Real
from typing import Any

import jwt

from authdoctor.sandbox.keys import SigningKey

ACCESS_TOKEN_LIFETIME = 3600

EXPIRED = "Token has expired"
BAD_SIGNATURE = "Token signature verification failed"
MALFORMED = "The access token is malformed"
INVALID = "The access token is invalid or has expired"

# Claims are checked by hand below, in a fixed order and against the sandbox clock.
_SIGNATURE_ONLY: Any = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "require": [],
}


class TokenRejected(Exception):
    """The access token is not acceptable; `description` goes into WWW-Authenticate."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def access_token_claims(
    *, issuer: str, audience: str, client_id: str, scope: str, now: float, lifetime: int
) -> dict[str, Any]:
    """The RFC 9068 claim set for a client_credentials token (sub is the client)."""
    issued_at = int(now)
    return {
        "iss": issuer,
        "sub": client_id,
        "aud": audience,
        "client_id": client_id,
        "scope": scope,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "jti": secrets.token_hex(16),
    }


def at_hash(access_token: str) -> str:
    """OIDC Core 3.1.3.6: the left half of the access token's SHA-256 (RS256), base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def id_token_claims(
    *, issuer: str, client_id: str, access_token: str, nonce: str | None, now: float, lifetime: int
) -> dict[str, Any]:
    """An OpenID Connect ID token for the client itself: its audience is the client, not the API."""
    issued_at = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": client_id,
        "aud": client_id,
        "azp": client_id,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "at_hash": at_hash(access_token),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return claims


def sign(claims: dict[str, Any], key: SigningKey | None, headers: dict[str, Any]) -> str:
    """Sign with RS256 (kid and typ "at+jwt" by default), or leave unsigned when key is None.

    A header value of None removes that header.
    """
    merged = {"typ": "at+jwt", **({"kid": key.kid} if key else {}), **headers}
    # PyJWT drops a falsy typ itself, and would put "JWT" back if typ were simply absent.
    merged = {name: value for name, value in merged.items() if value is not None or name == "typ"}
    if key is None:
        return jwt.encode(claims, None, algorithm="none", headers=merged)
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers=merged)


def verify(
    token: str, key: SigningKey, *, issuer: str, audience: str, now: float
) -> dict[str, Any]:
    """Return the claims of an acceptable token, else raise TokenRejected."""
    claims = verify_signature(token, key)
    _validate_typ(jwt.get_unverified_header(token))
    _validate_exp(claims, now)
    _validate_nbf(claims, now)
    _validate_iss(claims, issuer)
    _validate_aud(claims, audience)
    return claims


def verify_signature(token: str, key: SigningKey) -> dict[str, Any]:
    """The claims of a token signed with `key` (RS256 only), whatever its dates say."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise TokenRejected(MALFORMED) from None
    # Only RS256 with this environment's key; another kid means a key we never published.
    if header.get("alg") != "RS256" or header.get("kid", key.kid) != key.kid:
        raise TokenRejected(BAD_SIGNATURE)
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key.public_key, algorithms=["RS256"], options=_SIGNATURE_ONLY
        )
    except jwt.InvalidSignatureError:
        raise TokenRejected(BAD_SIGNATURE) from None
    except jwt.InvalidTokenError:
        raise TokenRejected(MALFORMED) from None
    return claims


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _validate_typ(header: dict[str, Any]) -> None:
    """RFC 9068 section 4: only JWTs typed at+jwt are access tokens (ID tokens say "JWT")."""
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") != "at+jwt":
        raise TokenRejected(INVALID)


def _validate_exp(claims: dict[str, Any], now: float) -> None:
    exp = claims.get("exp")
    if not _is_number(exp):
        raise TokenRejected(INVALID)
    if now >= exp:  # RFC 7519 §4.1.4: "on or after", no leeway
        raise TokenRejected(EXPIRED)


def _validate_nbf(claims: dict[str, Any], now: float) -> None:
    if "nbf" not in claims:
        return
    nbf = claims["nbf"]
    if not _is_number(nbf) or now < nbf:
        raise TokenRejected(INVALID)


def _validate_iss(claims: dict[str, Any], issuer: str) -> None:
    if claims.get("iss") != issuer:
        raise TokenRejected(INVALID)


def _validate_aud(claims: dict[str, Any], audience: str) -> None:
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise TokenRejected(INVALID)


def granted_scopes(claims: dict[str, Any]) -> set[str]:
    """Scopes from `scope` (space-separated) and/or `scp` (a list, as some IdPs send it)."""
    granted: set[str] = set()
    scope = claims.get("scope")
    if isinstance(scope, str):
        granted.update(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, str):
        granted.update(scp.split())
    elif isinstance(scp, list):
        granted.update(item for item in scp if isinstance(item, str))
    return granted
