"""Token-endpoint facts: the grant and client authentication asked for, the grant's shape."""

from __future__ import annotations

import base64
import json

import pytest

from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.facts import token_endpoint
from authdoctor.engine.session_record import record
from authdoctor.engine.sessions import SessionStore
from tests.unit.authflows import flow
from tests.unit.authflows import response

URL = "https://auth.xxx.com/oauth/token"
FORM = ("Content-Type", "application/x-www-form-urlencoded")
BASIC = ("Authorization", "Basic " + base64.b64encode(b"demo-client:demo-secret").decode())


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        (
            [FORM],
            b"grant_type=client_credentials&client_id=app&client_secret=s&scope=read+write",
            {
                "oauth.grant_type": "client_credentials",
                "oauth.client_auth": "form",
                "oauth.client_id": "app",
                "oauth.scope_requested": ["read", "write"],
            },
        ),
        (
            [FORM, BASIC],
            b"grant_type=refresh_token&refresh_token=rt1",
            {
                "oauth.grant_type": "refresh_token",
                "oauth.client_auth": "basic",
                "oauth.client_id": "demo-client",
            },
        ),
        (
            [FORM, BASIC],
            b"grant_type=client_credentials&client_secret=s",
            {
                "oauth.grant_type": "client_credentials",
                "oauth.client_auth": "both",
                "oauth.client_id": "demo-client",
            },
        ),
        (
            [FORM],
            b"grant_type=client_credentials&client_assertion=eyJx&client_id=app",
            {
                "oauth.grant_type": "client_credentials",
                "oauth.client_auth": "client_assertion",
                "oauth.client_id": "app",
            },
        ),
        (
            [("Content-Type", "application/json")],
            b'{"grant_type": "x"}',
            {"oauth.client_auth": "none"},
        ),
    ],
)
def test_request_facts(headers, body, expected) -> None:
    facts, _ = token_endpoint.request_facts(
        flow(URL, method="POST", headers=headers, content=body).request
    )
    assert facts == expected


def test_the_refresh_token_is_kept_only_as_a_digest() -> None:
    req = flow(
        URL,
        method="POST",
        headers=[FORM],
        content=b"grant_type=refresh_token&refresh_token=rt-secret",
    ).request
    facts, digest = token_endpoint.request_facts(req)
    assert digest is not None and len(digest) == 64 and "rt-secret" not in digest
    assert "rt-secret" not in json.dumps(facts)


@pytest.mark.parametrize(
    ("answer", "sent", "expected"),
    [
        (
            {"access_token": "at", "expires_in": 3600, "scope": "read", "refresh_token": "rt2"},
            "rt1",
            {
                "oauth.expires_in": 3600,
                "oauth.scope_granted": ["read"],
                "oauth.scope_narrowed": True,
                "oauth.refresh_issued": True,
                "oauth.refresh_rotated": True,
            },
        ),
        (
            {
                "access_token": "at",
                "expires_in": 3600,
                "scope": "read write",
                "refresh_token": "rt1",
            },
            "rt1",
            {
                "oauth.expires_in": 3600,
                "oauth.scope_granted": ["read", "write"],
                "oauth.scope_narrowed": False,
                "oauth.refresh_issued": True,
                "oauth.refresh_rotated": False,
            },
        ),
        ({"access_token": "at", "expires_in": True}, None, {"oauth.refresh_issued": False}),
        ({"error": "invalid_grant"}, None, {}),
    ],
)
def test_response_facts(answer, sent, expected) -> None:
    requested = {"oauth.scope_requested": ["read", "write"]}
    digest = token_endpoint._digest(sent) if sent else None
    resp = response(200, headers=[("Content-Type", "application/json")], body=answer)
    assert token_endpoint.response_facts(resp, requested, digest) == expected


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b"{" * 50000, b"\xff\xfe{"])
def test_odd_token_responses_give_no_facts_and_no_error(content: bytes) -> None:
    resp = response(200)
    resp.content = content
    assert token_endpoint.response_facts(resp, {}, None) == {}


def test_an_error_response_is_not_read_as_a_grant() -> None:
    resp = response(400, body={"access_token": "at", "expires_in": 5})
    assert token_endpoint.response_facts(resp, {}, None) == {}


def test_a_discovery_document_teaches_an_unusual_token_endpoint(ruleset, settings) -> None:
    """/connect/issue matches no usual token path; once discovery names it, it is one."""
    store = SessionStore()
    call = b"grant_type=client_credentials&client_id=app&client_secret=s"

    def issue() -> str:
        f = flow(
            "https://login.example.com/connect/issue",
            method="POST",
            headers=[("Content-Type", "text/plain")],
            content=call,
            resp=response(401, headers=[("WWW-Authenticate", 'Basic realm="x"')]),
        )
        return Analyzer(ruleset, settings, store).analyze(f).facts["request.kind"]

    assert issue() == "api"
    discovery = flow(
        "https://login.example.com/.well-known/openid-configuration",
        resp=response(200, body={"token_endpoint": "https://login.example.com/connect/issue/"}),
    )
    result = Analyzer(ruleset, settings, store).analyze(discovery)
    record(store, discovery, result.extracted, result.diagnosis)
    assert list(store.token_endpoints) == ["https://login.example.com/connect/issue"]
    assert issue() == "token_endpoint"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_encoded_token_calls_give_the_same_facts(coding: str, ruleset, settings) -> None:
    """The form is found by its grant_type (the path is no usual token path), and the grant
    and the discovery document are read, whatever their Content-Encoding."""
    plain = flow(
        "https://login.example.com/connect/issue",
        method="POST",
        headers=[FORM],
        content=b"grant_type=client_credentials&client_id=app&client_secret=s&scope=read",
        resp=response(200, body={"access_token": "at", "expires_in": 60, "scope": "read"}),
    )
    packed = plain.copy()
    packed.request.encode(coding)
    packed.response.encode(coding)
    facts = Analyzer(ruleset, settings).analyze(plain).facts
    assert facts["request.kind"] == "token_endpoint" and facts["oauth.expires_in"] == 60
    assert Analyzer(ruleset, settings).analyze(packed).facts == facts
    discovery = flow(
        "https://login.example.com/.well-known/openid-configuration",
        resp=response(200, body={"token_endpoint": "https://login.example.com/connect/issue"}),
    )
    discovery.response.encode(coding)
    endpoint = token_endpoint.discovered_token_endpoint(discovery)
    assert endpoint == "https://login.example.com/connect/issue"
