"""Identity-provider packs end to end: real mitmproxy flows built from the providers'
documented answers (status, headers and body as published; the source beside each), run
through the same analysis and annotation as the addon, with the profiles and rules the
addon loads by default. Also: which profile a flow gets (by host, else by the token's
issuer when exactly one profile claims it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.config.configuration import load_configuration
from authdoctor.config.options import default_values
from authdoctor.config.options import parse_options
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import annotate
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.settings import Settings
from authdoctor.profiles.profile import load_profiles
from authdoctor.profiles.profile import with_provider_profiles
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import request

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ENTRA_V1 = f"https://sts.windows.net/{TENANT}/"
ENTRA_V2 = f"https://login.microsoftonline.com/{TENANT}/v2.0"
OKTA = "https://dev-123456.okta.com/oauth2/default"
COGNITO = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEf123"
KEYCLOAK = "http://localhost:8080/realms/myrealm"
GRAPH_CHALLENGE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    'authorize", client_id="00000003-0000-0000-c000-000000000000"'
)
GRAPH = "https://graph.microsoft.com"
GRAPH_ID = "00000003-0000-0000-c000-000000000000"
EXPIRED = {"issued": -7200, "expires": -3600}
FORM = ("Content-Type", "application/x-www-form-urlencoded")


@pytest.fixture(scope="module")
def configured() -> tuple[Settings, Ruleset]:
    """What the addon runs with when no profile is named: the provider profiles and every pack."""
    return load_configuration(parse_options(default_values()))


def answer(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> http.Response:
    """A response as published: the given headers (a JSON content type unless one is given)."""
    pairs = headers or [("Content-Type", "application/json; charset=utf-8")]
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    fields = http.Headers([(k.encode(), v.encode()) for k, v in pairs])
    return tutils.tresp(status_code=status, reason=b"", headers=fields, content=content)


def call(
    url: str,
    resp: http.Response,
    *,
    method: str = "GET",
    headers: tuple[tuple[str, str], ...] = (),
    content: bytes = b"",
) -> http.HTTPFlow:
    req = request(url, method=method, headers=headers, content=content)
    return tflow.tflow(req=req, resp=resp)


@dataclass(frozen=True)
class Case:
    cause: str
    rule: str
    build: Callable[[Issuer], http.HTTPFlow]


def graph_error(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2022-09-23T11:57:49", "request-id": request_id},
        }
    }


def graph(
    status: int, code: str, message: str, request_id: str, token: str, path: str = "/v1.0/users"
) -> http.HTTPFlow:
    """A Graph call answered with Graph's error object and its request-id header."""
    headers = [("content-type", "application/json"), ("request-id", request_id)]
    if status == 401:
        headers.append(("www-authenticate", GRAPH_CHALLENGE))
    resp = answer(status, graph_error(code, message, request_id), headers)
    return call(f"https://graph.microsoft.com{path}", resp, headers=(bearer(token),))


CASES: dict[str, Case] = {
    # https://github.com/microsofthackathons/tdi/issues/24: headers and body of the 401
    "graph-expired": Case(
        "token_expired",
        "graph-token-expired",
        lambda i: graph(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
            "1740feb8-b33a-4c08-a6ee-ab5cfc5a18c4",
            i.token(iss=ENTRA_V1, aud=GRAPH, scope=None, scp="User.Read", **EXPIRED),
            "/v1.0/me",
        ),
    ),
    # https://github.com/microsoftgraph/microsoft-graph-docs/issues/16208
    "graph-audience": Case(
        "audience_mismatch",
        "graph-invalid-audience",
        lambda i: graph(
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
            "49fef2a7-61c7-4529-9ee8-539a352c2f59",
            i.token(iss=ENTRA_V2, aud="api://orders-api", scope="Orders.Read"),
        ),
    ),
    # https://github.com/AzureAD/microsoft-authentication-library-for-python/issues/355
    "graph-compact-token": Case(
        "malformed_token",
        "graph-token-unparseable",
        lambda i: graph(
            401,
            "InvalidAuthenticationToken",
            "CompactToken parsing failed with error code: 80049217",
            "2b550b0f-bb49-4163-9e71-30fc57a28a19",
            "EwBwA8l6BAAURSN6x7pQ0UJPxzYbMbCh8m5M0Y2xKcqUAAe0h4wFQ",
        ),
    ),
    # https://github.com/microsoftgraph/nodejs-connect-rest-sample/issues/69 (403)
    "graph-delegated": Case(
        "insufficient_scope",
        "graph-delegated-permission-missing",
        lambda i: graph(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            "6fca4864-c043-4aa6-b312-39cbe2ae4c41",
            i.token(iss=ENTRA_V1, aud=GRAPH, scope=None, scp="User.Read openid profile"),
        ),
    ),
    # the same 403 to an app-only token
    # (https://github.com/Azure-Samples/ms-identity-python-daemon/issues/8)
    "graph-application": Case(
        "insufficient_scope",
        "graph-application-permission-missing",
        lambda i: graph(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            "d3d91569-9702-478e-90bc-21baa7b31591",
            i.token(iss=ENTRA_V1, aud=GRAPH_ID, scope=None, roles=["Mail.Send"]),
        ),
    ),
    # Azure Monitor's answer to an expired Entra token
    # (https://learn.microsoft.com/azure/azure-monitor/agents/azure-monitor-agent-windows-client)
    "identitymodel-expired": Case(
        "token_expired",
        "idx-token-expired",
        lambda i: call(
            "https://global.handler.control.monitor.azure.com/health",
            answer(
                401,
                {
                    "error": {
                        "code": "TokenExpired",
                        "message": "IDX10223: Lifetime validation failed. The token is expired. "
                        "ValidTo (UTC): '12/27/2024 4:41:52 PM', Current time (UTC): "
                        "'12/30/2024 3:00:16 PM'.",
                    }
                },
            ),
            method="POST",
            headers=(bearer(i.token(iss=ENTRA_V1, aud="https://monitor.azure.com", **EXPIRED)),),
        ),
    ),
    # Okta's E0000006 (https://developer.okta.com/docs/reference/error-codes/), as recorded
    # in okta-signin-widget's tests
    "okta-permission": Case(
        "insufficient_scope",
        "okta-permission-denied",
        lambda i: call(
            "https://dev-123456.okta.com/api/v1/users",
            answer(
                403,
                {
                    "errorCode": "E0000006",
                    "errorSummary": "You do not have permission to perform the requested action",
                    "errorLink": "E0000006",
                    "errorId": "oae-vceygQ0R2KIGrs9IRcVfw",
                    "errorCauses": [],
                },
            ),
            headers=(
                bearer(
                    i.token(
                        iss="https://dev-123456.okta.com",
                        aud="https://dev-123456.okta.com",
                        scope="okta.users.read",
                    )
                ),
            ),
        ),
    ),
    # https://github.com/auth0/laravel-auth0/issues/455 (the body as published)
    "auth0-expired": Case(
        "token_expired",
        "auth0-token-expired",
        lambda i: call(
            "https://acme.eu.auth0.com/api/v2/users",
            answer(
                401,
                {
                    "statusCode": 401,
                    "error": "Unauthorized",
                    "message": "Expired token received for JSON Web Token validation",
                    "attributes": {"error": "Expired token received for JSON Web Token validation"},
                },
            ),
            headers=(
                bearer(
                    i.token(
                        iss="https://acme.eu.auth0.com/",
                        aud="https://acme.eu.auth0.com/api/v2/",
                        **EXPIRED,
                    )
                ),
            ),
        ),
    ),
    # https://github.com/auth0/auth0-cli/pull/538
    "auth0-scope": Case(
        "insufficient_scope",
        "auth0-insufficient-scope",
        lambda i: call(
            "https://acme.eu.auth0.com/api/v2/grants",
            answer(
                403,
                {
                    "statusCode": 403,
                    "error": "Forbidden",
                    "message": "Insufficient scope, expected any of: read:grants",
                    "errorCode": "insufficient_scope",
                },
            ),
            headers=(
                bearer(
                    i.token(
                        iss="https://acme.eu.auth0.com/",
                        aud="https://acme.eu.auth0.com/api/v2/",
                        scope="read:users",
                    )
                ),
            ),
        ),
    ),
    # https://github.com/rohitaryal/imageFX-api/issues/2
    "google-unauthenticated": Case(
        "unknown",
        "google-credentials-rejected",
        lambda i: call(
            "https://aisandbox-pa.googleapis.com/v1:runImageFx",
            answer(
                401,
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials. Expected "
                        "OAuth 2 access token, login cookie or other valid authentication "
                        "credential. See https://developers.google.com/identity/sign-in/web/"
                        "devconsole-project.",
                        "status": "UNAUTHENTICATED",
                    }
                },
            ),
            method="POST",
            headers=(bearer("ya29.a0AZYkNZhxkOOeKm1TTYwm1Y404v5nctH6pNkB4s3ky8gNtGtH3Eih"),),
        ),
    ),
    # https://github.com/analogdotnow/Analog/issues/296 (body) with the challenge of
    # https://github.com/kwent/react-google-contacts/issues/6
    "google-scope": Case(
        "insufficient_scope",
        "google-scope-insufficient",
        lambda i: call(
            "https://www.googleapis.com/calendar/v3/users/me/calendarList",
            answer(
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "Request had insufficient authentication scopes.",
                        "errors": [
                            {
                                "message": "Insufficient Permission",
                                "domain": "global",
                                "reason": "insufficientPermissions",
                            }
                        ],
                        "status": "PERMISSION_DENIED",
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                                "domain": "googleapis.com",
                                "metadata": {
                                    "service": "calendar-json.googleapis.com",
                                    "method": "calendar.v3.CalendarList.List",
                                },
                            }
                        ],
                    }
                },
                [
                    ("content-type", "application/json; charset=UTF-8"),
                    (
                        "www-authenticate",
                        'Bearer realm="https://accounts.google.com/", error="insufficient_scope", '
                        'scope="https://www.googleapis.com/auth/calendar"',
                    ),
                ],
            ),
            headers=(bearer("ya29.a0AfB_byC3ExampleOpaqueAccessTokenValue0123456789"),),
        ),
    ),
    # API Gateway's Cognito authorizer (https://github.com/aws-amplify/amplify-android/issues/935)
    "cognito-authorizer": Case(
        "unknown",
        "cognito-authorizer-rejected",
        lambda i: call(
            "https://h1z7c2zen5.execute-api.eu-central-1.amazonaws.com/dev/items/",
            answer(
                401,
                {"message": "Unauthorized"},
                [
                    ("content-type", "application/json"),
                    ("x-amzn-ErrorType", "UnauthorizedException"),
                ],
            ),
            headers=(bearer(i.token(iss=COGNITO, aud="4vq2ns3ebe8s0examplehd2f3o", scope=None)),),
        ),
    ),
    # the user pool API (AWS JSON 1.1): https://github.com/aws-amplify/aws-sdk-ios/issues/1376
    # (message) in the shape of https://github.com/amazon-archives/amazon-cognito-identity-js/issues/91
    "cognito-expired": Case(
        "token_expired",
        "cognito-access-token-expired",
        lambda i: call(
            "https://cognito-idp.eu-central-1.amazonaws.com/",
            answer(
                400,
                {"__type": "NotAuthorizedException", "message": "Access Token has expired"},
                [
                    ("content-type", "application/x-amz-json-1.1"),
                    ("x-amzn-ErrorType", "NotAuthorizedException:"),
                    ("x-amzn-RequestId", "8d5f8a3c-0000-4000-8000-000000000001"),
                ],
            ),
            method="POST",
            headers=(
                ("X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser"),
                ("Content-Type", "application/x-amz-json-1.1"),
            ),
            content=b'{"AccessToken": "redacted"}',
        ),
    ),
    # https://github.com/Rukenshia/ueberauth_keycloak/issues/5: headers and body
    "keycloak-userinfo": Case(
        "unknown",
        "keycloak-token-verification-failed",
        lambda i: call(
            f"{KEYCLOAK}/protocol/openid-connect/userinfo",
            answer(
                401,
                {"error": "invalid_token", "error_description": "Token verification failed"},
                [
                    ("content-type", "application/json"),
                    (
                        "www-authenticate",
                        'Bearer realm="myrealm", error="invalid_token", '
                        'error_description="Token verification failed"',
                    ),
                ],
            ),
            headers=(bearer(i.token(iss=KEYCLOAK, aud="account", scope="openid profile")),),
        ),
    ),
    # token endpoints ------------------------------------------------------------------
    # https://learn.microsoft.com/azure/azure-arc/kubernetes/troubleshooting (401)
    "entra-secret": Case(
        "client_credentials_invalid",
        "entra-client-secret-invalid",
        lambda i: call(
            f"https://login.microsoftonline.com/{TENANT}/oauth2/token",
            answer(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret is provided.\r\n"
                    "Trace ID: b179b7db-c957-4917-a1b6-66fab2042a00\r\nCorrelation ID: "
                    "4cfc9c81-660f-4a1a-ba0b-87db205c5461\r\nTimestamp: 2020-04-07 20:52:51Z",
                    "error_codes": [7000215],
                    "timestamp": "2020-04-07 20:52:51Z",
                    "trace_id": "b179b7db-c957-4917-a1b6-66fab2042a00",
                    "correlation_id": "4cfc9c81-660f-4a1a-ba0b-87db205c5461",
                    "error_uri": "https://login.microsoftonline.com/error?code=7000215",
                },
            ),
            method="POST",
            headers=(FORM,),
            content=b"grant_type=client_credentials&client_id=82195c37-7497-458c-b643-f4a3d0a64190"
            b"&client_secret=wrong&resource=https%3A%2F%2Fmanagement.azure.com%2F",
        ),
    ),
    # https://github.com/Azure/azure-cli/issues/14244 (400)
    "entra-refresh": Case(
        "refresh_token_invalid",
        "entra-grant-expired",
        lambda i: call(
            "https://login.microsoftonline.com/common/oauth2/token",
            answer(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "AADSTS700082: The refresh token has expired due to "
                    "inactivity. The token was issued on 2020-02-26T21:52:54.2810613Z and was "
                    "inactive for 90.00:00:00.\r\nTrace ID: 6e94ade5-10de-4d67-909a-14d845813500",
                    "error_codes": [700082],
                    "timestamp": "2020-07-06 22:31:52Z",
                    "trace_id": "6e94ade5-10de-4d67-909a-14d845813500",
                    "correlation_id": "0e87b495-1e24-4882-be85-d012c216f4f6",
                    "error_uri": "https://login.microsoftonline.com/error?code=700082",
                },
            ),
            method="POST",
            headers=(FORM,),
            content=b"grant_type=refresh_token&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46"
            b"&refresh_token=0.AAAA-old",
        ),
    ),
    # Microsoft's sample (https://learn.microsoft.com/entra/identity-platform/reference-error-codes)
    "entra-scope": Case(
        "invalid_scope_requested",
        "entra-invalid-scope",
        lambda i: call(
            f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
            answer(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": "AADSTS70011: The provided value for the input "
                    "parameter 'scope' isn't valid. The scope https://example.contoso.com/"
                    "activity.read isn't valid.",
                    "error_codes": [70011],
                    "timestamp": "2016-01-09 02:02:12Z",
                    "error_uri": "https://login.microsoftonline.com/error?code=70011",
                },
            ),
            method="POST",
            headers=(FORM,),
            content=b"grant_type=client_credentials&client_id=app&client_secret=s"
            b"&scope=https%3A%2F%2Fexample.contoso.com%2Factivity.read",
        ),
    ),
    # https://github.com/okta/okta-auth-js/issues/455
    "okta-client": Case(
        "client_credentials_invalid",
        "okta-client-auth-failed",
        lambda i: call(
            f"{OKTA}/v1/token",
            answer(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed. Either the client or "
                    "the client credentials are invalid.",
                },
            ),
            method="POST",
            headers=(FORM,),
            content=b"grant_type=authorization_code&client_id=0oa1b2c3d4EXAMPLE&code=abc",
        ),
    ),
    # https://github.com/auth0/node-auth0/issues/292
    "auth0-audience": Case(
        "invalid_scope_requested",
        "auth0-api-not-found",
        lambda i: call(
            "https://acme.eu.auth0.com/oauth/token",
            answer(
                403,
                {
                    "error": "access_denied",
                    "error_description": "Service not enabled within domain: "
                    "https://auth-asp.collegeconsortium.org/api/v2/",
                },
            ),
            method="POST",
            headers=(FORM,),
            content=b"grant_type=client_credentials&client_id=c&client_secret=s"
            b"&audience=https%3A%2F%2Fauth-asp.collegeconsortium.org%2Fapi%2Fv2%2F",
        ),
    ),
    # https://github.com/AppleIdLoginHelper/LoginHelper/issues/8
    "google-refresh": Case(
        "refresh_token_invalid",
        "google-refresh-token-expired",
        lambda i: call(
            "https://oauth2.googleapis.com/token",
            answer(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            ),
            method="POST",
            headers=(FORM,),
            content=b"grant_type=refresh_token&client_id=1-abc.apps.googleusercontent.com"
            b"&client_secret=s&refresh_token=1%2F%2F0old",
        ),
    ),
    # https://github.com/keycloak/keycloak/issues/37961
    "keycloak-refresh": Case(
        "refresh_token_invalid",
        "keycloak-refresh-token-inactive",
        lambda i: call(
            f"{KEYCLOAK}/protocol/openid-connect/token",
            answer(400, {"error": "invalid_grant", "error_description": "Token is not active"}),
            method="POST",
            headers=(FORM,),
            content=b"grant_type=refresh_token&client_id=web&refresh_token=eyJold",
        ),
    ),
    # https://github.com/keycloak/keycloak/issues/16923
    "keycloak-client": Case(
        "client_credentials_invalid",
        "keycloak-client-invalid",
        lambda i: call(
            f"{KEYCLOAK}/protocol/openid-connect/token",
            answer(
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Invalid client or Invalid client credentials",
                },
            ),
            method="POST",
            headers=(FORM,),
            content=b"grant_type=authorization_code&client_id=realm-name-web&code=abc",
        ),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_provider_answer_is_diagnosed(
    name: str, issuer: Issuer, configured: tuple[Settings, Ruleset]
) -> None:
    settings, ruleset = configured
    case = CASES[name]
    f = case.build(issuer)
    result = Analyzer(ruleset, settings).analyze(f)
    annotate(f, result.diagnosis, result.token_summary())
    assert result.diagnosis.cause == case.cause
    assert result.diagnosis.primary is not None
    assert result.diagnosis.primary.rule == case.rule
    metadata = f.metadata["authdoctor"]
    assert metadata["cause"] == case.cause
    assert metadata["findings"][0]["rule"] == case.rule
    assert "<" not in result.diagnosis.primary.explain  # every printed fact was there


PROVIDER_RULES = {
    p.stem
    for p in (Path(__file__).resolve().parents[2] / "rules" / "providers").rglob("*.yaml")
    if not p.name.endswith(".cases.yaml")
}


def _healthy(url: str, token: str) -> http.HTTPFlow:
    return call(url, answer(200, {"value": []}), headers=(bearer(token),))


HEALTHY: dict[str, Callable[[Issuer], http.HTTPFlow]] = {
    "graph": lambda i: _healthy(
        "https://graph.microsoft.com/v1.0/me",
        i.token(iss=ENTRA_V1, aud="https://graph.microsoft.com", scope=None, scp="User.Read"),
    ),
    "own-api-with-keycloak-token": lambda i: _healthy(
        "https://orders.example.com/v1/orders", i.token(iss=KEYCLOAK, aud="orders")
    ),
    "own-api-with-entra-token": lambda i: _healthy(
        "https://orders.example.com/v1/orders", i.token(iss=ENTRA_V2, aud="api://orders")
    ),
    "google": lambda i: _healthy("https://www.googleapis.com/drive/v3/files", "ya29.a0AfB_example"),
}


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_provider_flows_get_no_error(
    name: str, issuer: Issuer, configured: tuple[Settings, Ruleset]
) -> None:
    settings, ruleset = configured
    diagnosis = Analyzer(ruleset, settings).analyze(HEALTHY[name](issuer)).diagnosis
    assert diagnosis.cause is None
    assert all(f.severity != "error" for f in diagnosis.findings)


def test_other_apis_failures_get_no_provider_rule(
    issuer: Issuer, configured: tuple[Settings, Ruleset]
) -> None:
    """A generic 401 from your own API with an Okta token: the provider packs stay silent."""
    settings, ruleset = configured
    body = {"error": "invalid_token", "error_description": "The access token is invalid"}
    f = call(
        "https://orders.example.com/v1/orders",
        answer(
            401,
            body,
            [
                ("Content-Type", "application/json"),
                ("WWW-Authenticate", 'Bearer error="invalid_token"'),
            ],
        ),
        headers=(bearer(issuer.token(iss=OKTA, aud="api://orders")),),
    )
    result = Analyzer(ruleset, settings).analyze(f)
    assert result.facts["profile.id"] == "okta"
    assert {x.rule for x in result.diagnosis.findings} & PROVIDER_RULES == set()
    # the provider profile knows nothing of this API's audience: no audience verdict
    assert "token.audience_ok" not in result.facts
    assert "token.claims_ok" in result.facts and result.facts["token.claims_ok"] is False


# --- which profile a flow gets -----------------------------------------------------------


def _facts(settings: Settings, url: str, token: str, ruleset: Ruleset) -> dict[str, Any]:
    return Analyzer(ruleset, settings).analyze(_healthy(url, token)).facts


def test_issuer_chooses_the_one_matching_profile(
    issuer: Issuer, configured: tuple[Settings, Ruleset]
) -> None:
    settings, ruleset = configured
    facts = _facts(settings, "https://orders.example.com/x", issuer.token(iss=OKTA), ruleset)
    assert (facts["profile.id"], facts["profile.matched_by"]) == ("okta", "issuer")
    assert facts["env.token"] == "okta"
    assert "env.request" not in facts and "token.expected_audience" not in facts


def test_graph_is_never_chosen_by_issuer(
    issuer: Issuer, configured: tuple[Settings, Ruleset]
) -> None:
    settings, ruleset = configured
    facts = _facts(settings, "https://orders.example.com/x", issuer.token(iss=ENTRA_V1), ruleset)
    assert (facts["profile.id"], facts["profile.matched_by"]) == ("microsoft-entra", "issuer")


def test_a_host_match_wins_over_the_issuer(
    issuer: Issuer, configured: tuple[Settings, Ruleset]
) -> None:
    settings, ruleset = configured
    token = issuer.token(iss=ENTRA_V1, aud="https://graph.microsoft.com")
    facts = _facts(settings, "https://graph.microsoft.com/v1.0/me", token, ruleset)
    assert (facts["profile.id"], facts["profile.matched_by"]) == ("microsoft-graph", "host")
    assert facts["token.audience_ok"] is True and facts["token.issuer_known"] is True
    facts = _facts(
        settings, "https://dev-123456.okta.com/api/v1/users", issuer.token(iss=KEYCLOAK), ruleset
    )
    assert (facts["profile.id"], facts["profile.matched_by"]) == ("okta", "host")
    assert facts["token.issuer_known"] is False


def test_no_profile_when_no_issuer_matches(
    issuer: Issuer, configured: tuple[Settings, Ruleset]
) -> None:
    settings, ruleset = configured
    token = issuer.token(iss="https://idp.example.net/")
    facts = _facts(settings, "https://orders.example.com/x", token, ruleset)
    assert "profile.id" not in facts and "profile.matched_by" not in facts


def test_no_profile_when_the_issuer_is_ambiguous(
    tmp_path: Path, issuer: Issuer, configured: tuple[Settings, Ruleset]
) -> None:
    _, ruleset = configured
    own = tmp_path / "my-okta.yaml"
    own.write_text(
        "id: my-okta\ntitle: My Okta API\nenvironments:\n  prod:\n"
        "    hosts: [api.mine.example]\n    issuers: ['https://*.okta.com/oauth2/*']\n"
    )
    settings = Settings(profiles=with_provider_profiles(load_profiles([str(own)])))
    facts = _facts(settings, "https://orders.example.com/x", issuer.token(iss=OKTA), ruleset)
    assert "profile.id" not in facts
    # by host, the user's own profile still applies
    facts = _facts(settings, "https://api.mine.example/x", issuer.token(iss=OKTA), ruleset)
    assert (facts["profile.id"], facts["profile.matched_by"]) == ("my-okta", "host")


def test_issuer_choice_is_remembered() -> None:
    settings = Settings(profiles=with_provider_profiles(()))
    first = settings.profile_for_issuer(OKTA)
    assert first is not None and first[0].id == "okta"
    assert settings.profile_for_issuer(OKTA) is first
    assert settings.profile_for_issuer("https://idp.example.net/") is None
