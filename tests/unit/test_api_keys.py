"""API keys: recognised by header, query parameter and documented prefix; the providers'
documented rejections mapped to causes; the key itself never shown.

Each response below is the provider's documented answer (source beside it), verbatim except
that keys are test values made up here.
"""

from __future__ import annotations

import base64
import json

import pytest
from mitmproxy import http

from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import annotate
from authdoctor.engine.facts import extract_facts
from authdoctor.engine.facts.api_key import key_kind
from authdoctor.engine.facts.api_key import mask_echoed_secrets
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.settings import Settings
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response

STRIPE_SECRET = "sk_test_51Hx9ExampleKeyA1b2C3d4E5f6G7h8I9j0"
STRIPE_LIVE = "sk_live_51Hx9ExampleKeyZ9y8X7w6V5u4T3s2R1q0"
STRIPE_PUBLISHABLE = "pk_test_51Hx9ExampleKeyP1q2R3s4T5u6V7w8X9y0"
STRIPE_RESTRICTED = "rk_test_51Hx9ExampleKeyR1e2S3t4R5i6C7t8E9d0"
GITHUB_PAT = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
GITHUB_FINE_GRAINED = (
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
)
GITHUB_INSTALLATION = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"
GENERIC_KEY = "k-4a7d1c9e2b6f4e0a8c3d5b7e9f1a2c4d"

STRIPE = "https://api.stripe.com/v1/charges"
GITHUB = "https://api.github.com/repos/octo-org/private-repo/issues"
# https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
GITHUB_BAD_CREDENTIALS = {
    "message": "Bad credentials",
    "documentation_url": "https://docs.github.com/rest",
}


def _basic(user: str) -> tuple[str, str]:
    return ("Authorization", "Basic " + base64.b64encode(f"{user}:".encode()).decode())


def _stripe_error(status: int, message: str) -> http.Response:
    """Stripe's error object (https://docs.stripe.com/api/errors)."""
    return response(status, body={"error": {"message": message, "type": "invalid_request_error"}})


# name -> (flow, expected cause, expected primary rule)
CASES: dict[str, tuple[http.HTTPFlow, str, str]] = {
    # https://docs.stripe.com/error-handling (authentication errors): 401 with an error object
    "stripe-invalid-key": (
        flow(
            STRIPE,
            headers=[bearer(STRIPE_SECRET)],
            resp=_stripe_error(401, "Invalid API Key provided: sk_test_*******************G7h8"),
        ),
        "api_key_invalid",
        "stripe-api-key-invalid",
    ),
    # curl -u sk_live_...: (https://docs.stripe.com/api/authentication): the key as Basic user
    "stripe-basic-auth-expired-key": (
        flow(
            STRIPE,
            headers=[_basic(STRIPE_LIVE)],
            resp=_stripe_error(401, "Expired API Key provided: sk_live_*********************R1q0"),
        ),
        "api_key_invalid",
        "stripe-api-key-invalid",
    ),
    # https://docs.stripe.com/keys: publishable keys are for client-side code only
    "stripe-publishable-key": (
        flow(
            STRIPE,
            headers=[bearer(STRIPE_PUBLISHABLE)],
            resp=_stripe_error(
                401,
                "This API call cannot be made with a publishable API key. "
                "Please use a secret API key. You can find a list of your API keys at "
                "https://dashboard.stripe.com/account/apikeys.",
            ),
        ),
        "api_key_invalid",
        "stripe-publishable-key-used",
    ),
    # https://docs.stripe.com/keys#limit-access: restricted keys answer 403 with the permission
    "stripe-restricted-key": (
        flow(
            STRIPE,
            headers=[bearer(STRIPE_RESTRICTED)],
            resp=_stripe_error(
                403,
                "The provided key 'rk_test_*********************E9d0' does "
                "not have the required permissions for this endpoint on account "
                "'acct_1Example'. Having the 'rak_charge_read' permission would allow "
                "this request to continue.",
            ),
        ),
        "insufficient_scope",
        "stripe-restricted-key-permissions",
    ),
    "github-bad-credentials": (
        flow(
            GITHUB,
            headers=[("Authorization", f"token {GITHUB_PAT}")],
            resp=response(401, body=GITHUB_BAD_CREDENTIALS),
        ),
        "api_key_invalid",
        "github-bad-credentials",
    ),
    # Installation tokens live one hour (docs.github.com, generating an installation token)
    "github-installation-token": (
        flow(
            GITHUB,
            headers=[bearer(GITHUB_INSTALLATION)],
            resp=response(401, body=GITHUB_BAD_CREDENTIALS),
        ),
        "token_expired",
        "github-app-token-expired",
    ),
    # https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps:
    # X-OAuth-Scopes / X-Accepted-OAuth-Scopes; a private repository answers 404
    "github-missing-scope": (
        flow(
            GITHUB,
            headers=[bearer(GITHUB_PAT)],
            resp=response(
                404,
                headers=[
                    ("X-OAuth-Scopes", "gist, read:user"),
                    ("X-Accepted-OAuth-Scopes", "repo"),
                ],
                body={
                    "message": "Not Found",
                    "documentation_url": "https://docs.github.com/rest/issues/issues#list-repository-issues",
                },
            ),
        ),
        "insufficient_scope",
        "github-missing-oauth-scope",
    ),
    # https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
    "github-fine-grained-permission": (
        flow(
            GITHUB,
            method="POST",
            headers=[bearer(GITHUB_FINE_GRAINED)],
            resp=response(
                403,
                headers=[("X-Accepted-GitHub-Permissions", "issues=write")],
                body={
                    "message": "Resource not accessible by personal access token",
                    "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
                    "status": "403",
                },
            ),
        ),
        "insufficient_scope",
        "github-resource-not-accessible",
    ),
    # https://platform.openai.com/docs/guides/error-codes
    "openai-invalid-key": (
        flow(
            "https://api.openai.com/v1/chat/completions",
            method="POST",
            headers=[bearer(OPENAI_KEY)],
            resp=response(
                401,
                body={
                    "error": {
                        "message": "Incorrect API key provided: sk-proj-********************EFGH. "
                        "You can find your API key at https://platform.openai.com/account/api-keys.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    }
                },
            ),
        ),
        "api_key_invalid",
        "openai-invalid-api-key",
    ),
    # https://learn.microsoft.com/en-us/azure/api-management/api-management-subscriptions
    "apim-invalid-key": (
        flow(
            "https://contoso.azure-api.net/echo/resource",
            headers=[("Ocp-Apim-Subscription-Key", GENERIC_KEY)],
            resp=response(
                401,
                body={
                    "statusCode": 401,
                    "message": "Access denied due to invalid subscription key. Make sure to "
                    "provide a valid key for an active subscription.",
                },
            ),
        ),
        "api_key_invalid",
        "apim-subscription-key-invalid",
    ),
    "apim-missing-key": (
        flow(
            "https://contoso.azure-api.net/echo/resource",
            resp=response(
                401,
                body={
                    "statusCode": 401,
                    "message": "Access denied due to missing subscription key. Make sure to "
                    "include subscription key when making requests to an API.",
                },
            ),
        ),
        "missing_authorization",
        "apim-subscription-key-missing",
    ),
    # AWS API Gateway, apiKeyRequired with a wrong key: 403 {"message":"Forbidden"}
    # (https://repost.aws/knowledge-center/api-gateway-403-error-lambda-authorizer)
    "api-gateway-wrong-key": (
        flow(
            "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/pets",
            headers=[("x-api-key", GENERIC_KEY)],
            resp=response(
                403,
                headers=[("x-amzn-ErrorType", "ForbiddenException")],
                body={"message": "Forbidden"},
            ),
        ),
        "api_key_invalid",
        "api-key-rejected",
    ),
    "query-parameter-key": (
        flow(
            f"https://maps.example.com/api/geocode?address=x&key={GENERIC_KEY}",
            resp=response(401, body={"error": "The provided API key is invalid."}),
        ),
        "api_key_invalid",
        "api-key-rejected",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_documented_rejection(name: str, ruleset: Ruleset) -> None:
    f, cause, rule = CASES[name]
    diagnosis = Analyzer(ruleset, Settings()).analyze(f).diagnosis
    assert (diagnosis.cause, diagnosis.primary and diagnosis.primary.rule) == (cause, rule)


@pytest.mark.parametrize("name", CASES)
def test_the_key_is_never_shown(name: str, ruleset: Ruleset) -> None:
    f, _, _ = CASES[name]
    f = f.copy()
    result = Analyzer(ruleset, Settings()).analyze(f)
    annotate(f, result.diagnosis, result.token_summary())
    shown = f.comment + json.dumps(f.metadata["authdoctor"])
    for key in (
        STRIPE_SECRET,
        STRIPE_LIVE,
        STRIPE_PUBLISHABLE,
        STRIPE_RESTRICTED,
        GITHUB_PAT,
        GITHUB_FINE_GRAINED,
        GITHUB_INSTALLATION,
        OPENAI_KEY,
        GENERIC_KEY,
    ):
        assert key[-12:] not in shown
    # Masked remnants the servers send (last four characters) are cut off too.
    for tail in ("G7h8", "R1q0", "E9d0", "EFGH"):
        assert f"*{tail}" not in shown


def test_a_server_that_echoes_the_whole_key_does_not_make_us_show_it(ruleset: Ruleset) -> None:
    f = flow(
        STRIPE,
        headers=[bearer(STRIPE_SECRET)],
        resp=response(
            401, body={"error": {"message": f"Invalid API Key provided: {STRIPE_SECRET}"}}
        ),
    )
    result = Analyzer(ruleset, Settings()).analyze(f)
    annotate(f, result.diagnosis, result.token_summary())
    assert "Invalid API Key provided: sk_test_…" in f.comment
    assert STRIPE_SECRET[8:] not in f.comment + json.dumps(f.metadata["authdoctor"])


@pytest.mark.parametrize(
    "headers, url",
    [
        ([("X-API-Key", GENERIC_KEY)], "https://api.example.com/v1/orders"),
        ([bearer(STRIPE_SECRET)], STRIPE),
        ([("Authorization", f"token {GITHUB_PAT}")], GITHUB),
        ([], f"https://maps.example.com/api/geocode?key={GENERIC_KEY}"),
    ],
)
def test_accepted_keys_get_no_error(headers, url, ruleset: Ruleset) -> None:
    f = flow(
        url, headers=headers, resp=response(200, headers=[("X-OAuth-Scopes", "repo")], body={})
    )
    diagnosis = Analyzer(ruleset, Settings()).analyze(f).diagnosis
    assert diagnosis.cause is None
    assert all(finding.severity != "error" for finding in diagnosis.findings)


def test_a_key_in_an_api_key_header_is_not_called_missing() -> None:
    f = flow(
        "https://api.example.com/v1/orders",
        headers=[("X-API-Key", GENERIC_KEY)],
        resp=response(401, body={"message": "Unauthorized"}),
    )
    facts = extract_facts(f, Settings()).facts
    assert facts["request.credential_location"] == "api_key_header"
    assert facts["request.api_key_header"] == "X-API-Key"
    assert facts["api_key.present"] is True
    assert "missing_authorization" not in facts["analysis.open_causes"]
    assert facts["analysis.open_causes"][0] == "api_key_invalid"


@pytest.mark.parametrize(
    "value, kind, mode",
    [
        ("sk_live_abc123", "stripe_secret", "live"),
        ("sk_test_abc123", "stripe_secret", "test"),
        ("pk_live_abc123", "stripe_publishable", "live"),
        ("rk_test_abc123", "stripe_restricted", "test"),
        ("ghp_abc", "github_pat", None),
        ("github_pat_11abc", "github_pat", None),
        ("ghr_abc", "github_refresh", None),
        ("sk-proj-abc", "openai", None),
        ("sk-ant-api03-abc", "anthropic", None),
        ("sk-abc", "openai", None),
        ("glpat-abc", "gitlab_pat", None),
        ("AIzaSyA-abc", "google_api_key", None),
    ],
)
def test_key_kinds_by_prefix(value: str, kind: str, mode: str | None) -> None:
    found = key_kind(value)
    assert found is not None
    assert (found.kind, found.mode) == (kind, mode)


@pytest.mark.parametrize("value", ["eyJhbGciOi", "sk", "random-opaque-token", "Sk_live_x", ""])
def test_other_values_are_not_keys(value: str) -> None:
    assert key_kind(value) is None


def test_a_jwt_is_never_an_api_key(issuer) -> None:
    f = flow(STRIPE, headers=[("X-API-Key", issuer.token())], resp=response(401, body={}))
    facts = extract_facts(f, Settings()).facts
    assert "api_key.present" not in facts


@pytest.mark.parametrize(
    "text, shown",
    [
        ("Invalid API Key provided: sk_test_abcd1234", "Invalid API Key provided: sk_test_…"),
        ("bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig here", "bad token eyJ… here"),
        ("key ghp_abcdefgh and github_pat_11abcdefgh", "key ghp_… and github_pat_…"),
        ("no_key was sent", "no_key was sent"),  # an underscore alone is not a key
        ("task-list", "task-list"),  # nor is a hyphen
    ],
)
def test_echoed_secrets_are_masked(text: str, shown: str) -> None:
    assert mask_echoed_secrets(text) == shown
