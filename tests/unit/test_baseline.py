"""Healthy traffic gets no error finding (Sigma's "goodlog", Nuclei's honeypot).

Each flow is something a correct client does every day: the runbook's endpoints with the
right scope, v3 paths, staging, `scp` list claims, other APIs, the token endpoint itself,
a 404, public pages. Most must produce no finding at all; a few may warn, and say so.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from mitmproxy import http

from authdoctor.engine.analysis import Analysis
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.settings import Settings
from tests.unit.authflows import SENT
from tests.unit.authflows import STAGING_AUDIENCE
from tests.unit.authflows import STAGING_ISSUER
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response


@dataclass(frozen=True)
class Healthy:
    """A healthy flow built from the issuer, and the warnings it may carry (rule ids)."""

    build: Callable[[Issuer], http.HTTPFlow]
    warnings: frozenset[str] = frozenset()


def _ok(status: int = 200) -> http.Response:
    return response(status, body={"data": []})


def _api(path: str, scope: str, *, method: str = "GET", status: int = 200, content: bytes = b""):
    def build(issuer: Issuer) -> http.HTTPFlow:
        headers = [bearer(issuer.token(scope=scope))]
        if content:
            headers.append(("Content-Type", "application/json"))
        url = f"https://api.xxx.com{path}"
        return flow(url, method=method, headers=headers, content=content, resp=_ok(status))

    return build


def _basic(user: str, password: str) -> tuple[str, str]:
    return ("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())


def _staging(issuer: Issuer) -> http.HTTPFlow:
    token = issuer.token(iss=STAGING_ISSUER, aud=STAGING_AUDIENCE, scope="read policies:read")
    return flow("https://api.staging.xxx.com/v3/policies", headers=[bearer(token)], resp=_ok())


def _scp_list(issuer: Issuer) -> http.HTTPFlow:
    token = issuer.token(scope=None, scp=["devices:read", "policies:read"])
    return flow("https://api.xxx.com/v2/devices?limit=50", headers=[bearer(token)], resp=_ok())


def _several_audiences(issuer: Issuer) -> http.HTTPFlow:
    token = issuer.token(aud=["https://api.xxx.com", "https://admin.xxx.com"], scope="read")
    return flow("https://api.xxx.com/v2/policies", headers=[bearer(token)], resp=_ok())


def _opaque_other_api(issuer: Issuer) -> http.HTTPFlow:
    headers = [bearer("gho_16C7e42F292c6912E7710c838347Ae178B4a")]
    return flow("https://api.github.example.com/user/repos", headers=headers, resp=_ok())


def _basic_other_api(issuer: Issuer) -> http.HTTPFlow:
    headers = [_basic("ci-bot", "s3cr3t-pa55")]
    return flow("https://registry.example.org/v2/_catalog", headers=headers, resp=_ok())


def _token_endpoint(issuer: Issuer) -> http.HTTPFlow:
    body = b"grant_type=client_credentials&scope=read+write+devices%3Amanage"
    headers = [
        _basic("cli_8f2a91", "9c1e6f0b2d4a8e7c"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ]
    answer = {
        "access_token": issuer.token(scope="read write devices:manage"),
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "read write devices:manage",
    }
    return flow(
        "https://auth.xxx.com/oauth/token",
        method="POST",
        headers=headers,
        content=body,
        resp=response(200, body=answer, headers=[("Cache-Control", "no-store")]),
    )


def _not_found(issuer: Issuer) -> http.HTTPFlow:
    body = {
        "error": "not_found",
        "error_description": "No such endpoint",
        "error_code": "E-API-404",
    }
    headers = [bearer(issuer.token(scope="read"))]
    return flow("https://api.xxx.com/v2/gadgets", headers=headers, resp=response(404, body=body))


def _public_page(issuer: Issuer) -> http.HTTPFlow:
    return flow("https://status.example.com/api/v2/status.json", resp=_ok())


def _expires_in(seconds: int) -> Callable[[Issuer], http.HTTPFlow]:
    def build(issuer: Issuer) -> http.HTTPFlow:
        token = issuer.token(scope="read", issued=seconds - 3600, expires=seconds)
        return flow("https://api.xxx.com/v2/devices", headers=[bearer(token)], resp=_ok())

    return build


def _lowercase_bearer_other_api(issuer: Issuer) -> http.HTTPFlow:
    headers = [("Authorization", "bearer " + issuer.token(iss="https://login.example.com/"))]
    return flow("https://api.example.com/v1/orders", headers=headers, resp=_ok())


def _lowercase_bearer_accepted_by_company_x(issuer: Issuer) -> http.HTTPFlow:
    headers = [("Authorization", "bearer " + issuer.token(scope="read"))]
    return flow("https://api.xxx.com/v2/devices", headers=headers, resp=_ok())


def _query_token_accepted(issuer: Issuer) -> http.HTTPFlow:
    url = "https://maps.example.com/api/geocode/json?address=Berlin&key=AIzaSyD-9tSrke72PouQMnMX"
    return flow(url, resp=_ok())


HEALTHY: dict[str, Healthy] = {
    # the runbook's scope table, each endpoint with one of its scopes
    "get-devices-read": Healthy(_api("/v2/devices", "read")),
    "post-device-action-devices-manage": Healthy(
        _api(
            "/v2/devices/dev_7f3a/actions",
            "devices:manage",
            method="POST",
            status=201,
            content=b'{"action": "reboot"}',
        )
    ),
    "get-policies-policies-read": Healthy(_api("/v2/policies", "policies:read")),
    "put-policy-write": Healthy(
        _api("/v2/policies/pol_12", "write", method="PUT", content=b'{"enabled": true}')
    ),
    "get-logs-logs-read": Healthy(_api("/v2/logs/audit/2026-11", "logs:read")),
    "get-logs-admin": Healthy(_api("/v2/logs/access", "admin")),
    "delete-organization-admin": Healthy(
        _api("/v2/organizations/org_42", "admin", method="DELETE")
    ),
    "current-organization-needs-no-scope": Healthy(_api("/v2/organizations/current", "")),
    "v3-devices": Healthy(_api("/v3/devices", "devices:read")),
    "v3-policy-update": Healthy(
        _api("/v3/policies/pol_12", "policies:write", method="PUT", content=b"{}")
    ),
    "staging-token-on-staging": Healthy(_staging),
    "scp-list-claim": Healthy(_scp_list),
    "several-audiences-one-is-this-api": Healthy(_several_audiences),
    "opaque-token-host-without-profile": Healthy(_opaque_other_api),
    "basic-auth-host-without-profile": Healthy(_basic_other_api),
    "token-endpoint-basic-client-auth": Healthy(_token_endpoint),
    "404-with-valid-token": Healthy(_not_found),
    "public-page-without-credentials": Healthy(_public_page),
    "token-expires-in-10-min": Healthy(_expires_in(600)),
    # warnings only: the request worked, but something will bite later or elsewhere
    "token-expires-in-2-min": Healthy(_expires_in(120), frozenset({"token-expiring-soon"})),
    "lowercase-bearer-accepted-elsewhere": Healthy(
        _lowercase_bearer_other_api, frozenset({"bearer-case-nonstandard"})
    ),
    "lowercase-bearer-accepted-by-company-x": Healthy(
        _lowercase_bearer_accepted_by_company_x, frozenset({"bearer-case-strict"})
    ),
    "api-key-in-query-accepted": Healthy(_query_token_accepted, frozenset({"token-in-url"})),
}


def _analyze(name: str, issuer: Issuer, ruleset: Ruleset, settings: Settings) -> Analysis:
    f = HEALTHY[name].build(issuer)
    assert f.request.timestamp_start == SENT  # the tokens were minted relative to this
    return Analyzer(ruleset, settings).analyze(f)


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_flow_has_no_error(
    name: str, issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    diagnosis = _analyze(name, issuer, ruleset, settings).diagnosis
    assert diagnosis.cause is None
    assert [f.rule for f in diagnosis.findings if f.severity == "error"] == []
    assert {f.rule for f in diagnosis.findings} == HEALTHY[name].warnings


def test_the_baseline_is_big_enough() -> None:
    assert sum(1 for h in HEALTHY.values() if not h.warnings) >= 12


@pytest.mark.parametrize("name", [n for n, h in HEALTHY.items() if h.warnings])
def test_warnings_only_flow_is_marked_as_warning(
    name: str, issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    diagnosis = _analyze(name, issuer, ruleset, settings).diagnosis
    assert diagnosis.severity == "warning"
    assert diagnosis.provisional is False


def test_the_baseline_runs_the_company_x_profile(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    """Guard against a baseline that is clean only because nothing was looked at."""
    facts = _analyze("get-logs-logs-read", issuer, ruleset, settings).facts
    assert facts["profile.id"] == "company-x"
    assert facts["token.claims_ok"] is True
    assert facts["scope.satisfied"] is True
    assert facts["scope.required_any"] == ["logs:read", "admin"]
    assert facts["response.clock_skewed"] is False
    assert facts["token.expires_in_s"] == 3000


def test_the_token_endpoint_is_recognised(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    facts = _analyze("token-endpoint-basic-client-auth", issuer, ruleset, settings).facts
    assert facts["request.kind"] == "token_endpoint"
    assert facts["request.auth_scheme"] == "basic"


def test_expiring_soon_warning_shows_the_time_left(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    (finding,) = _analyze("token-expires-in-2-min", issuer, ruleset, settings).diagnosis.findings
    assert finding.cause == "token_expiring_soon"
    assert "2 min after this request" in finding.explain
    assert "300 s" in finding.explain
