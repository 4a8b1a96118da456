"""The stack rule packs (rules/stacks/) through the whole pipeline, on each stack's own answers.

Every response is written the way the stack's source writes it, cited beside it: status,
headers and body verbatim (times and URLs filled in for the flow). The request carries a
real RS256 token from authflows.Issuer, so the claims-based rules see what they would see
in a real session; the stack rule must still be the primary finding, and a healthy answer
from the same stack must produce no error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from email.utils import formatdate
from typing import Any

import jwt
import pytest
from mitmproxy import http
from mitmproxy.test import tutils

from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.settings import Settings
from tests.unit.authflows import SENT
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow

ORDERS = "https://api.example.com/v1/orders"
COMPANY_X = "https://api.xxx.com/v2/devices"  # a host with a profile: the core rules join in
OPAQUE = "2YotnFZFEjr1zCsicMWpAA"  # RFC 6749's example access token
EXPIRED = {"issued": -8000 - 3600, "expires": -8000}
EARLY = {"issued": -60, "not_before": 600}
RFC6750 = "https://tools.ietf.org/html/rfc6750#section-3.1"


def answer(status: int, headers: list[tuple[str, str]], body: bytes = b"") -> http.Response:
    """A response with exactly these headers (plus Date at the request time) and body."""
    pairs = [("date", formatdate(SENT, usegmt=True)), *headers]
    if body or status != 204:
        pairs.append(("content-length", str(len(body))))
    fields = [(k.encode(), v.encode()) for k, v in pairs]
    return tutils.tresp(status_code=status, reason=b"", headers=http.Headers(fields), content=body)


def exp_of(token: str, claim: str = "exp") -> float:
    return jwt.decode(token, options={"verify_signature": False})[claim]


# --- Envoy jwt_authn and RBAC, Istio -------------------------------------------------------
# envoy source/extensions/filters/http/jwt_authn/filter.cc onComplete: sendLocalReply(code,
# getStatusString(status)) with `WWW-Authenticate: Bearer realm="<original uri>"` plus
# `, error="invalid_token"` unless the status is JwtMissed; 403 only for
# JwtAudienceNotAllowed. Local replies are text/plain; `server: envoy` (istio-envoy in Istio).
# Status strings: google/jwt_verify_lib src/status.cc.


def envoy(status_text: str, url: str = ORDERS, server: str = "envoy") -> http.Response:
    challenge = f'Bearer realm="{url}"'
    if status_text != "Jwt is missing":
        challenge += ', error="invalid_token"'
    status = 403 if status_text == "Audiences in Jwt are not allowed" else 401
    headers = [("www-authenticate", challenge), ("content-type", "text/plain"), ("server", server)]
    return answer(status, headers, status_text.encode())


def rbac_denied() -> http.Response:
    # envoy source/extensions/filters/http/rbac/rbac_filter.cc:
    # sendLocalReply(Http::Code::Forbidden, "RBAC: access denied", ...)
    headers = [("content-type", "text/plain"), ("server", "istio-envoy")]
    return answer(403, headers, b"RBAC: access denied")


# --- Spring Security resource server ---------------------------------------------------------
# BearerTokenAuthenticationEntryPoint: `Bearer error="...", error_description="...",
# error_uri="..."`, no body; NimbusJwtDecoder wraps every failure in "An error occurred while
# attempting to decode the Jwt: %s". Spring Security's default headers come with it.
SPRING_HEADERS = [
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "0"),
    ("cache-control", "no-cache, no-store, max-age=0, must-revalidate"),
    ("pragma", "no-cache"),
    ("expires", "0"),
    ("x-frame-options", "DENY"),
]


def spring(status: int, error: str, description: str) -> http.Response:
    challenge = f'Bearer error="{error}", error_description="{description}", error_uri="{RFC6750}"'
    return answer(status, [("www-authenticate", challenge), *SPRING_HEADERS])


def spring_decode(message: str) -> http.Response:
    return spring(
        401, "invalid_token", f"An error occurred while attempting to decode the Jwt: {message}"
    )


def instant(timestamp: float) -> str:
    """java.time.Instant.toString(), as JwtTimestampValidator prints exp and nbf."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Auth0 express-oauth2-jwt-bearer ---------------------------------------------------------
# oauth2-bearer src/errors.ts: `Bearer realm="api", error="...", error_description=<JSON string>`
# (and scope="..." for InsufficientScopeError; a bare `Bearer realm="api"` for
# UnauthorizedError); finalhandler sends err.headers, an HTML page and its security headers.
EXPRESS_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
    b"</head>\n<body>\n<pre>Unauthorized</pre>\n</body>\n</html>\n"
)


def express(status: int, error: str | None, message: str = "", scope: str = "") -> http.Response:
    challenge = 'Bearer realm="api"'
    if error:
        challenge += f', error="{error}", error_description={json.dumps(message)}'
    if scope:
        challenge += f', scope="{scope}"'
    headers = [
        ("x-powered-by", "Express"),
        ("www-authenticate", challenge),
        ("content-security-policy", "default-src 'none'"),
        ("x-content-type-options", "nosniff"),
        ("content-type", "text/html; charset=utf-8"),
    ]
    page = EXPRESS_PAGE if status == 401 else EXPRESS_PAGE.replace(b"Unauthorized", b"Forbidden")
    return answer(status, headers, page)


# --- ASP.NET Core JwtBearer ------------------------------------------------------------------
# JwtBearerHandler.HandleChallengeAsync: `Bearer error="invalid_token", error_description="..."`
# from CreateErrorDescription, or Options.Challenge ("Bearer") alone when there was no
# failure; HandleForbiddenAsync only sets 403. Kestrel adds `Server: Kestrel`; no body.


def aspnet(status: int, description: str | None = None, challenge: bool = True) -> http.Response:
    headers = [("server", "Kestrel")]
    if challenge:
        value = (
            "Bearer"
            if description is None
            else f'Bearer error="invalid_token", error_description="{description}"'
        )
        headers.append(("www-authenticate", value))
    return answer(status, headers)


def invariant(timestamp: float) -> str:
    """DateTime.ToString(CultureInfo.InvariantCulture), as CreateErrorDescription prints it."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%m/%d/%Y %H:%M:%S")


type TokenSpec = dict[str, Any] | str | None  # Issuer.token() arguments, a literal, or none
VALID: TokenSpec = {}
OTHER_ISSUER = "https://login.staging.example.com/"
OTHER_AUDIENCE = "https://api.partner.example.com"


@dataclass(frozen=True)
class Case:
    """One stack answer: `answer` gets the token the request sent (None: no token)."""

    rule: str
    cause: str
    answer: Callable[[str | None], http.Response]
    token: TokenSpec = field(default_factory=dict)
    url: str = ORDERS

    def build(self, issuer: Issuer) -> http.HTTPFlow:
        spec = self.token
        value = issuer.token(**spec) if isinstance(spec, dict) else spec
        headers = [bearer(value)] if value else []
        return flow(self.url, headers=headers, resp=self.answer(value))


def sent(token: str, response: http.Response, url: str = ORDERS) -> http.HTTPFlow:
    return flow(url, headers=[bearer(token)], resp=response)


def spring_time(message: str, claim: str) -> Callable[[str | None], http.Response]:
    """Spring's JwtTimestampValidator message with the token's own exp or nbf."""
    return lambda t: spring_decode(f"{message} {instant(exp_of(t or '', claim))}")


def aspnet_time(message: str, claim: str) -> Callable[[str | None], http.Response]:
    """JwtBearer's CreateErrorDescription message with the token's own exp or nbf."""
    return lambda t: aspnet(401, f"{message} '{invariant(exp_of(t or '', claim))}'")


SCOPE_DENIED = "The request requires higher privileges than provided by the access token."
NO_KEY = "Signed JWT rejected: Another algorithm expected, or no matching key(s) found"

CASES: dict[str, Case] = {
    # Envoy / Istio
    "envoy-missing": Case("envoy-jwt-missing", "missing_authorization",
                          lambda t: envoy("Jwt is missing"), None),
    "envoy-expired": Case("envoy-jwt-expired", "token_expired",
                          lambda t: envoy("Jwt is expired"), EXPIRED),
    "envoy-expired-company-x": Case("envoy-jwt-expired", "token_expired",
                                    lambda t: envoy("Jwt is expired", COMPANY_X, "istio-envoy"),
                                    EXPIRED, COMPANY_X),
    "envoy-early": Case("envoy-jwt-not-yet-valid", "token_not_yet_valid",
                        lambda t: envoy("Jwt not yet valid"), EARLY),
    "envoy-signature": Case("envoy-jwt-signature-invalid", "signature_invalid",
                            lambda t: envoy("Jwt verification fails")),
    "envoy-no-key": Case("envoy-jwks-no-matching-key", "signature_invalid",
                         lambda t: envoy("Jwks doesn't have key to match kid or alg from Jwt")),
    "envoy-audience": Case("envoy-jwt-audience-not-allowed", "audience_mismatch",
                           lambda t: envoy("Audiences in Jwt are not allowed"),
                           {"aud": OTHER_AUDIENCE}),
    "envoy-issuer": Case("envoy-jwt-issuer-not-configured", "wrong_environment",
                         lambda t: envoy("Jwt issuer is not configured"), {"iss": OTHER_ISSUER}),
    "envoy-malformed": Case("envoy-jwt-malformed", "malformed_token",
                            lambda t: envoy("Jwt is not in the form of Header.Payload.Signature"),
                            OPAQUE),
    "envoy-jwks-fetch": Case("envoy-jwks-fetch-failed", "unknown",
                             lambda t: envoy("Jwks remote fetch is failed", COMPANY_X),
                             VALID, COMPANY_X),
    "istio-no-token": Case("istio-rbac-denied-no-token", "missing_authorization",
                           lambda t: rbac_denied(), None),
    "istio-no-token-company-x": Case("istio-rbac-denied-no-token", "missing_authorization",
                                     lambda t: rbac_denied(), None, COMPANY_X),
    "istio-with-token": Case("istio-rbac-denied-with-token", "unknown", lambda t: rbac_denied()),
    # Spring Security
    "spring-expired": Case("spring-jwt-expired", "token_expired",
                           spring_time("Jwt expired at", "exp"), EXPIRED),
    "spring-early": Case("spring-jwt-not-yet-valid", "token_not_yet_valid",
                         spring_time("Jwt used before", "nbf"), EARLY),
    "spring-signature": Case("spring-jwt-signature-invalid", "signature_invalid",
                             lambda t: spring_decode("Signed JWT rejected: Invalid signature")),
    "spring-no-key": Case("spring-jwt-no-matching-key", "signature_invalid",
                          lambda t: spring_decode(NO_KEY)),
    "spring-issuer": Case("spring-jwt-issuer-invalid", "wrong_environment",
                          lambda t: spring_decode("The iss claim is not valid"),
                          {"iss": OTHER_ISSUER}),
    "spring-audience": Case("spring-jwt-audience-invalid", "audience_mismatch",
                            lambda t: spring_decode("The aud claim is not valid"),
                            {"aud": OTHER_AUDIENCE}),
    "spring-malformed": Case("spring-jwt-malformed", "malformed_token",
                             lambda t: spring_decode("Malformed token"), OPAQUE),
    "spring-scope": Case("spring-insufficient-scope", "insufficient_scope",
                         lambda t: spring(403, "insufficient_scope", SCOPE_DENIED)),
    "spring-inactive": Case("spring-opaque-token-inactive", "token_revoked",
                            lambda t: spring(401, "invalid_token", "Provided token isn't active"),
                            OPAQUE),
    # Auth0 express-oauth2-jwt-bearer
    "express-expired": Case("express-jwt-expired", "token_expired",
                            lambda t: express(401, "invalid_token",
                                              '"exp" claim timestamp check failed'), EXPIRED),
    "express-early": Case("express-jwt-not-yet-valid", "token_not_yet_valid",
                          lambda t: express(401, "invalid_token",
                                            '"nbf" claim timestamp check failed'), EARLY),
    "express-audience": Case("express-jwt-audience-invalid", "audience_mismatch",
                             lambda t: express(401, "invalid_token", "Unexpected 'aud' value"),
                             {"aud": OTHER_AUDIENCE}),
    "express-issuer": Case("express-jwt-issuer-invalid", "wrong_environment",
                           lambda t: express(401, "invalid_token", "Unexpected 'iss' value"),
                           {"iss": OTHER_ISSUER}),
    "express-signature": Case("express-jwt-signature-invalid", "signature_invalid",
                              lambda t: express(401, "invalid_token",
                                                "signature verification failed")),
    "express-malformed": Case("express-jwt-malformed", "malformed_token",
                              lambda t: express(401, "invalid_token", "Invalid Compact JWS"),
                              OPAQUE),
    "express-no-token": Case("express-no-token", "missing_authorization",
                             lambda t: express(401, None), None),
    "express-scope": Case("express-insufficient-scope", "insufficient_scope",
                          lambda t: express(403, "insufficient_scope", "Insufficient Scope",
                                            scope="read:messages")),
    # ASP.NET Core JwtBearer
    "aspnet-expired": Case("aspnetcore-token-expired", "token_expired",
                           aspnet_time("The token expired at", "exp"), EXPIRED),
    "aspnet-early": Case("aspnetcore-token-not-yet-valid", "token_not_yet_valid",
                         aspnet_time("The token is not valid before", "nbf"), EARLY),
    "aspnet-signature": Case("aspnetcore-signature-invalid", "signature_invalid",
                             lambda t: aspnet(401, "The signature is invalid")),
    "aspnet-no-key": Case("aspnetcore-signature-key-not-found", "signature_invalid",
                          lambda t: aspnet(401, "The signature key was not found")),
    "aspnet-issuer": Case("aspnetcore-issuer-invalid", "wrong_environment",
                          lambda t: aspnet(401, f"The issuer '{OTHER_ISSUER}' is invalid"),
                          {"iss": OTHER_ISSUER}),
    "aspnet-audience": Case("aspnetcore-audience-invalid", "audience_mismatch",
                            lambda t: aspnet(401, f"The audience '{OTHER_AUDIENCE}' is invalid"),
                            {"aud": OTHER_AUDIENCE}),
    "aspnet-no-token": Case("aspnetcore-no-token", "missing_authorization",
                            lambda t: aspnet(401), None),
    "aspnet-token-not-read": Case("aspnetcore-token-not-read", "unknown", lambda t: aspnet(401)),
    "aspnet-forbidden": Case("aspnetcore-forbidden-policy", "insufficient_scope",
                             lambda t: aspnet(403, challenge=False)),
}  # fmt: skip


def test_every_stack_rule_has_a_pipeline_case(ruleset: Ruleset) -> None:
    stack_rules = {r.id for r in ruleset.rules if "/rules/stacks/" in r.file}
    assert stack_rules == {case.rule for case in CASES.values()}


@pytest.mark.parametrize("name", CASES)
def test_the_stack_rule_is_the_primary_cause(
    name: str, issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    case = CASES[name]
    diagnosis = Analyzer(ruleset, settings).analyze(case.build(issuer)).diagnosis
    assert diagnosis.primary is not None
    assert (diagnosis.primary.rule, diagnosis.cause) == (case.rule, case.cause)
    assert diagnosis.severity == "error"
    suppressed = ruleset.get(case.rule).suppresses
    assert suppressed.isdisjoint(f.rule for f in diagnosis.findings)


def test_the_server_text_is_quoted_and_the_claims_are_kept(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    """Envoy's "Jwt is expired" on a Company X host: the stack rule speaks for the core
    token-expired rule (which it suppresses) and still gives the claims' times."""
    result = Analyzer(ruleset, settings).analyze(CASES["envoy-expired-company-x"].build(issuer))
    primary = result.diagnosis.primary
    assert primary is not None
    assert '401 (invalid_token, "Jwt is expired")' in primary.explain
    assert "(1999-12-31 20:46:40 UTC) was 2 h 13 min before the request" in primary.explain
    assert "token-expired" not in [f.rule for f in result.diagnosis.findings]
    assert result.facts["response.server"] == "istio-envoy"


def test_a_stack_verdict_the_claims_contradict_is_left_to_the_clock_rules(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    """Envoy says expired, the token's exp is 50 min ahead by this machine's clock: not
    called token_expired by the stack rule (the gateway's clock is the suspect)."""
    f = sent(issuer.token(), envoy("Jwt is expired"))
    rules = [x.rule for x in Analyzer(ruleset, settings).analyze(f).diagnosis.findings]
    assert "envoy-jwt-expired" not in rules
    assert "token-expired" not in rules


def test_express_insufficient_scope_names_every_scope_needed(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    f = sent(issuer.token(scope="read"), express(403, "insufficient_scope", "Insufficient Scope",
                                                 scope="read:messages write:messages"))  # fmt: skip
    primary = Analyzer(ruleset, settings).analyze(f).diagnosis.primary
    assert primary is not None and primary.rule == "express-insufficient-scope"
    assert "every one of [read:messages, write:messages]" in primary.explain


# --- healthy answers from the same stacks: no error, no stack rule --------------------------

HEALTHY = {
    "envoy": lambda i: sent(i.token(), answer(200, [
        ("content-type", "application/json"), ("server", "envoy"),
        ("x-envoy-upstream-service-time", "3")], b'{"orders": []}')),
    "istio": lambda i: sent(i.token(), answer(200, [
        ("content-type", "text/plain"), ("server", "istio-envoy")], b"ok")),
    "spring": lambda i: sent(i.token(), answer(200, [
        ("content-type", "application/json"), *SPRING_HEADERS], b'{"orders": []}')),
    "express": lambda i: sent(i.token(), answer(200, [
        ("x-powered-by", "Express"), ("content-type", "application/json; charset=utf-8")],
        b'{"messages": []}')),
    "aspnet": lambda i: sent(i.token(), answer(200, [
        ("content-type", "application/json; charset=utf-8"), ("server", "Kestrel")],
        b'[{"temperatureC": 21}]')),
    # a text/plain 404 from Envoy is an error body, but not an auth failure
    "envoy-404": lambda i: sent(i.token(), answer(404, [
        ("content-type", "text/plain"), ("server", "envoy")], b"Not Found")),
}  # fmt: skip


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_answers_get_no_error(
    name: str, issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    diagnosis = Analyzer(ruleset, settings).analyze(HEALTHY[name](issuer)).diagnosis
    assert diagnosis.cause is None
    assert [f.rule for f in diagnosis.findings if f.severity == "error"] == []
    assert not any("/rules/stacks/" in ruleset.get(f.rule).file for f in diagnosis.findings)


# --- hostile answers: free-text matching stays linear ------------------------------------

HOSTILE_TEXTS = [
    "the issuer '" + "x" * 8000,
    "the audience '" * 600,
    "unexpected " * 700 + '"',
    "'" * 8000,
    "a" * 8000 + " is invalid",
]


def test_stack_conditions_are_fast_on_hostile_error_text(ruleset: Ruleset) -> None:
    stack_rules = [r for r in ruleset.rules if "/rules/stacks/" in r.file]
    started = time.perf_counter()
    for text in HOSTILE_TEXTS:
        facts = {
            "response.auth_failed": True,
            "response.status": 401,
            "response.realm": "api",
            "response.server": "kestrel " * 12,
            "response.error_text": text,
        }
        assert [r.id for r in stack_rules if r.when(facts)] == []
    assert time.perf_counter() - started < 1.0
