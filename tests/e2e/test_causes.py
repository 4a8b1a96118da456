"""Every root cause of the runbook, end to end: sandbox API <- real mitmdump + addon <- curl.

Each test sends one real request through the proxy with `X-Test-Case: <name>`, then reads the
flow back from the file mitmdump writes with -w and checks what authdoctor wrote on it.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from authdoctor.sandbox import Sandbox
from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl
from tests.e2e.harness import raw_request


def diagnosed(proxy: Proxy, case: str) -> tuple[str | None, str, dict]:
    flow = proxy.flow_for(case)
    meta = flow.metadata["authdoctor"]
    return meta["cause"], flow.comment, meta


def call(
    proxy: Proxy, sandbox: Sandbox, case: str, path: str, *headers: str, method: str = "GET"
) -> str:
    args = ["-X", method, "-H", f"{CASE_HEADER}: {case}"]
    for header in headers:
        args += ["-H", header]
    return curl(proxy, sandbox.url + path, *args).stdout


def test_missing_authorization(proxy: Proxy, production: Sandbox) -> None:
    assert call(proxy, production, "missing", "/v2/devices") == "401"
    cause, comment, _ = diagnosed(proxy, "missing")
    assert cause == "missing_authorization"
    assert comment.startswith("authdoctor: No credentials were sent")
    assert '"No valid access token was provided"' in comment


def test_wrong_header_name(proxy: Proxy, production: Sandbox) -> None:
    token = production.mint()
    assert (
        call(proxy, production, "authentication", "/v2/devices", f"Authentication: Bearer {token}")
        == "401"
    )
    cause, comment, _ = diagnosed(proxy, "authentication")
    assert cause == "wrong_header_name"
    assert 'the header "Authentication"' in comment


@pytest.mark.parametrize(
    ("case", "header", "rule"),
    [
        ("no-prefix", "Authorization: {token}", "missing-bearer-prefix"),
        ("lowercase", "Authorization: bearer {token}", "bearer-case-strict"),
        ("basic", "Authorization: Basic {token}", "wrong-auth-scheme"),
        ("double", "Authorization: Bearer Bearer {token}", "double-bearer-prefix"),
    ],
)
def test_bad_scheme(proxy: Proxy, production: Sandbox, case: str, header: str, rule: str) -> None:
    token = production.mint()
    assert call(proxy, production, case, "/v2/devices", header.format(token=token)) == "401"
    cause, comment, meta = diagnosed(proxy, case)
    assert cause == "bad_scheme"
    assert meta["findings"][0]["rule"] == rule
    assert token not in comment and token not in json.dumps(meta)


@pytest.mark.parametrize(
    ("case", "mangle", "rule", "evidence"),
    [
        (
            "space-inside",
            lambda t: t[:40] + " " + t[40:],
            "token-stray-characters",
            "a space inside the token",
        ),
        ("quoted", lambda t: f'"{t}"', "token-stray-characters", "quotes or brackets"),
        ("truncated", lambda t: t[:-30], "jwt-truncated", "cut off"),
        (
            "not-a-jwt",
            lambda t: "d41d8cd98f00b204e9800998ecf8427e",
            "opaque-token-where-jwt-expected",
            "not one",
        ),
        ("placeholder", lambda t: "undefined", "token-placeholder", '"undefined"'),
        (
            "bad-json",
            lambda t: t.split(".")[0] + ".bm90IGpzb24." + t.split(".")[2],
            "jwt-malformed",
            "not a valid JWT",
        ),
    ],
)
def test_malformed_token(proxy: Proxy, production: Sandbox, case, mangle, rule, evidence) -> None:
    token = mangle(production.mint())
    assert call(proxy, production, case, "/v2/devices", f"Authorization: Bearer {token}") == "401"
    cause, comment, meta = diagnosed(proxy, case)
    assert cause == "malformed_token"
    assert meta["findings"][0]["rule"] == rule
    assert evidence in comment


def test_two_authorization_headers(proxy: Proxy, production: Sandbox) -> None:
    token = production.mint()
    status = call(proxy, production, "two-headers", "/v2/devices",
                  f"Authorization: Bearer {token}", f"Authorization: Bearer {token}")  # fmt: skip
    assert status == "400"
    cause, comment, _ = diagnosed(proxy, "two-headers")
    assert cause == "malformed_token"
    assert "2 Authorization headers" in comment


def test_line_break_folded_into_the_header(proxy: Proxy, production: Sandbox) -> None:
    token = production.mint()
    head = (
        f"GET {production.url}/v2/devices HTTP/1.1\r\nHost: 127.0.0.1:{production.port}\r\n"
        f"{CASE_HEADER}: folded\r\nAuthorization: Bearer {token[:50]}\r\n {token[50:]}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    assert raw_request(proxy, head).startswith(b"HTTP/1.1 401")
    cause, comment, _ = diagnosed(proxy, "folded")
    assert cause == "malformed_token"
    assert "a line break inside the token" in comment


def test_bare_line_break_is_explained_although_no_flow_exists(
    proxy: Proxy, production: Sandbox
) -> None:
    token = production.mint()
    head = (
        f"GET {production.url}/v2/devices HTTP/1.1\r\nHost: 127.0.0.1:{production.port}\r\n"
        f"Authorization: Bearer {token[:50]}\n{token[50:]}\r\n\r\n"
    ).encode()
    assert raw_request(proxy, head).startswith(b"HTTP/1.1 400")
    deadline = time.monotonic() + 5
    while "before any flow existed" not in proxy.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    explanation = [line for line in proxy.log().splitlines() if "before any flow existed" in line]
    assert explanation and "line break inside a header value" in explanation[-1]
    assert token[50:] not in explanation[-1]


def test_token_expired(proxy: Proxy, production: Sandbox) -> None:
    now = time.time()
    token = production.mint(claims={"iat": int(now - 11580), "exp": int(now - 7980)})
    assert (
        call(proxy, production, "expired", "/v2/devices", f"Authorization: Bearer {token}") == "401"
    )
    cause, comment, meta = diagnosed(proxy, "expired")
    assert cause == "token_expired"
    assert "2 h 13 min before the request" in comment
    assert (
        f"{production.url}/oauth/token" in comment
    )  # the refresh command aims at the token endpoint
    assert "grant_type=refresh_token" in comment
    assert meta["token"]["claims"]["exp"] == int(now - 7980)


def test_token_not_yet_valid(proxy: Proxy, production: Sandbox) -> None:
    now = time.time()
    token = production.mint(claims={"nbf": int(now + 900)})
    assert call(proxy, production, "nbf", "/v2/devices", f"Authorization: Bearer {token}") == "401"
    cause, comment, _ = diagnosed(proxy, "nbf")
    assert cause == "token_not_yet_valid"
    assert "15 min after the request" in comment


def test_clock_skew_issuer_clock_ahead(proxy: Proxy, production: Sandbox) -> None:
    """The issuer's clock runs 20 minutes ahead: its fresh tokens are issued 'in the future'."""
    production.clock_offset = 1200
    token = production.mint()
    production.clock_offset = 0
    assert (
        call(proxy, production, "iat-future", "/v2/devices", f"Authorization: Bearer {token}")
        == "401"
    )
    cause, comment, _ = diagnosed(proxy, "iat-future")
    assert cause == "clock_skew"
    assert "20 min after this machine's" in comment
    assert "ntpdate -q pool.ntp.org" in comment


def test_clock_skew_server_clock_ahead(proxy: Proxy, production: Sandbox) -> None:
    """The API's clock runs 2 h ahead: it calls a token expired that this machine finds valid."""
    token = production.mint()
    production.clock_offset = 7200
    assert (
        call(proxy, production, "date-skew", "/v2/devices", f"Authorization: Bearer {token}")
        == "401"
    )
    cause, comment, meta = diagnosed(proxy, "date-skew")
    assert cause == "clock_skew"
    assert "2 h ahead of this machine's" in comment
    assert all(f["cause"] != "token_revoked" for f in meta["findings"])


def test_expired_token_and_skewed_clock_are_both_reported(
    proxy: Proxy, production: Sandbox
) -> None:
    now = time.time()
    token = production.mint(claims={"iat": int(now - 7200), "exp": int(now - 3600)})
    production.clock_offset = 900
    assert call(proxy, production, "both", "/v2/devices", f"Authorization: Bearer {token}") == "401"
    cause, _, meta = diagnosed(proxy, "both")
    assert cause == "token_expired"
    assert [f["cause"] for f in meta["findings"]][:2] == ["token_expired", "clock_skew"]


def test_wrong_environment(proxy: Proxy, production: Sandbox, staging: Sandbox) -> None:
    token = staging.mint()
    assert (
        call(proxy, production, "staging-token", "/v2/devices", f"Authorization: Bearer {token}")
        == "401"
    )
    cause, comment, meta = diagnosed(proxy, "staging-token")
    assert cause == "wrong_environment"
    assert "https://auth.staging.xxx.com/, the staging issuer" in comment
    assert all(f["cause"] != "audience_mismatch" for f in meta["findings"])


def test_audience_mismatch(proxy: Proxy, production: Sandbox) -> None:
    token = production.mint(claims={"aud": "https://billing.xxx.com"})
    assert call(proxy, production, "aud", "/v2/devices", f"Authorization: Bearer {token}") == "401"
    cause, comment, _ = diagnosed(proxy, "aud")
    assert cause == "audience_mismatch"
    assert "[https://billing.xxx.com]" in comment and "[https://api.xxx.com]" in comment


@pytest.mark.parametrize(
    ("case", "method", "path", "scope", "needed"),
    [
        (
            "scope-actions",
            "POST",
            "/v2/devices/d1/actions",
            "read devices:read",
            "write, devices:manage",
        ),
        ("scope-delete-org", "DELETE", "/v3/organizations/org1", "read write", "admin"),
        ("scope-logs", "GET", "/v2/logs/audit/2024", "read", "logs:read, admin"),
    ],
)
def test_insufficient_scope(proxy, production, case, method, path, scope, needed) -> None:
    token = production.mint(scope=scope)
    status = call(proxy, production, case, path, f"Authorization: Bearer {token}", method=method)
    assert status == "403"
    cause, comment, _ = diagnosed(proxy, case)
    assert cause == "insufficient_scope"
    assert f"accepts any of [{needed}]" in comment
    assert f"only grants [{', '.join(scope.split())}]" in comment


def test_token_revoked(proxy: Proxy, production: Sandbox) -> None:
    token = production.mint()
    production.revoke(token)
    assert (
        call(proxy, production, "revoked", "/v2/devices", f"Authorization: Bearer {token}") == "401"
    )
    cause, comment, _ = diagnosed(proxy, "revoked")
    assert cause == "token_revoked"
    assert "https://admin.xxx.com" in comment and "req_" in comment


def test_revoked_client_makes_its_tokens_fail(proxy: Proxy, production: Sandbox) -> None:
    production.register_client("old-app", "s3cret-old-app", "read write")
    token = production.mint(claims={"client_id": "old-app", "sub": "old-app"})
    production.set_client_status("old-app", "revoked")
    assert (
        call(proxy, production, "client-revoked", "/v2/devices", f"Authorization: Bearer {token}")
        == "401"
    )
    cause, comment, _ = diagnosed(proxy, "client-revoked")
    assert cause == "token_revoked"
    assert "client old-app is Active" in comment


def test_unknown_when_the_signature_is_bad(proxy: Proxy, production: Sandbox) -> None:
    token = production.mint(key="foreign")
    assert (
        call(proxy, production, "foreign-key", "/v2/devices", f"Authorization: Bearer {token}")
        == "401"
    )
    cause, comment, meta = diagnosed(proxy, "foreign-key")
    assert cause == "unknown"
    assert "signature_invalid" in comment
    assert len(meta["findings"]) == 1


def test_expiring_soon_is_a_warning_on_a_successful_call(proxy: Proxy, production: Sandbox) -> None:
    token = production.mint(lifetime=120)
    assert call(proxy, production, "soon", "/v2/devices", f"Authorization: Bearer {token}") == "200"
    flow = proxy.flow_for("soon")
    meta = flow.metadata["authdoctor"]
    assert meta["cause"] is None and meta["severity"] == "warning"
    assert [f["cause"] for f in meta["findings"]] == ["token_expiring_soon"]
    assert flow.marked == ":warning:"


def test_healthy_session_gets_no_finding(proxy: Proxy, production: Sandbox) -> None:
    """A real client: client_credentials through the proxy, then every runbook endpoint."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy.url}))
    form = (
        b"grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret"
        b"&scope=read+write+logs%3Aread+admin"
    )
    token_request = urllib.request.Request(
        production.url + "/oauth/token", data=form, headers={CASE_HEADER: "healthy-token"}
    )
    with opener.open(token_request, timeout=10) as answer:
        token = json.load(answer)["access_token"]
    calls = [
        ("GET", "/v2/devices"), ("GET", "/v3/devices"), ("GET", "/v2/policies"),
        ("PUT", "/v2/policies/p1"), ("POST", "/v2/devices/d1/actions"), ("GET", "/v2/logs/audit"),
        ("DELETE", "/v2/organizations/org1"), ("GET", "/v2/organizations/current"),
    ]  # fmt: skip
    for index, (method, path) in enumerate(calls):
        request = urllib.request.Request(
            production.url + path,
            method=method,
            data=b"{}" if method in ("PUT", "POST") else None,
            headers={"Authorization": f"Bearer {token}", CASE_HEADER: f"healthy-{index}"},
        )
        with opener.open(request, timeout=10) as answer:
            assert answer.status in (200, 201, 204)
    for case in ["healthy-token", *(f"healthy-{i}" for i in range(len(calls)))]:
        flow = proxy.flow_for(case)
        meta = flow.metadata.get("authdoctor")
        assert meta is not None and meta["findings"] == [], (case, meta)
        assert not flow.marked and "authdoctor" not in flow.comment
