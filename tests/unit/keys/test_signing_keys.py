"""Signature verdicts from a profile's own keys: JWKS or PEM files and HMAC shared secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import ECAlgorithm
from jwt.algorithms import OKPAlgorithm
from jwt.algorithms import RSAAlgorithm

from authdoctor.errors import LoadError
from authdoctor.keys.signing_keys import KeySet
from authdoctor.keys.signing_keys import KeySetError
from authdoctor.keys.signing_keys import hmac_key_set
from authdoctor.keys.signing_keys import load_key_set
from authdoctor.keys.signing_keys import parse_jwks
from authdoctor.keys.signing_keys import verify_signature

RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC = ec.generate_private_key(ec.SECP256R1())
ED = ed25519.Ed25519PrivateKey.generate()
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_EC = ec.generate_private_key(ec.SECP256R1())
OTHER_ED = ed25519.Ed25519PrivateKey.generate()
SECRET = b"a shared secret of at least thirty-two bytes, for HS512 sixty-four bytes!!"
CLAIMS = {"iss": "https://auth.example/", "sub": "x"}


@pytest.fixture(scope="module")
def jwks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keys = [
        {**json.loads(RSAAlgorithm.to_jwk(RSA.public_key())), "kid": "rsa-1"},
        {**json.loads(ECAlgorithm.to_jwk(EC.public_key())), "kid": "ec-1"},
        {**json.loads(OKPAlgorithm.to_jwk(ED.public_key())), "kid": "ed-1"},
    ]
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    return path


def _verdict(token: str, path: Path) -> str:
    return _verdict_under(token, load_key_set(path))


def _verdict_under(token: str, *key_sets: KeySet) -> str:
    header = jwt.get_unverified_header(token)
    return verify_signature(token, key_sets, header.get("kid"), header.get("alg", ""))


@pytest.mark.parametrize(
    ("key", "alg", "kid", "expected"),
    [
        (RSA, "RS256", "rsa-1", "valid"),
        (RSA, "PS256", "rsa-1", "valid"),
        (EC, "ES256", "ec-1", "valid"),
        (ED, "EdDSA", "ed-1", "valid"),
        (OTHER_RSA, "RS256", "rsa-1", "invalid"),  # wrong key, right kid
        (OTHER_RSA, "PS256", "rsa-1", "invalid"),
        (OTHER_EC, "ES256", "ec-1", "invalid"),
        (OTHER_ED, "EdDSA", "ed-1", "invalid"),
        (RSA, "RS256", "rsa-2", "no_key"),  # rotated: the kid is not in the set
        (RSA, "RS256", None, "valid"),  # no kid: every key that fits is tried
        (EC, "ES256", None, "valid"),
        (ED, "EdDSA", None, "valid"),
        (OTHER_RSA, "RS256", None, "invalid"),  # no kid, and none of the keys verifies
        (EC, "ES256", "rsa-1", "alg_not_allowed"),  # ES256 against the RSA key of that kid
    ],
)
def test_verdicts(jwks: Path, key, alg: str, kid: str | None, expected: str) -> None:
    headers = {"kid": kid} if kid else {}
    assert _verdict(jwt.encode(CLAIMS, key, algorithm=alg, headers=headers), jwks) == expected


def test_hs256_against_rsa_keys_is_algorithm_confusion(jwks: Path) -> None:
    public_pem = RSA.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # HMAC keyed with the public key: what a server that trusts `alg` would accept.
    head = _b64({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    body = _b64(CLAIMS)
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{head}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert _verdict(forged, jwks) == "alg_not_allowed"


def _b64(document: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def test_alg_none(jwks: Path) -> None:
    assert _verdict(jwt.encode(CLAIMS, None, algorithm="none"), jwks) == "alg_none"


def test_pem_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.pem"
    path.write_bytes(RSA.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
    assert (
        _verdict(jwt.encode(CLAIMS, RSA, algorithm="RS256", headers={"kid": "any"}), path)
        == "valid"
    )
    assert _verdict(jwt.encode(CLAIMS, OTHER_RSA, algorithm="RS256"), path) == "invalid"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"keys": [{"kty": "nope"}]}', "not a usable JWKS"),
        ("{not json", "not a usable JWKS"),
        ('{"keys": []}', "no public keys found"),
        ("hello", "no public keys found"),
    ],
)
def test_bad_key_files_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    with pytest.raises(LoadError) as caught:
        load_key_set(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_secret(alg: str) -> None:
    secrets = hmac_key_set(SECRET, "environment variable API_SECRET")
    assert _verdict_under(jwt.encode(CLAIMS, SECRET, algorithm=alg), secrets) == "valid"
    wrong = jwt.encode(CLAIMS, SECRET + b"?", algorithm=alg)
    assert _verdict_under(wrong, secrets) == "invalid"


def test_rs256_against_a_shared_secret_is_not_allowed() -> None:
    token = jwt.encode(CLAIMS, RSA, algorithm="RS256")
    assert _verdict_under(token, hmac_key_set(SECRET, "a file")) == "alg_not_allowed"


def test_secret_and_public_keys_together(jwks: Path) -> None:
    """HS/RS confusion stays alg_not_allowed when a kid names an RSA key, even with a secret
    at hand; a kid-less HS256 token is checked against the secret."""
    both = (load_key_set(jwks), hmac_key_set(SECRET, "a file"))
    confused = jwt.encode(CLAIMS, SECRET, algorithm="HS256", headers={"kid": "rsa-1"})
    assert _verdict_under(confused, *both) == "alg_not_allowed"
    assert _verdict_under(jwt.encode(CLAIMS, SECRET, algorithm="HS256"), *both) == "valid"
    assert _verdict_under(jwt.encode(CLAIMS, RSA, algorithm="RS256"), *both) == "valid"


def test_fetched_sets_skip_keys_pyjwt_cannot_use() -> None:
    usable = {**json.loads(RSAAlgorithm.to_jwk(RSA.public_key())), "kid": "rsa-1"}
    document = {"keys": [{"kty": "nope", "kid": "x"}, usable]}
    assert [k.kid for k in parse_jwks(document, "u", skip_unusable=True).keys] == ["rsa-1"]
    with pytest.raises(KeySetError, match="not a usable JWKS"):
        parse_jwks(document, "u")
    with pytest.raises(KeySetError, match="not a usable JWKS"):
        parse_jwks({"keys": [{"kty": "nope"}]}, "u", skip_unusable=True)
    with pytest.raises(KeySetError, match="no public keys found"):
        parse_jwks({"keys": []}, "u", skip_unusable=True)
