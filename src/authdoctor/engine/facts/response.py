"""Facts about the server's answer: status, WWW-Authenticate, error body, Date, request id."""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from mitmproxy import http

from authdoctor.engine.facts.api_key import mask_echoed_secrets
from authdoctor.profiles import Profile
from authdoctor.util import Deferred
from authdoctor.util import bounded_lru
from authdoctor.util import clock_phrase
from authdoctor.util import iso_utc
from authdoctor.wire import MAX_ERROR_BODY
from authdoctor.wire import Challenge
from authdoctor.wire import ErrorBody
from authdoctor.wire import bearer_challenge
from authdoctor.wire import bounded_body
from authdoctor.wire import parse_error_body
from authdoctor.wire import parse_www_authenticate
from authdoctor.wire import plain_text_error

# Error codes with a meaning fixed by RFC 6749 section 5.2 (token endpoint) and RFC 6750
# section 3.1 (resource servers) and RFC 9449 (DPoP).
TOKEN_ENDPOINT_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)
OAUTH_ERROR_CODES = TOKEN_ENDPOINT_ERRORS | {
    "invalid_token",
    "insufficient_scope",
    "access_denied",
    "invalid_dpop_proof",
}
MAX_SERVER = 100  # a Server header names a product; longer values are cut
REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-ms-request-id",
    "client-request-id",
    "x-github-request-id",
    "x-trace-id",
    "cf-ray",
)


def parse_http_date(value: str) -> float | None:
    """Seconds since the epoch of an HTTP Date; cached, as responses share their second."""
    return _parse_http_date(value) if len(value) <= 64 else None  # no HTTP date is longer


@lru_cache(maxsize=256)
def _parse_http_date(value: str) -> float | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # asctime form: HTTP dates are always GMT (RFC 9110 5.6.7)
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (ValueError, OverflowError):
        return None


def _clock_text(offset: int) -> str:
    return f"the server's clock is {clock_phrase(offset)}"


def _clock_facts(
    date: str | None, response: http.Response, request: http.Request, leeway: int
) -> dict[str, Any]:
    server_time = parse_http_date(date) if date else None
    if server_time is None:
        return {}
    sent = request.timestamp_end or request.timestamp_start
    answered = response.timestamp_start or sent
    local = (sent + answered) / 2  # the server wrote Date somewhere in between
    offset = round(server_time + 0.5 - local)  # Date is truncated to whole seconds
    return {
        "response.date_iso": Deferred(iso_utc, server_time),
        "response.clock_offset_s": offset,
        "response.clock_offset": Deferred(_clock_text, offset),
        "response.clock_skewed": abs(offset) > leeway,
    }


def _header_map(response: http.Response) -> dict[str, list[str]]:
    """Lower-cased name -> values, built once: cheaper than many Headers lookups."""
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.fields:
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return headers


def _auth_error(
    challenge_error: str | None, body: ErrorBody | None, profile: Profile | None
) -> str | None:
    if challenge_error:
        return challenge_error
    if body is None:
        return None
    if body.error in OAUTH_ERROR_CODES:
        return body.error
    if profile and body.code and body.code in profile.error_codes:
        return profile.error_codes[body.code]
    return body.error


def response_facts(
    response: http.Response | None, request: http.Request, profile: Profile | None, leeway: int
) -> dict[str, Any]:
    if response is None:
        return {
            "response.received": False,
            "response.summary": "nothing yet (no response has arrived)",
        }
    status = response.status_code
    facts: dict[str, Any] = {
        "response.received": True,
        "response.status": status,
        "response.auth_failed": status in (401, 403),
    }
    headers = _header_map(response)
    body = None
    if status >= 400 or "www-authenticate" in headers:  # an accepted call has no error to read
        body = _error_facts(facts, status, headers, response, profile)
    if server := mask_echoed_secrets(headers.get("server", ("",))[0][:MAX_SERVER]).strip().lower():
        facts["response.server"] = server
    request_id = next((headers[h][0] for h in REQUEST_ID_HEADERS if h in headers), None)
    if request_id or (body and body.request_id):
        facts["response.request_id"] = mask_echoed_secrets(request_id or body.request_id)
    facts.update(_clock_facts(headers.get("date", [None])[0], response, request, leeway))
    facts["response.summary"] = Deferred(_summary, facts)
    return facts


@bounded_lru(length=lambda values: sum(map(len, values)))
def _challenges(values: tuple[str, ...]) -> tuple[Challenge, ...]:
    """Parsed once per distinct header (servers repeat theirs). Callers never change the
    challenges."""
    return tuple(parse_www_authenticate(values))


def _error_facts(
    facts: dict[str, Any],
    status: int,
    headers: dict[str, list[str]],
    response: http.Response,
    profile: Profile | None,
) -> ErrorBody | None:
    """The challenge, the error body and the error codes of a refusal, into `facts`; the
    parsed JSON error body, if any, is returned for its request id."""
    challenges = _challenges(tuple(headers.get("www-authenticate", ())))
    if challenges:
        facts["response.challenge_schemes"] = [c.scheme for c in challenges]
        facts["response.auth_scheme"] = challenges[0].scheme
    bearer = bearer_challenge(challenges)
    content_type = headers.get("content-type", [None])[0]
    raw = bounded_body(response, MAX_ERROR_BODY) if status >= 400 else None
    body = parse_error_body(raw, content_type)
    plain = plain_text_error(raw, content_type) if body is None else None
    challenge_error = bearer.param("error") if bearer else None
    # What the server wrote is shown in explanations: a key or JWT it quotes is cut short.
    if bearer and (realm := bearer.param("realm")):
        facts["response.realm"] = mask_echoed_secrets(realm)
    if bearer and challenge_error == "insufficient_scope" and (scope := bearer.param("scope")):
        facts["response.challenge_scope"] = scope.split()
    if (error := _auth_error(challenge_error, body, profile)) is not None:
        facts["response.auth_error"] = mask_echoed_secrets(error)
        # RFC 6750 section 3.1: a malformed auth request is answered 400 invalid_request.
        facts["response.auth_failed"] |= status == 400 and error == "invalid_request"
    described = (bearer.param("error_description") if bearer else None, body and body.description)
    texts = [mask_echoed_secrets(t) for t in (*described, plain) if t]
    if texts:
        facts["response.error_description"] = texts[0]
        facts["response.error_text"] = " | ".join(texts).lower()
    if body and body.code:
        facts["response.error_code"] = mask_echoed_secrets(body.code)
    elif amzn_type := headers.get("x-amzn-errortype"):
        # AWS (API Gateway, Cognito) names the error in a header: "NotAuthorizedException:..."
        facts["response.error_code"] = mask_echoed_secrets(amzn_type[0].partition(":")[0].strip())
    # AWS APIs (Cognito's user pool API) answer a rejected token with 400 NotAuthorizedException.
    if status == 400 and facts.get("response.error_code") == "NotAuthorizedException":
        facts["response.auth_failed"] = True
    return body


def _summary(facts: dict[str, Any]) -> str:
    """'401 (invalid_token: "Token has expired", request id req_1)' for explanations."""
    details = [
        facts.get("response.auth_error"),
        f'"{facts["response.error_description"]}"'
        if "response.error_description" in facts
        else None,
        f"request id {facts['response.request_id']}" if "response.request_id" in facts else None,
    ]
    shown = ", ".join(d for d in details if d)
    return f"{facts['response.status']} ({shown})" if shown else str(facts["response.status"])
