"""decode_token / token_facts: what a token says, judged at the request's own send time.

tflow sends every request in the year 2000, so tokens are minted relative to SENT.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mitmproxy.test import tutils

from authdoctor.engine.facts.header import Credential
from authdoctor.engine.facts.token import decode_token
from authdoctor.engine.facts.token import token_facts
from authdoctor.util.timefmt import human_duration
from authdoctor.util.timefmt import iso_utc

SENT = tutils.treq().timestamp_start  # 946681200 = 1999-12-31 23:00:00 UTC
HS_KEY = b"0123456789abcdef0123456789abcdef"  # 32 bytes
LEEWAY = 30
WINDOW = 300


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs(claims: dict[str, Any], **headers: Any) -> str:
    return jwt.encode(claims, HS_KEY, algorithm="HS256", headers=headers or None)


def _facts(token: str, now: float = SENT, leeway: int = LEEWAY, window: int = WINDOW):
    return token_facts(Credential(token, "authorization"), now, leeway, window)


def _fp(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:12]


# --- formats ---------------------------------------------------------------------------


@pytest.mark.parametrize("credential", [None, Credential("", "authorization")])
def test_no_token(credential: Credential | None) -> None:
    assert token_facts(credential, SENT, LEEWAY, WINDOW) == ({"token.present": False}, None)


@pytest.mark.parametrize("token", ["opaque-abc123", "ya29.a0AfH6SMB", "eyJonlyonesegment"])
def test_opaque_token(token: str) -> None:
    facts, decoded = _facts(token)
    assert facts == {
        "token.present": True,
        "token.format": "opaque",
        "token.fingerprint": _fp(token),
        "token.length": len(token),
    }
    assert decoded is not None and decoded.format == "opaque"
    assert decoded.header == {} and decoded.claims == {}


def test_jwt_facts_in_full() -> None:
    claims = {
        "iss": "https://auth.xxx.com/",
        "sub": "svc-inventory",
        "aud": "https://api.xxx.com",
        "client_id": "cli_1",
        "scope": "read write",
        "iat": SENT - 600,
        "nbf": SENT - 600,
        "exp": SENT + 3000,
    }
    token = _hs(claims, kid="k1")
    facts, decoded = _facts(token)
    assert facts == {
        "token.present": True,
        "token.format": "jwt",
        "token.fingerprint": _fp(token),
        "token.length": len(token),
        "token.alg": "HS256",
        "token.kid": "k1",
        "token.typ": "JWT",
        "token.iss": "https://auth.xxx.com/",
        "token.sub": "svc-inventory",
        "token.aud": ["https://api.xxx.com"],
        "token.client_id": "cli_1",
        "token.has_scope_claim": True,
        "token.scopes": ["read", "write"],
        "token.kind": "access",
        "token.kind_evidence": ["grants access (a scope claim)"],
        "token.access_token_field": (
            "the access_token field of the token response (not its id_token or refresh_token)"
        ),
        "token.time_known": True,
        "token.exp_iso": "1999-12-31 23:50:00 UTC",
        "token.expires_in_s": 3000,
        "token.expires_in": "50 min",
        "token.expired": False,
        "token.expired_ago": "50 min",
        "token.expiring_soon": False,
        "token.nbf_iso": "1999-12-31 22:50:00 UTC",
        "token.not_yet_valid": False,
        "token.valid_in": "10 min",
        "token.iat_iso": "1999-12-31 22:50:00 UTC",
        "token.iat_ahead_s": -600,
        "token.iat_in_future": False,
        "token.iat_ahead": "10 min",
        "token.lifetime": "1 h",
        "token.lifetime_s": 3600,
    }
    assert decoded is not None
    assert decoded.header == {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    assert decoded.claims == claims


def _rs256(key: rsa.RSAPrivateKey) -> str:
    return jwt.encode({"sub": "svc", "exp": SENT + 600}, key, algorithm="RS256")


def _cut_signature(token: str, keep: int) -> str:
    head, payload, signature = token.split(".")
    assert len(signature) == 342  # RS256 with a 2048-bit key: 256 bytes
    return f"{head}.{payload}.{signature[:keep]}"


def _hs_with_signature(signature: bytes) -> str:
    head, payload, _ = _hs({"sub": "svc"}).split(".")
    return f"{head}.{payload}.{_b64(signature)}"


def _hs_parts(head: str | None = None, payload: str | None = None, signature: str = "") -> str:
    real_head, real_payload, real_signature = _hs({"sub": "svc"}).split(".")
    return f"{head or real_head}.{payload or real_payload}.{signature or real_signature}"


RSA_SIZES = "128 or 256 or 384 or 512"
MALFORMED = [
    pytest.param(
        lambda key: _cut_signature(_rs256(key), 140),
        f"the RS256 signature is 105 bytes, {RSA_SIZES} expected: the token was cut off",
        True,
        id="rs256-signature-cut",
    ),
    pytest.param(
        lambda key: _cut_signature(_rs256(key), 0),
        "the signature is missing (RS256 signs every token)",
        True,
        id="rs256-signature-removed",
    ),
    pytest.param(
        lambda key: _hs_with_signature(b"s" * 20),
        "the HS256 signature is 20 bytes, 32 expected: the token was cut off",
        True,
        id="hs256-short-signature",
    ),
    pytest.param(
        lambda key: ".".join(_rs256(key).split(".")[:2]),
        "a JWT has 3 dot-separated parts, this has 2 (the signature part is missing: cut off?)",
        True,
        id="two-segments",
    ),
    pytest.param(
        lambda key: _rs256(key) + ".extra",
        "a JWT has 3 dot-separated parts, this has 4",
        False,
        id="four-segments",
    ),
    pytest.param(
        lambda key: _hs_parts(head="eyJ%%%"),
        "does not decode as a JWT: Invalid header padding",
        False,
        id="bad-base64-header",
    ),
    pytest.param(
        lambda key: _hs_parts(payload=_b64(b"not json")),
        "does not decode as a JWT: Invalid payload string: Expecting value: line 1 column 1 "
        "(char 0)",
        False,
        id="payload-not-json",
    ),
    pytest.param(
        lambda key: _hs_parts(payload=_b64(b"[1, 2]")),
        "does not decode as a JWT: Invalid payload string: must be a json object",
        False,
        id="payload-json-array",
    ),
]


@pytest.mark.parametrize(("build", "reason", "truncated"), MALFORMED)
def test_malformed_jwt(build, reason: str, truncated: bool, rsa_key) -> None:
    token = build(rsa_key)
    facts, decoded = _facts(token)
    assert facts == {
        "token.present": True,
        "token.format": "malformed",
        "token.fingerprint": _fp(token),
        "token.length": len(token),
        "token.malformed_reason": reason,
        "token.truncated": truncated,
    }
    assert decoded is not None and decoded.claims == {}


@pytest.mark.parametrize("keep", [141, 142, 143])
def test_rs256_signature_cut_anywhere_is_truncated(keep: int, rsa_key) -> None:
    """Every cut position counts, not only those that leave canonical base64 behind."""
    facts, _ = _facts(_cut_signature(_rs256(rsa_key), keep))
    assert facts["token.format"] == "malformed"
    assert facts["token.truncated"] is True
    assert facts["token.malformed_reason"].endswith("the token was cut off")


def test_junk_signature_is_not_called_missing_or_truncated() -> None:
    facts, _ = _facts(_hs_parts(signature="!!!!"))
    assert facts["token.format"] == "malformed"
    assert facts["token.truncated"] is False
    assert "missing" not in facts["token.malformed_reason"]


def test_too_long_signature_is_not_truncation() -> None:
    """Regression: a longer signature was called 'cut off'; truncated means shorter."""
    facts, _ = _facts(_hs_with_signature(b"s" * 48))
    assert facts["token.format"] == "malformed"
    assert facts["token.truncated"] is False
    assert facts["token.malformed_reason"] == "the HS256 signature is 48 bytes, 32 expected"


def test_alg_none_with_empty_signature_is_not_truncated() -> None:
    token = jwt.encode({"sub": "svc"}, None, algorithm="none")
    assert token.endswith(".")
    facts, decoded = _facts(token)
    assert facts["token.format"] == "jwt"
    assert facts["token.alg"] == "none"
    assert "token.truncated" not in facts
    assert "token.malformed_reason" not in facts
    assert decoded is not None and decoded.truncated is False


def test_correct_signature_sizes_are_not_malformed(rsa_key) -> None:
    for token in (_rs256(rsa_key), _hs({"sub": "svc"}), _hs_with_signature(b"s" * 32)):
        assert _facts(token)[0]["token.format"] == "jwt"


# --- times -----------------------------------------------------------------------------

TIME_CASES = [
    # (claims relative to SENT, leeway, window, expected subset)
    pytest.param({"exp": -30}, 30, 300,
                 {"token.expired": True, "token.expiring_soon": False, "token.expires_in_s": -30,
                  "token.expired_ago": "30 s", "token.expires_in": "30 s"},
                 id="exp-at-leeway-boundary-is-expired"),
    pytest.param({"exp": -29}, 30, 300,
                 {"token.expired": False, "token.expiring_soon": True, "token.expires_in_s": -29},
                 id="exp-inside-leeway-not-expired"),
    pytest.param({"exp": 0}, 0, 300,
                 {"token.expired": True, "token.expiring_soon": False, "token.expires_in_s": 0},
                 id="exp-equals-now-no-leeway"),
    pytest.param({"exp": 1}, 0, 300,
                 {"token.expired": False, "token.expiring_soon": True, "token.expires_in_s": 1},
                 id="exp-one-second-ahead"),
    pytest.param({"exp": 300}, 30, 300,
                 {"token.expired": False, "token.expiring_soon": True, "token.expires_in": "5 min"},
                 id="exp-at-window-edge-expiring-soon"),
    pytest.param({"exp": 301}, 30, 300,
                 {"token.expired": False, "token.expiring_soon": False,
                  "token.expires_in": "5 min 1 s"},
                 id="exp-just-outside-window"),
    pytest.param({"exp": 45}, 30, 300,
                 {"token.expires_in": "45 s", "token.expires_in_s": 45}, id="expires-in-45-s"),
    pytest.param({"exp": -8000}, 30, 300,
                 {"token.expired": True, "token.expired_ago": "2 h 13 min",
                  "token.exp_iso": "1999-12-31 20:46:40 UTC"},
                 id="expired-2-h-13-min-ago"),
    pytest.param({"nbf": 31}, 30, 300,
                 {"token.not_yet_valid": True, "token.valid_in": "31 s",
                  "token.nbf_iso": "1999-12-31 23:00:31 UTC"},
                 id="nbf-beyond-leeway"),
    pytest.param({"nbf": 30}, 30, 300, {"token.not_yet_valid": False}, id="nbf-inside-leeway"),
    pytest.param({"iat": 31}, 30, 300,
                 {"token.iat_in_future": True, "token.iat_ahead_s": 31, "token.iat_ahead": "31 s"},
                 id="iat-beyond-leeway"),
    pytest.param({"iat": 30}, 30, 300,
                 {"token.iat_in_future": False, "token.iat_ahead_s": 30}, id="iat-inside-leeway"),
    pytest.param({"iat": -600, "exp": 300}, 30, 300, {"token.lifetime": "15 min"},
                 id="lifetime"),
]  # fmt: skip


@pytest.mark.parametrize(("relative", "leeway", "window", "expected"), TIME_CASES)
def test_time_facts(relative: dict, leeway: int, window: int, expected: dict) -> None:
    token = _hs({name: SENT + offset for name, offset in relative.items()})
    facts, _ = _facts(token, leeway=leeway, window=window)
    assert {name: facts.get(name, "<absent>") for name in expected} == expected
    assert facts["token.time_known"] is ("exp" in relative)


@pytest.mark.parametrize("offset", [0, 5])
def test_expiry_agrees_with_pyjwt(offset: int) -> None:
    """PyJWT's rule: exp <= now - leeway is expired (checked with the real clock)."""
    now = time.time()
    exp = int(now) - LEEWAY + offset
    token = _hs({"exp": exp})
    try:
        jwt.decode(token, HS_KEY, algorithms=["HS256"], leeway=LEEWAY)
        pyjwt_expired = False
    except jwt.ExpiredSignatureError:
        pyjwt_expired = True
    facts, _ = _facts(token, now=now)
    assert facts["token.expired"] is pyjwt_expired is (offset == 0)


@pytest.mark.parametrize("exp", ["tomorrow", "1700000000", True, None, [1], {"at": 1}])
def test_non_numeric_exp_is_ignored(exp: Any) -> None:
    facts, _ = _facts(_hs({"sub": "svc", "exp": exp}))
    assert facts["token.format"] == "jwt"
    assert facts["token.time_known"] is False
    assert not any(name.startswith(("token.exp", "token.expir")) for name in facts)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("literal", ["1e400", "NaN"])
def test_non_finite_time_claim_does_not_raise(claim: str, literal: str) -> None:
    """Regression: exp/nbf/iat of 1e400 (JSON for inf) or NaN made token_facts raise."""
    head, _, signature = _hs({"sub": "svc"}).split(".")
    payload = _b64(f'{{"sub": "svc", "{claim}": {literal}}}'.encode())
    facts, _ = _facts(f"{head}.{payload}.{signature}")
    assert facts["token.format"] == "jwt"
    assert f"token.{claim}_iso" not in facts  # ignored, like a non-numeric value
    # text facts may be formatted lazily: rendering them must not raise either
    assert all(isinstance(str(value), str) for value in facts.values())


# --- claims ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "has_scope_claim", "scopes"),
    [
        ({"scope": "read write devices:read"}, True, ["read", "write", "devices:read"]),
        ({"scp": ["read", "logs:read"]}, True, ["read", "logs:read"]),
        ({"scope": ""}, True, []),
        ({"sub": "svc"}, False, None),
        ({"scope": 7}, False, None),
    ],
)
def test_scopes(claims: dict, has_scope_claim: bool, scopes: list | None) -> None:
    facts, _ = _facts(_hs(claims))
    assert facts["token.has_scope_claim"] is has_scope_claim
    assert facts.get("token.scopes") == scopes
    assert ("token.scopes" in facts) is (scopes is not None)


@pytest.mark.parametrize(
    ("aud", "expected"),
    [
        ("https://api.xxx.com", ["https://api.xxx.com"]),
        (["https://api.xxx.com", "other"], ["https://api.xxx.com", "other"]),
        (None, []),
    ],
)
def test_audience_is_always_a_list(aud: Any, expected: list) -> None:
    claims = {"sub": "svc"} if aud is None else {"aud": aud}
    facts, _ = _facts(_hs(claims))
    assert facts["token.aud"] == expected


@pytest.mark.parametrize(
    ("claims", "client_id"),
    [
        ({"client_id": "c1"}, "c1"),
        ({"azp": "c2"}, "c2"),
        ({"cid": "c3"}, "c3"),
        ({"client_id": "c1", "azp": "c2", "cid": "c3"}, "c1"),
        ({"azp": "c2", "cid": "c3"}, "c2"),
        ({"sub": "svc"}, None),
        ({"client_id": 12}, None),
    ],
)
def test_client_id(claims: dict, client_id: str | None) -> None:
    facts, _ = _facts(_hs(claims))
    assert facts.get("token.client_id") == client_id


def _raw_jwt(header: dict[str, Any], claims: dict[str, Any]) -> str:
    head, payload = (_b64(json.dumps(part).encode()) for part in (header, claims))
    return f"{head}.{payload}.{_b64(b's' * 32)}"


def test_non_string_claims_are_left_out() -> None:
    facts, _ = _facts(_raw_jwt({"alg": "HS256", "typ": 5}, {"iss": 5, "sub": ["x"]}))
    assert facts["token.format"] == "jwt"
    assert facts["token.alg"] == "HS256"
    for name in ("token.iss", "token.sub", "token.typ"):
        assert name not in facts


@pytest.mark.parametrize(
    "header",
    [{"alg": "HS256", "kid": 3}, {"alg": "HS256", "crit": ["x-custom"]}],
    ids=["kid-int", "crit-unknown"],
)
def test_decode_token_never_raises_on_odd_headers(header: dict[str, Any]) -> None:
    decoded = decode_token(_raw_jwt(header, {"sub": "svc"}))
    assert decoded.format in ("jwt", "malformed")


# --- fingerprint and cache -------------------------------------------------------------


def test_fingerprint_is_stable_short_and_not_the_token(rsa_key) -> None:
    token = _rs256(rsa_key)
    first, _ = _facts(token)
    second, _ = _facts(token, now=SENT + 5000)
    assert first["token.fingerprint"] == second["token.fingerprint"] == _fp(token)
    assert len(first["token.fingerprint"]) == len("sha256:") + 12
    signature = token.split(".")[2]
    dumped = json.dumps(first, default=str)
    assert token not in dumped
    assert signature[:16] not in dumped
    other, _ = _facts(_rs256(rsa_key)[:-4] + "AAAA")
    assert other["token.fingerprint"] != first["token.fingerprint"]


def test_decode_cache_returns_the_same_object() -> None:
    token = _hs({"sub": "cache-check", "exp": SENT + 60})
    first = decode_token(token)
    assert decode_token(token) is first
    assert _facts(token)[1] is first
    assert _facts(token, now=SENT + 10_000)[1] is first
    assert decode_token(_hs({"sub": "cache-other"})) is not first


# --- timefmt ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (0.4, "0 s"),
        (1, "1 s"),
        (45, "45 s"),
        (59, "59 s"),
        (60, "1 min"),
        (61, "1 min 1 s"),
        (599, "9 min 59 s"),
        (600, "10 min"),
        (659, "11 min"),
        (899.6, "15 min"),
        (3600, "1 h"),
        (8000, "2 h 13 min"),
        (8005, "2 h 13 min"),
        (86399, "1 d"),
        (86400, "1 d"),
        (86400 * 3 + 3700, "3 d 1 h"),
        (-45, "45 s"),
        (-600, "10 min"),
        (-8000, "2 h 13 min"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("timestamp", "text"),
    [
        (0, "1970-01-01 00:00:00 UTC"),
        (1700000000, "2023-11-14 22:13:20 UTC"),
        (SENT, "1999-12-31 23:00:00 UTC"),
        (-1, "1969-12-31 23:59:59 UTC"),
        (1e20, "1e+20 (not a valid time)"),
        (-1e20, "-1e+20 (not a valid time)"),
        (float("nan"), "nan (not a valid time)"),
    ],
)
def test_iso_utc(timestamp: float, text: str) -> None:
    assert iso_utc(timestamp) == text
