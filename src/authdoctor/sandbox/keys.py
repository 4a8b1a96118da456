"""RS256 signing keys: every sandbox has its own, so tokens never verify across environments."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class SigningKey:
    """An RSA key pair whose kid is its RFC 7638 thumbprint, as real JWKS publishers do."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self._jwk: dict[str, Any] = dict(RSAAlgorithm.to_jwk(self.public_key, as_dict=True))
        self.kid = thumbprint(self._jwk)

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh 2048-bit key: enough for RS256 and fast enough for tests."""
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def public_jwk(self) -> dict[str, Any]:
        """The public half as published in /.well-known/jwks.json."""
        return {**self._jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): stable and unique per key."""
    members = {name: jwk[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(canonical).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
