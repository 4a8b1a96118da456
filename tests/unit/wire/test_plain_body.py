"""Short text/plain error bodies (Envoy, Istio) and the Server header as response facts."""

from __future__ import annotations

import pytest
from mitmproxy import http
from mitmproxy.test import tutils

from authdoctor.engine.facts.response import response_facts
from authdoctor.wire.plain_body import MAX_PLAIN
from authdoctor.wire.plain_body import plain_text_error


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b"Jwt is expired", "text/plain", "Jwt is expired"),
        (b"RBAC: access denied", "text/plain; charset=utf-8", "RBAC: access denied"),
        (b"  upstream\r\n  connect error\n", "Text/Plain", "upstream connect error"),
        (b"<html><body>Forbidden</body></html>", "text/html", None),
        (b'{"error": "x"}', "application/json", None),
        (b"Jwt is expired", None, None),  # untyped bodies are not guessed at
        (b"", "text/plain", None),
        (b"   \n", "text/plain", None),
        (b"bad\x00binary", "text/plain", None),
        (b"caf\xe9 ferm\xe9", "text/plain", "caf\ufffd ferm\ufffd"),  # not UTF-8: replaced
    ],
)
def test_plain_text_error(content: bytes, content_type: str | None, expected: str | None) -> None:
    assert plain_text_error(content, content_type) == expected


def test_only_the_start_of_a_long_body_is_read() -> None:
    text = plain_text_error(b"x" * 10 * MAX_PLAIN, "text/plain")
    assert text == "x" * MAX_PLAIN


def _facts(status: int, headers: list[tuple[str, str]], body: bytes) -> dict:
    fields = http.Headers([(k.encode(), v.encode()) for k, v in headers])
    response = tutils.tresp(status_code=status, headers=fields, content=body)
    request = tutils.treq(headers=http.Headers(), content=b"")
    return response_facts(response, request, None, 30)


def test_envoy_body_is_the_error_text_beside_the_challenge_code() -> None:
    # envoy jwt_authn filter.cc: the status string as the body, error="invalid_token" in the
    # challenge; a local reply is text/plain and carries `server: envoy`
    facts = _facts(
        401,
        [
            (
                "www-authenticate",
                'Bearer realm="https://api.example.com/v1", error="invalid_token"',
            ),
            ("content-type", "text/plain"),
            ("server", "envoy"),
        ],
        b"Jwt is expired",
    )
    assert facts["response.auth_error"] == "invalid_token"
    assert facts["response.error_description"] == "Jwt is expired"
    assert facts["response.error_text"] == "jwt is expired"
    assert facts["response.server"] == "envoy"
    assert str(facts["response.summary"]) == '401 (invalid_token, "Jwt is expired")'


def test_a_challenge_description_comes_before_the_plain_body() -> None:
    challenge = 'Bearer error="invalid_token", error_description="The token expired"'
    facts = _facts(
        401,
        [("www-authenticate", challenge), ("content-type", "text/plain")],
        b"Unauthorized",
    )
    assert facts["response.error_description"] == "The token expired"
    assert facts["response.error_text"] == "the token expired | unauthorized"


def test_a_successful_plain_body_is_not_error_text() -> None:
    facts = _facts(200, [("content-type", "text/plain"), ("server", "istio-envoy")], b"ok")
    assert "response.error_text" not in facts
    assert facts["response.server"] == "istio-envoy"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Kestrel", "kestrel"),
        ("  Microsoft-IIS/10.0 ", "microsoft-iis/10.0"),
        ("x" * 500, "x" * 100),
    ],
)
def test_server_header_is_lower_cased_and_capped(value: str, expected: str) -> None:
    assert _facts(401, [("server", value)], b"")["response.server"] == expected


def test_a_blank_server_header_is_no_fact() -> None:
    assert "response.server" not in _facts(401, [("server", "  ")], b"")
