"""Facts about the token itself, decoded with PyJWT but never verified here.

Times are judged against the request's own send time ("now" of the flow), so that a
recording analysed next month does not call every token expired. Decoding is cached by
token, so a token reused on many requests is decoded once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import jwt

from authdoctor.engine.facts.header import Credential
from authdoctor.engine.facts.header import looks_like_jwt
from authdoctor.engine.facts.token_kind import kind_facts
from authdoctor.util import Deferred
from authdoctor.util import bounded_lru
from authdoctor.util import human_duration
from authdoctor.util import iso_utc

# Signature sizes in bytes that each algorithm family produces; shorter means truncated.
_SIGNATURE_BYTES: dict[str, tuple[int, ...]] = {
    "HS256": (32,), "HS384": (48,), "HS512": (64,),
    "ES256": (64,), "ES384": (96,), "ES512": (132,), "ES256K": (64,),
    "EdDSA": (64, 114), "Ed25519": (64,), "Ed448": (114,),
}  # fmt: skip
_RSA_BYTES = (128, 256, 384, 512)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# What `authdoctor redact` leaves of a signature: the claims stay readable for diagnosis.
REDACTED_SIGNATURE = re.compile(r"\[redacted:[0-9a-f]{12}\]")


@dataclass(frozen=True, slots=True)
class DecodedToken:
    """What can be read from a token without a key; `claims` are the JWT payload."""

    format: str
    fingerprint: str
    length: int
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    malformed_reason: str | None = None
    truncated: bool = False


def fingerprint(token: str) -> str:
    """A short, non-reversible id, so flows and reports can say 'the same token'."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:12]


def _b64url_decode(segment: str) -> bytes:
    """JWT segments are base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _signature_problem(alg: str, signature_segment: str) -> tuple[str, bool] | None:
    if alg == "none":
        return None
    if not _BASE64URL.fullmatch(signature_segment):
        return "the signature has characters that are not base64url", False
    if len(signature_segment) % 4 == 1:  # no base64 text has this length: a character is missing
        return "the signature's base64url text is one character short: the token was cut off", True
    try:
        size = len(_b64url_decode(signature_segment))
    except (binascii.Error, ValueError):
        return "the signature is not valid base64url", False
    expected = _RSA_BYTES if alg[:2] in ("RS", "PS") else _SIGNATURE_BYTES.get(alg)
    if not expected or size in expected:
        return None
    if size == 0:
        return f"the signature is missing ({alg} signs every token)", True
    want = " or ".join(str(n) for n in expected)
    if size < max(expected):
        return f"the {alg} signature is {size} bytes, {want} expected: the token was cut off", True
    return f"the {alg} signature is {size} bytes, {want} expected", False


def _header_alg(segment: str) -> str:
    """The alg of a JWT header segment, read leniently ('' when unreadable): PyJWT's own
    header reader also decodes the signature, and a cut signature would stop it."""
    try:
        header = json.loads(_b64url_decode(segment))
    except (binascii.Error, ValueError, RecursionError):
        return ""
    return str(header.get("alg", "")) if isinstance(header, dict) else ""


def _decode_redacted(token: str, segments: list[str]) -> DecodedToken:
    """A JWT whose signature a redaction removed: header and claims as they were."""
    try:
        header, claims = (
            json.loads(_b64url_decode(segments[0])),
            json.loads(_b64url_decode(segments[1])),
        )
    except (binascii.Error, ValueError, RecursionError):
        return _malformed(token, "a redacted JWT whose header or claims do not decode")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return _malformed(token, "a redacted JWT whose header or claims are not JSON objects")
    return DecodedToken("jwt", fingerprint(token), len(token), header=header, claims=claims)


def _malformed(token: str, reason: str, truncated: bool = False) -> DecodedToken:
    return DecodedToken(
        "malformed", fingerprint(token), len(token), malformed_reason=reason, truncated=truncated
    )


@bounded_lru(length=len)
def decode_token(token: str) -> DecodedToken:
    """Decode once per distinct token; never raises."""
    if not looks_like_jwt(token):
        return DecodedToken("opaque", fingerprint(token), len(token))
    segments = token.split(".")
    if len(segments) != 3:
        truncated = len(segments) == 2
        hint = " (the signature part is missing: cut off?)" if truncated else ""
        return _malformed(
            token, f"a JWT has 3 dot-separated parts, this has {len(segments)}{hint}", truncated
        )
    if REDACTED_SIGNATURE.fullmatch(segments[2]):
        return _decode_redacted(token, segments)
    alg = _header_alg(segments[0])
    # Judge the signature's length before PyJWT's strict base64 check, which calls most cuts
    # "Invalid crypto padding" and would hide that the token was cut off.
    problem = _signature_problem(alg, segments[2])
    if problem is not None:
        return _malformed(token, problem[0], problem[1])
    try:
        complete = jwt.api_jwt.decode_complete(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError) as e:
        return _malformed(token, f"does not decode as a JWT: {e}")
    header, claims = complete["header"], complete["payload"]
    return DecodedToken("jwt", fingerprint(token), len(token), header=header, claims=claims)


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float (JSON allows 1e400 written out)
        return None
    return number if math.isfinite(number) else None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _scopes(claims: dict[str, Any]) -> list[str] | None:
    scope = claims.get("scope", claims.get("scp"))
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list):
        return [str(s) for s in scope]
    return None


def time_facts(claims: dict[str, Any], now: float, leeway: int, window: int) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    exp, nbf, iat = _number(claims, "exp"), _number(claims, "nbf"), _number(claims, "iat")
    facts["token.time_known"] = exp is not None
    if exp is not None:
        remaining = int(exp - now)
        facts["token.exp_iso"] = Deferred(iso_utc, exp)
        facts["token.expires_in_s"] = remaining
        facts["token.expires_in"] = Deferred(human_duration, remaining)
        facts["token.expired"] = exp <= now - leeway
        facts["token.expired_ago"] = Deferred(human_duration, now - exp)
        facts["token.expiring_soon"] = not facts["token.expired"] and remaining <= window
    if nbf is not None:
        facts["token.nbf_iso"] = Deferred(iso_utc, nbf)
        facts["token.not_yet_valid"] = nbf > now + leeway
        facts["token.valid_in"] = Deferred(human_duration, nbf - now)
    if iat is not None:
        facts["token.iat_iso"] = Deferred(iso_utc, iat)
        facts["token.iat_ahead_s"] = int(iat - now)
        facts["token.iat_in_future"] = iat > now + leeway
        facts["token.iat_ahead"] = Deferred(human_duration, iat - now)
        if exp is not None and math.isfinite(exp - iat):  # 1e308 - -1e308 is not
            facts["token.lifetime"] = Deferred(human_duration, exp - iat)
            facts["token.lifetime_s"] = int(exp - iat)
    return facts


@bounded_lru(length=len)
def _static_facts(token: str) -> tuple[DecodedToken, dict[str, Any]]:
    """The facts that depend on the token alone, worked out once per distinct token (a
    session sends the same token many times). Callers copy the dict; they never change it."""
    decoded = decode_token(token)
    facts: dict[str, Any] = {
        "token.present": True,
        "token.format": decoded.format,
        "token.fingerprint": decoded.fingerprint,
        "token.length": decoded.length,
    }
    if decoded.malformed_reason:
        facts["token.malformed_reason"] = decoded.malformed_reason
        facts["token.truncated"] = decoded.truncated
    if decoded.format != "jwt":
        return decoded, facts
    header, claims = decoded.header, decoded.claims
    for name in ("alg", "kid", "typ"):
        if isinstance(header.get(name), str):
            facts[f"token.{name}"] = header[name]
    for name in ("iss", "sub"):
        if isinstance(claims.get(name), str):
            facts[f"token.{name}"] = claims[name]
    facts["token.aud"] = _as_list(claims.get("aud"))
    client = claims.get("client_id", claims.get("azp", claims.get("cid")))
    if isinstance(client, str):
        facts["token.client_id"] = client
    scopes = _scopes(claims)
    facts["token.has_scope_claim"] = scopes is not None
    if scopes is not None:
        facts["token.scopes"] = scopes
    if isinstance(roles := claims.get("roles"), list):
        facts["token.app_roles"] = [str(r) for r in roles]
    facts.update(kind_facts(header, claims))
    return decoded, facts


def token_facts(
    credential: Credential | None, now: float, leeway: int, window: int
) -> tuple[dict[str, Any], DecodedToken | None]:
    """Facts of the credential's token (empty when there is none); times against `now`."""
    if credential is None or not credential.value:
        return {"token.present": False}, None
    decoded, static = _static_facts(credential.value)
    facts = dict(static)
    if decoded.format == "jwt":
        facts.update(time_facts(decoded.claims, now, leeway, window))
    return facts, decoded
