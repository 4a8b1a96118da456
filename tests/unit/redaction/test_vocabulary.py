"""What counts as a secret: field and header names, JSON members and JWT shapes."""

from __future__ import annotations

import base64
import json

import pytest

from authdoctor.redaction.vocabulary import is_credential_header
from authdoctor.redaction.vocabulary import is_jwt
from authdoctor.redaction.vocabulary import is_secret_field
from authdoctor.redaction.vocabulary import is_secret_json_field


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("access_token", True),
        ("accessToken", True),  # folded: case, "_" and "-" do not count
        ("Client-Secret", True),
        ("x_refresh_token", True),  # by its suffix
        ("subscription_key", True),
        ("scope", False),
        ("grant_type", False),
        ("token_type", False),
    ],
)
def test_secret_fields(name: str, secret: bool) -> None:
    assert is_secret_field(name) is secret


def test_a_number_under_code_is_an_error_code_not_an_authorization_code() -> None:
    assert is_secret_json_field("code", "SplxlOBeZQQYbYS6WxSbIA") is True
    assert is_secret_json_field("code", 401) is False
    assert is_secret_json_field("pin_password", 1234) is True
    assert is_secret_json_field("status", "active") is False


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("Authorization", True),
        ("X-Api-Key", True),
        ("Ocp-Apim-Subscription-Key", True),
        ("WWW-Authenticate", False),  # a challenge: the evidence
        ("Proxy-Authenticate", False),
        ("X-Authdoctor-Redacted", False),  # authdoctor's own
        ("Content-Type", False),
    ],
)
def test_credential_headers(name: str, credential: bool) -> None:
    assert is_credential_header(name) is credential


def _segment(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def test_a_jwt_names_its_alg_and_carries_claims() -> None:
    header, claims = _segment({"alg": "RS256", "kid": "k"}), _segment({"sub": "svc"})
    assert is_jwt([header, claims, "sig"])
    assert not is_jwt([_segment({"user": "alice"}), claims, "sig"])  # no JOSE header
    assert not is_jwt([header, _segment([1, 2]), "sig"])  # claims must be an object
    assert not is_jwt([header, claims])
    assert not is_jwt([header, "not base64!", "sig"])
