"""The whole pipeline on failing flows: facts -> rules -> diagnosis -> annotation.

One flow per root cause the shipped rules produce, each shaped like the Company X API's
real answers (runbook-401.md): 401 with `WWW-Authenticate: Bearer realm="Company X API",
error="invalid_token", ...` and a JSON error body; no usable token gets the challenge
without error=; a missing scope is a 403 with error="insufficient_scope", scope="...".
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mitmproxy import http
from mitmproxy import io as mitmio

from authdoctor.engine.analysis import Analysis
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import annotate
from authdoctor.engine.diagnosis import ACCEPTED_NOTE
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.settings import Settings
from tests.unit.authflows import CLIENT_ID
from tests.unit.authflows import REQUEST_ID
from tests.unit.authflows import STAGING_AUDIENCE
from tests.unit.authflows import STAGING_ISSUER
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import company_x_error
from tests.unit.authflows import flow
from tests.unit.authflows import response

DEVICES = "https://api.xxx.com/v2/devices"
TOKEN_ENDPOINT = "https://auth.xxx.com/oauth/token"
EXPIRED_2H13 = {"issued": -8000 - 3600, "expires": -8000}  # exp 2 h 13 min 20 s before
NO_TOKEN = {"error": None}  # Company X's answer when it found no usable token


def _run(f: http.HTTPFlow, ruleset: Ruleset, settings: Settings) -> Analysis:
    result = Analyzer(ruleset, settings).analyze(f)
    annotate(f, result.diagnosis, result.token_summary())
    return result


@dataclass(frozen=True)
class Failing:
    cause: str
    rule: str
    build: Callable[[Issuer], http.HTTPFlow]
    shows: tuple[str, ...]  # real values the comment must contain
    keyed: bool = False  # needs a profile that names the issuer's signing keys


def _token_call(
    form: bytes,
    status: int,
    error: str,
    description: str,
    *,
    basic: bool = False,
    challenge: str | None = None,
) -> http.HTTPFlow:
    """A POST to Company X's token endpoint answered with an RFC 6749 error."""
    headers = [("Content-Type", "application/x-www-form-urlencoded")]
    if basic:
        headers.append(("Authorization", "Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ="))
    answer_headers = [("WWW-Authenticate", challenge)] if challenge else []
    body = {"error": error, "error_description": description}
    return flow(
        TOKEN_ENDPOINT,
        method="POST",
        headers=headers,
        content=form,
        resp=response(status, headers=answer_headers, body=body),
    )


def _signed_by_another_key(token: str) -> str:
    """The same header and claims, signed with a key the API does not have."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": "cx-2026-01"})


def _cut_off(token: str) -> str:
    """The RS256 signature (342 characters) cut to 140: a column length limit."""
    return token[: len(token) - 202]


FAILING: dict[str, Failing] = {
    "missing_authorization": Failing(
        "missing_authorization",
        "missing-authorization",
        lambda i: flow(DEVICES, resp=company_x_error(**NO_TOKEN)),
        ("GET https://api.xxx.com/v2/devices", "every request to api.xxx.com", REQUEST_ID),
    ),
    "wrong_header_name": Failing(
        "wrong_header_name",
        "wrong-header-name",
        lambda i: flow(
            DEVICES,
            headers=[("Authentication", f"Bearer {i.token()}")],
            resp=company_x_error(**NO_TOKEN),
        ),
        ('the header "Authentication"', 'Rename the header "Authentication" to "Authorization"'),
    ),
    "bad_scheme": Failing(
        "bad_scheme",
        "bearer-case-strict",
        lambda i: flow(
            DEVICES,
            headers=[("Authorization", f"bearer {i.token()}")],
            resp=company_x_error(**NO_TOKEN),
        ),
        ('starts with "bearer"', "Company X REST API only accepts", "with a capital B"),
    ),
    "malformed_token": Failing(
        "malformed_token",
        "jwt-truncated",
        lambda i: flow(
            DEVICES,
            headers=[bearer(_cut_off(i.token()))],
            resp=company_x_error(description="The access token is malformed"),
        ),
        (
            "the RS256 signature is 105 bytes, 128 or 256 or 384 or 512 expected",
            "characters, sha256:",
        ),
    ),
    "token_expired": Failing(
        "token_expired",
        "token-expired",
        lambda i: flow(
            DEVICES,
            headers=[bearer(i.token(**EXPIRED_2H13))],
            resp=company_x_error(description="Token has expired"),
        ),
        (
            "(1999-12-31 20:46:40 UTC) was 2 h 13 min before the request",
            "it lived 1 h",
            "grant_type=refresh_token",
            f"-d client_id={CLIENT_ID}",
            "https://auth.xxx.com/oauth/token",
        ),
    ),
    "token_not_yet_valid": Failing(
        "token_not_yet_valid",
        "token-not-yet-valid",
        lambda i: flow(
            DEVICES,
            headers=[bearer(i.token(issued=-60, not_before=300))],
            resp=company_x_error(description="Token is not yet valid"),
        ),
        ("nbf claim (1999-12-31 23:05:00 UTC) lies 5 min after", "30 s leeway"),
    ),
    "clock_skew": Failing(
        "clock_skew",
        "token-issued-in-future",
        lambda i: flow(
            DEVICES,
            headers=[bearer(i.token(issued=600, expires=4200))],
            resp=company_x_error(description="The token is not yet valid (iat)"),
        ),
        ("iat claim (1999-12-31 23:10:00 UTC) is 10 min after", "ntpdate -q pool.ntp.org"),
    ),
    "clock_skew-server-ahead": Failing(
        "clock_skew",
        "server-clock-offset",
        lambda i: flow(
            DEVICES,
            headers=[bearer(i.token(issued=-3300, expires=300))],
            resp=company_x_error(description="Token has expired", date_offset=600),
        ),
        ("Date header says 1999-12-31 23:10:00 UTC", "9 min 59 s ahead of this machine's"),
    ),
    "wrong_environment": Failing(
        "wrong_environment",
        "wrong-environment",
        lambda i: flow(
            DEVICES,
            headers=[bearer(i.token(iss=STAGING_ISSUER, aud=STAGING_AUDIENCE))],
            resp=company_x_error(),
        ),
        (
            "went to api.xxx.com (production)",
            "issued by https://auth.staging.xxx.com/, the staging issuer",
            "accepts tokens from https://auth.xxx.com/ only",
        ),
    ),
    "audience_mismatch": Failing(
        "audience_mismatch",
        "audience-mismatch",
        lambda i: flow(
            DEVICES,
            headers=[bearer(i.token(aud="https://api.partner.example.com"))],
            resp=company_x_error(description="Invalid audience"),
        ),
        ("aud claim is [https://api.partner.example.com]", "accepts only [https://api.xxx.com]"),
    ),
    "insufficient_scope": Failing(
        "insufficient_scope",
        "insufficient-scope",
        lambda i: flow(
            "https://api.xxx.com/v2/logs/audit",
            headers=[bearer(i.token(scope="read write"))],
            resp=company_x_error(
                403,
                error="insufficient_scope",
                description="Token lacks required scope",
                code="E-AUTH-003",
                scope="logs:read admin",
            ),
        ),
        (
            "GET /v2/logs/audit accepts any of [logs:read, admin]",
            "only grants [read, write]",
            "-d scope='read write logs:read'",
            "allow logs:read or admin",
        ),
    ),
    "token_revoked": Failing(
        "token_revoked",
        "token-revoked",
        lambda i: flow(DEVICES, headers=[bearer(i.token())], resp=company_x_error()),
        (
            "a JWT from https://auth.xxx.com/",
            "valid until 1999-12-31 23:50:00 UTC (50 min after the request)",
            f"client {CLIENT_ID} is Active",
            f"request id {REQUEST_ID}",
        ),
    ),
    "unknown": Failing(
        "unknown",
        "unexplained-auth-failure",
        lambda i: flow(
            "https://api.xxx.com/v2/policies",
            headers=[bearer(i.token(scope="read"))],
            resp=company_x_error(
                403,
                error=None,
                description="Access from this network is not allowed",
                code="E-AUTH-005",
            ),
        ),
        (
            '403 (forbidden, "Access from this network is not allowed"',
            "Still possible: token_revoked, signature_invalid",
            "curl -v",
        ),
    ),
    "client_credentials_invalid": Failing(
        "client_credentials_invalid",
        "client-authentication-failed",
        lambda i: _token_call(
            b"grant_type=client_credentials&client_id=old-app&client_secret=s3cret",
            401,
            "invalid_client",
            "Client authentication failed",
            challenge='Basic realm="Company X"',
        ),
        ("did not accept client old-app (authenticated by form)", "Settings > API > Applications"),
    ),
    "refresh_token_invalid": Failing(
        "refresh_token_invalid",
        "refresh-token-rejected",
        lambda i: _token_call(
            b"grant_type=refresh_token&refresh_token=rt-used-before",
            400,
            "invalid_grant",
            "The refresh token is invalid, expired or revoked",
            basic=True,
        ),
        ("refresh-token grant for client demo-client failed", "already used once"),
    ),
    "invalid_scope_requested": Failing(
        "invalid_scope_requested",
        "requested-scope-rejected",
        lambda i: _token_call(
            b"grant_type=client_credentials&client_id=demo-client&client_secret=x"
            b"&scope=read+billing%3Awrite",
            400,
            "invalid_scope",
            "Scope not allowed",
        ),
        ("asked for the scopes [read, billing:write]",),
    ),
    "token_request_invalid": Failing(
        "token_request_invalid",
        "token-request-malformed",
        lambda i: _token_call(
            b"grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
            400,
            "invalid_request",
            "Use only one client authentication method",
            basic=True,
        ),
        ('client authentication "both"',),
    ),
    "api_key_invalid_okta_ssws": Failing(
        "api_key_invalid",
        "okta-api-token-invalid",
        # Okta's E0000011 body (https://developer.okta.com/docs/reference/error-codes/)
        lambda i: flow(
            "https://dev-123456.okta.com/api/v1/users",
            headers=[("Authorization", "SSWS 00abcdefghijklmnopqrstuvwxyz0123456789ABCD")],
            resp=response(
                401,
                body={
                    "errorCode": "E0000011",
                    "errorSummary": "Invalid token provided",
                    "errorLink": "E0000011",
                    "errorId": "oae3iIXhkQVQ2izGNwhnR47JQ",
                    "errorCauses": [],
                },
            ),
        ),
        ("Okta did not accept the API token", "dev-123456.okta.com"),
    ),
    "wrong_token_type": Failing(
        "wrong_token_type",
        "id-token-as-access-token",
        lambda i: flow(
            DEVICES,
            headers=[bearer(i.token(aud=CLIENT_ID, scope=None, nonce="n-0S6_WzA2Mj"))],
            resp=company_x_error(),
        ),
        (
            "is an OpenID Connect ID token, not an access token: has nonce",
            f"the sign-in proof for the client that asked for it (aud {CLIENT_ID})",
            "Send the access_token field of the token response",
        ),
    ),
    "signature_invalid": Failing(
        "signature_invalid",
        "signature-invalid",
        lambda i: flow(
            DEVICES,
            headers=[bearer(_signed_by_another_key(i.token()))],
            resp=company_x_error(description="Token signature verification failed"),
        ),
        ("does not verify against Company X", "kid cx-2026-01, RS256"),
        keyed=True,
    ),
    "api_key_invalid": Failing(
        "api_key_invalid",
        "api-key-rejected",
        lambda i: flow(
            "https://api.example.com/v1/orders",
            headers=[("X-API-Key", "k-4a7d1c9e2b6f4e0a8c3d5b7e9f1a2c4d")],
            resp=response(403, body={"message": "Forbidden"}),
        ),
        ("API key (sha256:", 'in the "X-API-Key" header', '403 ("Forbidden")'),
    ),
    "wrong_token_type_github_refresh": Failing(
        "wrong_token_type",
        "github-refresh-token-as-bearer",
        lambda i: flow(
            "https://api.github.com/user",
            headers=[
                bearer(
                    "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498"
                )
            ],
            resp=response(401, body={"message": "Bad credentials"}),
        ),
        ("GitHub App refresh token (ghr_…, sha256:", "Send the access_token field"),
    ),
}


def test_every_error_cause_of_the_shipped_rules_is_covered(ruleset: Ruleset) -> None:
    produced = {r.cause for r in ruleset.rules if r.severity == "error"}
    assert produced == {f.cause for f in FAILING.values()}


@pytest.mark.parametrize("name", FAILING)
def test_primary_cause(
    name: str, issuer: Issuer, ruleset: Ruleset, settings: Settings, request
) -> None:
    case = FAILING[name]
    if case.keyed:
        settings = request.getfixturevalue("keyed_settings")
    diagnosis = Analyzer(ruleset, settings).analyze(case.build(issuer)).diagnosis
    assert diagnosis.cause == case.cause
    assert diagnosis.primary is not None
    assert diagnosis.primary.rule == case.rule
    assert diagnosis.severity == "error"
    assert diagnosis.provisional is False


def _secrets(f: http.HTTPFlow) -> list[str]:
    """The tail of every credential the request carried (JWT signatures, tokens)."""
    values = [v.split()[-1] for v in f.request.headers.values() if v.strip()]
    return [v[-24:] for v in values if len(v) >= 40]


@pytest.mark.parametrize("name", FAILING)
def test_annotation(
    name: str, issuer: Issuer, ruleset: Ruleset, settings: Settings, request
) -> None:
    case = FAILING[name]
    if case.keyed:
        settings = request.getfixturevalue("keyed_settings")
    f = case.build(issuer)
    result = _run(f, ruleset, settings)
    primary = result.diagnosis.primary
    assert primary is not None

    title, *_ = f.comment.split("\n")
    assert title == f"authdoctor: {primary.title} [{case.cause} · {case.rule}]"
    for value in case.shows:
        assert value in f.comment
    for number in range(1, len(primary.fix) + 1):
        assert f"\n  {number}. " in f.comment
    assert f"\n  {len(primary.fix) + 1}. " not in f.comment
    assert f.marked == ":no_entry:"

    metadata = f.metadata["authdoctor"]
    assert json.loads(json.dumps(metadata)) == metadata
    assert metadata["cause"] == case.cause
    assert metadata["severity"] == "error"
    assert metadata["findings"][0]["rule"] == case.rule
    assert metadata["findings"][0]["fix"] == list(primary.fix)

    for secret in _secrets(f):
        assert secret not in f.comment
        assert secret not in json.dumps(metadata)

    buffer = io.BytesIO()
    mitmio.FlowWriter(buffer).add(f)
    buffer.seek(0)
    (loaded,) = mitmio.FlowReader(buffer).stream()
    assert loaded.metadata["authdoctor"] == metadata
    assert loaded.comment == f.comment
    assert loaded.marked == ":no_entry:"


def test_expired_token_and_server_clock_ahead(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    f = flow(
        DEVICES,
        headers=[bearer(issuer.token(**EXPIRED_2H13))],
        resp=company_x_error(description="Token has expired", date_offset=600),
    )
    result = _run(f, ruleset, settings)
    findings = result.diagnosis.findings
    assert result.diagnosis.cause == "token_expired"
    assert [(x.rule, x.cause) for x in findings[:2]] == [
        ("token-expired", "token_expired"),
        ("server-clock-offset", "clock_skew"),
    ]
    assert "\nAlso (error): The server's clock and this machine's clock differ" in f.comment
    assert [x["cause"] for x in f.metadata["authdoctor"]["findings"][:2]] == [
        "token_expired",
        "clock_skew",
    ]


def test_expired_token_accepted_by_the_server_only_warns(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    f = flow(
        DEVICES,
        headers=[bearer(issuer.token(**EXPIRED_2H13))],
        resp=response(200, body={"data": []}),
    )
    result = _run(f, ruleset, settings)
    diagnosis = result.diagnosis
    assert diagnosis.cause is None
    assert diagnosis.severity == "warning"
    assert [(x.rule, x.severity) for x in diagnosis.findings] == [("token-expired", "warning")]
    assert diagnosis.findings[0].explain.endswith(ACCEPTED_NOTE)
    assert f.marked == ":warning:"
    assert f.metadata["authdoctor"]["cause"] is None
    assert f.comment.startswith("authdoctor: The access token had expired")


def test_user_comment_is_kept_and_the_block_is_not_duplicated(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    f = FAILING["token_expired"].build(issuer)
    f.comment = "my note"
    _run(f, ruleset, settings)
    first = f.comment
    assert first.startswith("my note\n\nauthdoctor: The access token had expired")
    _run(f, ruleset, settings)
    assert f.comment == first
    assert f.comment.count("authdoctor: ") == 1
    assert f.comment.count("\n  1. ") == 1


def test_user_marker_is_not_overwritten(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    f = FAILING["token_expired"].build(issuer)
    f.marked = ":star:"
    _run(f, ruleset, settings)
    assert f.marked == ":star:"
    assert f.metadata["authdoctor"]["cause"] == "token_expired"
    assert f.comment.startswith("authdoctor: ")


def test_provisional_diagnosis_before_the_response(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    f = flow(DEVICES, headers=[bearer(issuer.token(**EXPIRED_2H13))])
    assert f.response is None
    result = _run(f, ruleset, settings)
    assert result.diagnosis.provisional is True
    assert result.diagnosis.cause == "token_expired"
    assert f.marked == ":hourglass:"
    assert f.comment.startswith(
        "authdoctor (before the response): The access token had expired when the request was sent"
    )
    assert "nothing yet (no response has arrived)" in f.comment
    assert f.metadata["authdoctor"]["provisional"] is True

    # the response settles it, replacing the provisional block
    f.response = company_x_error(description="Token has expired")
    result = _run(f, ruleset, settings)
    assert result.diagnosis.provisional is False
    assert f.marked == ":no_entry:"
    assert f.comment.startswith("authdoctor: The access token had expired")
    assert "before the response" not in f.comment
    assert f.metadata["authdoctor"]["provisional"] is False


def test_accepted_answer_replaces_the_provisional_annotation(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    f = flow(DEVICES, headers=[bearer(issuer.token(issued=60 - 3600, expires=60))])
    f.comment = "my note"
    _run(f, ruleset, settings)
    assert f.marked == ":hourglass:"
    f.response = response(200, body={"data": []})
    _run(f, ruleset, settings)
    assert f.comment.startswith("my note\n\nauthdoctor: The token expires soon")
    assert "before the response" not in f.comment
    assert f.marked == ":warning:"
    assert f.metadata["authdoctor"]["cause"] is None


def _cut_length(signature: str, remainder: int) -> int:
    """The first cut from 140 characters on that leaves `remainder` characters over a
    multiple of 4 and, for 2 or 3, a last character with leftover bits set (as a cut in
    the middle of a signature nearly always does)."""
    for length in range(140, len(signature)):
        if length % 4 != remainder:
            continue
        part = signature[:length]
        if remainder in (0, 1):
            return length
        decoded = base64.urlsafe_b64decode(part + "=" * (-length % 4))
        if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() != part:
            return length
    raise AssertionError("no such cut")


@pytest.mark.parametrize(
    "remainder",
    [
        pytest.param(0, id="multiple-of-4"),
        pytest.param(1, id="1-over"),
        pytest.param(2, id="2-over"),
        pytest.param(3, id="3-over"),
    ],
)
def test_a_token_cut_anywhere_in_its_signature_is_called_truncated(
    remainder: int, issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    head, _, signature = issuer.token().rpartition(".")
    assert len(signature) == 342  # RS256 with a 2048-bit key
    cut = signature[: _cut_length(signature, remainder)]
    f = flow(DEVICES, headers=[bearer(f"{head}.{cut}")])
    facts = Analyzer(ruleset, settings).analyze(f).facts
    assert facts["token.format"] == "malformed"
    assert facts["token.truncated"] is True


# --- the Analyzer: which flows it judges, and what it remembers of them ------------------


def test_judge_records_a_relevant_flow_and_skips_the_rest(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    store = SessionStore()
    analyzer = Analyzer(ruleset, settings, store)
    elsewhere = flow("https://cdn.example/logo.png", resp=response(200))
    assert analyzer.judge(elsewhere) is None
    assert analyzer.request_side(elsewhere) is None
    assert store.flows == 0
    refused = flow("https://cdn.example/private", resp=company_x_error())  # a 401 makes it so
    assert analyzer.judge(refused) is not None
    assert store.flows == 1
    judged = analyzer.judge(flow(DEVICES, headers=[bearer(issuer.token(**EXPIRED_2H13))]))
    assert judged is not None and judged.diagnosis.provisional
    assert store.flows == 2


def test_analyze_reads_the_session_but_records_nothing(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    store = SessionStore()
    analyzer = Analyzer(ruleset, settings, store)
    f = flow(DEVICES, headers=[bearer(issuer.token(**EXPIRED_2H13))], resp=company_x_error())
    assert analyzer.analyze(f).diagnosis.cause == "token_expired"
    assert store.flows == 0 and len(store.tokens) == 0


def test_a_request_side_means_the_request_hook_found_the_flow_relevant(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    """The response hook does not ask again: the request hook's answer stands."""
    f = flow(DEVICES, headers=[bearer(issuer.token(**EXPIRED_2H13))])
    side = Analyzer(ruleset, settings).request_side(f)
    assert side is not None
    f.response = company_x_error()
    only_elsewhere = Analyzer(ruleset, settings, SessionStore(), frozenset({"other.example"}))
    assert only_elsewhere.judge(f) is None
    judged = only_elsewhere.judge(f, side)
    assert judged is not None and judged.diagnosis.cause == "token_expired"


def test_hosts_limit_what_is_judged(issuer: Issuer, ruleset: Ruleset, settings: Settings) -> None:
    analyzer = Analyzer(ruleset, settings, SessionStore(), frozenset({"api.xxx.com"}))
    assert analyzer.is_relevant(flow(DEVICES))  # no credential, no answer: the host decides
    assert not analyzer.is_relevant(flow("https://auth.xxx.com/x", resp=company_x_error()))
