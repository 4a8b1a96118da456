"""Secrets in strings: the keyed fingerprint, a JWT that keeps its header and claims, and
header values (credentials replaced word by word, evidence kept)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from authdoctor.redaction.redactor import Redactor
from tests.unit.redaction.canaries import CHALLENGE
from tests.unit.redaction.canaries import MARK
from tests.unit.redaction.canaries import REQUEST_ID
from tests.unit.redaction.canaries import Canaries


def test_secret_is_the_keyed_hmac() -> None:
    key = b"k" * 32
    digest = hmac.new(key, b"s3cret", hashlib.sha256).hexdigest()[:12]
    assert Redactor(key=key).secret("s3cret") == f"[redacted:{digest}]"
    assert Redactor(key=b"x" * 32).secret("s3cret") != f"[redacted:{digest}]"


def test_token_keeps_jwt_header_and_claims_and_loses_the_signature() -> None:
    c = Canaries()
    token = c.jwt(scope="read")
    header, payload, signature = token.split(".")
    redacted = Redactor().token(token)
    assert redacted.startswith(f"{header}.{payload}.")
    assert MARK.fullmatch(redacted.rsplit(".", 1)[1])
    assert signature not in redacted
    flask_session = "eyJ1c2VyIjoiYWxpY2UifQ.ZxYw.c2lnbmF0dXJl"  # base64 JSON, but no JOSE header
    assert MARK.fullmatch(Redactor().token(flask_session))
    assert MARK.fullmatch(Redactor().token("opaque-token-1234567890"))


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", "Basic dXNlcjpwYXNz", "Basic "),
        ("Cookie", "a=1; b=2", "a=[redacted:"),
        ("Set-Cookie", "sid=x; Path=/; SameSite=Lax", "sid=[redacted:"),
        ("X-Request-Id", REQUEST_ID, REQUEST_ID),
        ("WWW-Authenticate", CHALLENGE, CHALLENGE),
        ("Location", "https://app/cb#access_token=abc&token_type=Bearer", "https://app/cb#"),
        ("Ocp-Apim-Subscription-Key", "0123456789abcdef", "[redacted:"),
        ("Authorization", "Bearer undefined", "Bearer undefined"),  # a bug to show, no secret
    ],
)
def test_header_values(name: str, value: str, expected: str) -> None:
    redacted = Redactor().header(name, value)
    assert redacted.startswith(expected)
    if expected == value:
        assert redacted == value
    else:
        assert redacted != value
