"""Signing keys an API's profile names (a JWKS or PEM file), and signature checks with them.

Only local files: nothing is fetched. A verdict is one word, kept apart from the claims
verdicts: valid, invalid (the signature does not verify), no_key (no key with the token's kid:
often a key rotation), alg_not_allowed (the header's alg does not fit any key, e.g. HS256
against RSA keys), alg_none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed448
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from authdoctor.errors import LoadError

VERIFY_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True, eq=False)  # identity: key objects are not hashable
class SigningKey:
    kid: str | None
    algorithms: frozenset[str]
    key: Any


@dataclass(frozen=True, slots=True, eq=False)  # identity: the verdict cache keys on it
class KeySet:
    source: str
    keys: tuple[SigningKey, ...]

    def for_token(self, kid: str | None, alg: str) -> tuple[str, tuple[SigningKey, ...]]:
        """('ok', keys to try) or the verdict that ends the check."""
        if alg == "none":
            return "alg_none", ()
        candidates = self.keys
        if kid is not None:
            # Keys named by kid first; keys without a kid (PEM files) fit any token.
            candidates = tuple(k for k in self.keys if k.kid == kid) or tuple(
                k for k in self.keys if k.kid is None
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


def load_key_set(path: Path) -> KeySet:
    """A JWKS document ({"keys": [...]}) or one or more PEM public keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError(f"cannot read signing keys: {e}", file=str(path)) from None
    keys: list[SigningKey] = []
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
            for entry in document["keys"]:
                key = jwt.PyJWK(entry).key
                keys.append(SigningKey(entry.get("kid"), _algorithms(key), key))
        except (ValueError, KeyError, TypeError, jwt.PyJWKError, jwt.InvalidKeyError) as e:
            raise LoadError(f"not a usable JWKS: {e}", file=str(path)) from None
    else:
        for block in text.split("-----END PUBLIC KEY-----")[:-1]:
            try:
                key = load_pem_public_key((block + "-----END PUBLIC KEY-----").strip().encode())
            except ValueError as e:
                raise LoadError(f"not a PEM public key: {e}", file=str(path)) from None
            keys.append(SigningKey(None, _algorithms(key), key))
    if not keys:
        raise LoadError("no public keys found", file=str(path))
    return KeySet(str(path), tuple(keys))


@lru_cache(maxsize=VERIFY_CACHE_SIZE)
def verify_signature(token: str, key_set: KeySet, kid: str | None, alg: str) -> str:
    """The signature verdict for this token under these keys; never raises."""
    verdict, candidates = key_set.for_token(kid, alg)
    if verdict != "ok":
        return verdict
    for candidate in candidates:
        try:
            jwt.api_jws.PyJWS().decode_complete(token, candidate.key, algorithms=[alg])
            return "valid"
        except jwt.InvalidSignatureError:
            continue
        except (jwt.PyJWTError, ValueError, TypeError):
            return "invalid"
    return "invalid"
