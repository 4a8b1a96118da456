"""header_facts: how the credential was sent, and the cleaned token it yields.

Every case compares the whole facts dict, so a fact that appears or vanishes by mistake
fails the test, and the Credential (the cleaned token the client probably meant).
"""

from __future__ import annotations

from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.engine.facts.header import Credential
from authdoctor.engine.facts.header import header_facts
from authdoctor.engine.facts.request import is_loopback
from authdoctor.engine.facts.request import redacted_url
from authdoctor.engine.facts.request import secret_query_params

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtMzI"

NO_AUTHORIZATION = {"request.auth_present": False, "request.auth_header_count": 0}
ONE_AUTHORIZATION = {
    "request.auth_present": True,
    "request.auth_header_count": 1,
    "request.credential_location": "authorization",
}


def _request(headers: list[tuple[str, str]] = (), path: str = "/v2/devices") -> http.Request:
    return tutils.treq(
        host="api.xxx.com",
        port=443,
        scheme=b"https",
        path=path.encode(),
        headers=http.Headers([(k.encode(), v.encode()) for k, v in headers]),
        content=b"",
    )


def _scheme(raw: str, **more: Any) -> dict[str, Any]:
    """Facts of one Authorization header whose scheme word is `raw`."""
    return {
        **ONE_AUTHORIZATION,
        "request.auth_scheme_raw": raw,
        "request.auth_scheme": raw.lower(),
        "request.auth_scheme_missing": False,
        "request.header_ok": False,
        **more,
    }


def test_no_header_means_no_credential() -> None:
    facts, credential = header_facts(_request(), strict_bearer_case=True)
    assert facts == {**NO_AUTHORIZATION, "request.credential_location": "none"}
    assert credential is None


AUTHORIZATION_CASES = [
    pytest.param("Bearer tok", True, _scheme("Bearer", **{"request.header_ok": True}), "tok",
                 id="clean-bearer-strict"),
    pytest.param("Bearer tok", False, _scheme("Bearer", **{"request.header_ok": True}), "tok",
                 id="clean-bearer-lenient"),
    pytest.param("bearer tok", False, _scheme("bearer", **{"request.header_ok": True}), "tok",
                 id="lowercase-lenient-ok"),
    pytest.param("bearer tok", True, _scheme("bearer"), "tok", id="lowercase-strict-not-ok"),
    pytest.param("BEARER tok", False, _scheme("BEARER", **{"request.header_ok": True}), "tok",
                 id="uppercase-lenient-ok"),
    pytest.param("BEARER tok", True, _scheme("BEARER"), "tok", id="uppercase-strict-not-ok"),
    pytest.param(
        "abc123def",
        False,
        {
            **ONE_AUTHORIZATION,
            "request.auth_scheme_raw": "",
            "request.auth_scheme": "",
            "request.auth_scheme_missing": True,
            "request.header_ok": False,
        },
        "abc123def",
        id="bare-token",
    ),
    pytest.param(
        JWT,
        False,
        {
            **ONE_AUTHORIZATION,
            "request.auth_scheme_raw": "",
            "request.auth_scheme": "",
            "request.auth_scheme_missing": True,
            "request.header_ok": False,
        },
        JWT,
        id="bare-jwt",
    ),
    pytest.param("Basic dXNlcjpwYXNz", False, _scheme("Basic"), "dXNlcjpwYXNz", id="basic"),
    pytest.param("Token tok", False, _scheme("Token"), "tok", id="token-scheme"),
    pytest.param("JWT tok", False, _scheme("JWT"), "tok", id="jwt-scheme"),
    pytest.param("Frobnicate tok", False, _scheme("Frobnicate"), "tok", id="unknown-scheme-word"),
    pytest.param(
        "Bearer Bearer tok",
        False,
        _scheme("Bearer", **{"request.auth_double_scheme": True}),
        "tok",
        id="double-bearer",
    ),
    pytest.param(
        "Bearer  tok",
        False,
        _scheme("Bearer", **{"request.stray_characters": ["2 spaces after the scheme"]}),
        "tok",
        id="two-spaces-after-scheme",
    ),
    pytest.param(
        "Bearer\ttok",
        False,
        _scheme("Bearer", **{"request.stray_characters": ["tab after the scheme"]}),
        "tok",
        id="tab-after-scheme",
    ),
    pytest.param(
        "Bearer ab cd",
        False,
        _scheme("Bearer", **{"request.stray_characters": ["a space inside the token"]}),
        "abcd",
        id="space-inside-token",
    ),
    pytest.param(
        'Bearer "tok"',
        False,
        _scheme("Bearer", **{"request.stray_characters": ["quotes or brackets around the token"]}),
        "tok",
        id="double-quotes",
    ),
    pytest.param(
        "Bearer 'tok'",
        False,
        _scheme("Bearer", **{"request.stray_characters": ["quotes or brackets around the token"]}),
        "tok",
        id="single-quotes",
    ),
    pytest.param(
        "Bearer <tok>",
        False,
        _scheme("Bearer", **{"request.stray_characters": ["quotes or brackets around the token"]}),
        "tok",
        id="angle-brackets",
    ),
    pytest.param(
        "Bearer tok,",
        False,
        _scheme("Bearer", **{"request.stray_characters": ["a trailing comma or semicolon"]}),
        "tok",
        id="trailing-comma",
    ),
    pytest.param(
        "Bearer abc\r\n def",
        False,
        _scheme(
            "Bearer",
            **{
                "request.stray_characters": [
                    "a line break inside the token",
                    "a space inside the token",
                ]
            },
        ),
        "abcdef",
        id="obs-fold-line-break",
    ),
    pytest.param(
        "Bearer abc\\ndef",
        False,
        _scheme(
            "Bearer",
            **{
                "request.stray_characters": [
                    "an escaped line break (\\n or %0A) inside the token"
                ]
            },
        ),
        "abcdef",
        id="escaped-newline-text",
    ),
    pytest.param(
        "Bearer undefined",
        False,
        _scheme("Bearer", **{"request.token_placeholder": "undefined"}),
        "undefined",
        id="placeholder-undefined",
    ),
    pytest.param(
        "Bearer null",
        False,
        _scheme("Bearer", **{"request.token_placeholder": "null"}),
        "null",
        id="placeholder-null",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("value", "strict", "expected", "token"), AUTHORIZATION_CASES)
def test_authorization_header(value: str, strict: bool, expected: dict, token: str) -> None:
    facts, credential = header_facts(_request([("Authorization", value)]), strict)
    assert facts == expected
    assert credential == Credential(token, "authorization")


@pytest.mark.parametrize("value", ["Bearer ", "Bearer"])
def test_empty_token_is_a_placeholder_without_stray_characters(value: str) -> None:
    """Regression: '' in '"\'`<' is True, so an empty token was said to have quotes."""
    facts, credential = header_facts(_request([("Authorization", value)]), False)
    assert facts == _scheme("Bearer", **{"request.token_placeholder": "(empty)"})
    assert credential == Credential("", "authorization")


def test_empty_token_is_flagged_as_placeholder() -> None:
    facts, credential = header_facts(_request([("Authorization", "Bearer ")]), False)
    assert facts["request.token_placeholder"] == "(empty)"
    assert facts["request.header_ok"] is False
    assert credential == Credential("", "authorization")


def test_colon_after_scheme_still_yields_the_token() -> None:
    """Regression: 'Bearer: <jwt>' was taken as a bare token 'Bearer:<jwt>'."""
    facts, credential = header_facts(_request([("Authorization", f"Bearer: {JWT}")]), False)
    assert credential == Credential(JWT, "authorization")
    assert facts["request.auth_scheme_raw"] == "Bearer"
    assert facts["request.auth_scheme_missing"] is False
    assert facts["request.header_ok"] is False


@pytest.mark.parametrize(
    ("strict", "values", "header_ok"),
    [
        (False, ["Bearer tok"], True),
        (True, ["Bearer tok"], True),
        (False, ["bearer tok"], True),
        (True, ["bearer tok"], False),
        (False, ["Bearer tok", "Bearer tok"], False),
        (False, ["Bearer tok", "Bearer other"], False),
        (False, ["Bearer Bearer tok"], False),
        (False, ["Bearer  tok"], False),
        (False, ["Bearer null"], False),
        (False, ["Basic tok"], False),
        (False, ["tok"], False),
    ],
)
def test_header_ok_only_for_one_clean_bearer(strict: bool, values: list, header_ok: bool) -> None:
    facts, _ = header_facts(_request([("Authorization", v) for v in values]), strict)
    assert facts["request.header_ok"] is header_ok


def test_two_authorization_headers() -> None:
    request = _request([("Authorization", "Bearer first"), ("Authorization", "Bearer second")])
    facts, credential = header_facts(request, False)
    assert facts == {
        **_scheme("Bearer"),
        "request.auth_header_count": 2,
    }
    assert credential == Credential("first", "authorization")


def test_authorization_wins_over_alternatives_and_query() -> None:
    request = _request(
        [("Authorization", "Bearer main"), ("X-Auth-Token", "alt")], "/v2/devices?access_token=q"
    )
    facts, credential = header_facts(request, False)
    assert facts["request.credential_location"] == "authorization"
    assert "request.alt_auth_header" not in facts
    assert "request.query_token_param" not in facts
    assert credential == Credential("main", "authorization")


@pytest.mark.parametrize(
    ("name", "value", "token"),
    [
        ("Authentication", "Bearer tok", "tok"),
        ("Authorisation", "Bearer tok", "tok"),
        ("X-Authorization", "Bearer tok", "tok"),
        ("X-Authorization", "tok", "tok"),
        ("X-Auth-Token", "tok123", "tok123"),
        ("X-My-Token", f"Bearer {JWT}", JWT),
        ("X-Session-Auth", JWT, JWT),
    ],
)
def test_alternative_header_carries_the_credential(name: str, value: str, token: str) -> None:
    facts, credential = header_facts(_request([(name, value)]), False)
    assert facts == {
        **NO_AUTHORIZATION,
        "request.alt_auth_header": name,
        "request.credential_location": "alt_header",
    }
    assert credential == Credential(token, "alt_header")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Proxy-Authenticate", 'Bearer realm="corp proxy"'),
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz"),
        ("Proxy-Authorization", f"Bearer {JWT}"),
        ("X-CSRF-Token", "abc"),
        ("WWW-Authenticate", 'Basic realm="Company X API"'),
        ("Cookie", "session=abc"),
    ],
)
def test_non_credential_headers_do_not_count(name: str, value: str) -> None:
    facts, credential = header_facts(_request([(name, value)]), False)
    assert facts == {**NO_AUTHORIZATION, "request.credential_location": "none"}
    assert credential is None


def test_www_authenticate_bearer_challenge_is_not_a_credential() -> None:
    """Regression: 'auth' in the name plus a 'Bearer ...' value made it an alt header."""
    request = _request([("WWW-Authenticate", 'Bearer realm="Company X API"')])
    facts, credential = header_facts(request, False)
    assert facts == {**NO_AUTHORIZATION, "request.credential_location": "none"}
    assert credential is None


@pytest.mark.parametrize(
    ("query", "param", "token"),
    [
        ("access_token=abc.def&page=2", "access_token", "abc.def"),
        ("page=2&api_key=k1", "api_key", "k1"),
        ("token=t0", "token", "t0"),
    ],
)
def test_query_token(query: str, param: str, token: str) -> None:
    facts, credential = header_facts(_request(path=f"/v2/devices?{query}"), False)
    assert facts == {
        **NO_AUTHORIZATION,
        "request.query_token_param": param,
        "request.credential_location": "query",
    }
    assert credential == Credential(token, "query")


def test_query_without_credential_parameters() -> None:
    facts, credential = header_facts(_request(path="/v2/devices?page=2&q=x"), False)
    assert facts == {**NO_AUTHORIZATION, "request.credential_location": "none"}
    assert credential is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v2/devices", "https://api.xxx.com/v2/devices"),
        (
            "/v2/devices?access_token=abc&page=2",
            "https://api.xxx.com/v2/devices?access_token=REDACTED&page=2",
        ),
        (
            "/oauth/token?client_secret=s3cr3t&client_id=cli_1&refresh_token=rt&code=c0de",
            "https://api.xxx.com/oauth/token"
            "?client_secret=REDACTED&client_id=cli_1&refresh_token=REDACTED&code=REDACTED",
        ),
        (
            "/cb?state=xyz&redirect_uri=https://app.example/cb&Access_Token=abc",
            "https://api.xxx.com/cb?state=xyz&redirect_uri=https://app.example/cb"
            "&Access_Token=REDACTED",
        ),
        ("/search?q=a b&page=1", "https://api.xxx.com/search?q=a+b&page=1"),
    ],
)
def test_redacted_url(path: str, expected: str) -> None:
    assert redacted_url(_request(path=path)) == expected


@pytest.mark.parametrize("secret", ["abc", "s3cr3t", "rt", "c0de"])
def test_redacted_url_never_contains_secret_values(secret: str) -> None:
    path = "/oauth/token?access_token=abc&client_secret=s3cr3t&refresh_token=rt&code=c0de"
    url = redacted_url(_request(path=path))
    assert f"={secret}" not in url
    assert url.count("=REDACTED") == 4


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("api.localhost", True),
        ("api.xxx.com", False),
        ("10.0.0.1", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("?client_secret=s&limit=5", ["client_secret"]),
        ("?refresh_token=r&password=p", ["refresh_token", "password"]),
        ("?access_token=t", ["access_token"]),
        ("?code=abc&state=x", []),
        ("?limit=5", []),
        ("", []),
    ],
)
def test_secret_query_params_names_never_values(query: str, names: list[str]) -> None:
    f = tflow.tflow()
    f.request.path = "/v2/devices" + query
    assert secret_query_params(f.request) == names
