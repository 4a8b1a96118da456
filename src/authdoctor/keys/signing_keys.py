"""Signing keys (a JWKS document, PEM public keys, an HMAC shared secret) and signature checks.

A verdict is one word, kept apart from the claims verdicts: valid, invalid (the signature does
not verify), no_key (no key with the token's kid: often a key rotation), alg_not_allowed (the
header's alg does not fit any key, e.g. HS256 against RSA keys), alg_none. Where keys come
from (files, secrets, fetched sets) is key_sources.py's and key_fetch.py's business.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed448
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from authdoctor.errors import AuthDoctorError
from authdoctor.errors import LoadError
from authdoctor.util import bounded_lru

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})


class KeySetError(AuthDoctorError, ValueError):
    """A document is not a usable key set; the message says why (never a key)."""


@dataclass(frozen=True, slots=True, eq=False)  # identity: key objects are not hashable
class SigningKey:
    kid: str | None
    algorithms: frozenset[str]
    key: Any


@dataclass(frozen=True, slots=True, eq=False)  # identity: the verdict cache keys on it
class KeySet:
    source: str
    keys: tuple[SigningKey, ...]


def _for_token(
    key_sets: tuple[KeySet, ...], kid: str | None, alg: str
) -> tuple[str, tuple[SigningKey, ...]]:
    """('ok', keys to try) or the verdict that ends the check."""
    if alg == "none":
        return "alg_none", ()
    candidates = tuple(key for key_set in key_sets for key in key_set.keys)
    if kid is not None:
        # Keys named by kid first; keys without a kid (PEM files, secrets) fit any token.
        candidates = tuple(k for k in candidates if k.kid == kid) or tuple(
            k for k in candidates if k.kid is None
        )
        if not candidates:
            return "no_key", ()
    fitting = tuple(k for k in candidates if alg in k.algorithms)
    return ("ok", fitting) if fitting else ("alg_not_allowed", ())


def _algorithms(key: Any) -> frozenset[str]:
    if isinstance(key, rsa.RSAPublicKey):
        return frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
    if isinstance(key, ec.EllipticCurvePublicKey):
        return frozenset({{256: "ES256", 384: "ES384", 521: "ES512"}.get(key.curve.key_size, "")})
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return frozenset({"EdDSA", "Ed25519", "Ed448"})
    return frozenset()


def parse_jwks(document: Any, source: str, skip_unusable: bool = False) -> KeySet:
    """A JWKS ({"keys": [...]}) as a KeySet. A file the user keeps must be wholly usable; a
    fetched set may carry keys PyJWT cannot use (skip_unusable), as long as one is left."""
    keys: list[SigningKey] = []
    first_problem = ""
    try:
        entries = document["keys"]
        if not isinstance(entries, list):
            raise TypeError("'keys' is not a list")
    except (KeyError, TypeError) as e:
        raise KeySetError(f"not a usable JWKS: {e}") from None
    for entry in entries:
        try:
            key = jwt.PyJWK(entry).key
            kid = entry.get("kid")
            keys.append(SigningKey(kid if isinstance(kid, str) else None, _algorithms(key), key))
        except (ValueError, KeyError, TypeError, AttributeError, jwt.PyJWTError) as e:
            if not skip_unusable:
                raise KeySetError(f"not a usable JWKS: {e}") from None
            first_problem = first_problem or str(e)
    if not keys:
        detail = f"not a usable JWKS: {first_problem}" if first_problem else "no public keys found"
        raise KeySetError(detail)
    return KeySet(source, tuple(keys))


def load_key_set(path: Path) -> KeySet:
    """A JWKS document ({"keys": [...]}) or one or more PEM public keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError(f"cannot read signing keys: {e}", file=str(path)) from None
    if text.lstrip().startswith("{"):
        try:
            return parse_jwks(json.loads(text), str(path))
        except ValueError as e:  # KeySetError, or JSON that does not parse
            message = str(e) if isinstance(e, KeySetError) else f"not a usable JWKS: {e}"
            raise LoadError(message, file=str(path)) from None
    keys: list[SigningKey] = []
    for block in text.split("-----END PUBLIC KEY-----")[:-1]:
        try:
            key = load_pem_public_key((block + "-----END PUBLIC KEY-----").strip().encode())
        except ValueError as e:
            raise LoadError(f"not a PEM public key: {e}", file=str(path)) from None
        keys.append(SigningKey(None, _algorithms(key), key))
    if not keys:
        raise LoadError("no public keys found", file=str(path))
    return KeySet(str(path), tuple(keys))


def hmac_key_set(secret: bytes, source: str) -> KeySet:
    """A shared secret for HS256/384/512; `source` says where it came from, never what it is."""
    return KeySet(source, (SigningKey(None, HMAC_ALGORITHMS, secret),))


@bounded_lru(length=lambda token, *_: len(token))
def verify_signature(token: str, key_sets: tuple[KeySet, ...], kid: str | None, alg: str) -> str:
    """The signature verdict for this token under all these keys; never raises."""
    verdict, candidates = _for_token(key_sets, kid, alg)
    if verdict != "ok":
        return verdict
    for candidate in candidates:
        try:
            with warnings.catch_warnings():  # a short shared secret is the user's to judge
                warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
                jwt.api_jws.PyJWS().decode_complete(token, candidate.key, algorithms=[alg])
            return "valid"
        except jwt.InvalidSignatureError:
            continue
        except (jwt.PyJWTError, ValueError, TypeError):
            return "invalid"
    return "invalid"
