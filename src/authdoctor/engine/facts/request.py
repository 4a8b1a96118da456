"""Facts about the request line: method, redacted URL, host, time."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import urlencode

from mitmproxy import http

from authdoctor.engine.facts.header import TOKEN_QUERY_PARAMS
from authdoctor.engine.facts.header import query_of
from authdoctor.engine.facts.token_endpoint import FORM_TYPE
from authdoctor.engine.facts.token_endpoint import MAX_OAUTH_BODY
from authdoctor.util import Deferred
from authdoctor.util import iso_utc
from authdoctor.wire import bounded_body
from authdoctor.wire import is_loopback

_SECRET_QUERY = frozenset(
    {*TOKEN_QUERY_PARAMS, "client_secret", "refresh_token", "code", "password", "secret", "sig"}
)


def redacted_url(request: http.Request) -> str:
    """The URL with the values of credential-like query parameters replaced."""
    if "?" not in request.path:
        return request.pretty_url
    base = request.pretty_url.split("?", 1)[0]
    pairs = [
        (k, "REDACTED" if k.lower() in _SECRET_QUERY else v)
        for k, v in query_of(request).items(multi=True)
    ]
    # surrogateescape: bytes that are not UTF-8 go back out as the %XX they came in as
    return f"{base}?{urlencode(pairs, safe=':/', errors='surrogateescape')}"


_TOKEN_PATH_ENDINGS = ("/token", "/oauth/token", "/oauth2/token", "/oauth2/v2.0/token")


def is_token_request(request: http.Request, token_endpoints: Collection[str]) -> bool:
    """A POST to an OAuth token endpoint: a known URL (the profile's, or one a discovery
    document named), a usual path, or a grant_type form field."""
    if request.method != "POST":
        return False
    path = request.path.split("?", 1)[0].rstrip("/")
    if token_endpoints and request.pretty_url.split("?", 1)[0].rstrip("/") in token_endpoints:
        return True
    if path.endswith(_TOKEN_PATH_ENDINGS):
        return True
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        return False
    return b"grant_type=" in (bounded_body(request, MAX_OAUTH_BODY) or b"")


# Secrets that must never travel in a URL; `code` is left out, as the authorization-code
# redirect carries it by design (RFC 6749 section 4.1.2).
_URL_SECRETS = _SECRET_QUERY - {"code", "sig"}


_URL_SECRET_NEEDLES = tuple(f"{name}=" for name in _URL_SECRETS)


def secret_query_params(request: http.Request) -> list[str]:
    """Names of query parameters that carry secrets (never their values)."""
    _, _, query = request.path.partition("?")
    if not query:
        return []
    lowered = query.lower()
    if not any(needle in lowered for needle in _URL_SECRET_NEEDLES):
        return []  # the common case, without parsing the query
    return [name for name in query_of(request) if name.lower() in _URL_SECRETS]


def request_facts(request: http.Request, token_endpoints: Collection[str]) -> dict[str, Any]:
    """Request-line facts; `token_endpoints` are known token endpoint URLs without a
    trailing slash."""
    facts = _request_line_facts(request, token_endpoints)
    if secrets := secret_query_params(request):
        facts["request.secret_query_params"] = secrets
    return facts


def _request_line_facts(request: http.Request, token_endpoints: Collection[str]) -> dict[str, Any]:
    return {
        "request.kind": "token_endpoint" if is_token_request(request, token_endpoints) else "api",
        "request.is_loopback": is_loopback(request.host),
        "request.method": request.method,
        "request.url": Deferred(redacted_url, request),
        "request.host": request.host,
        "request.path": request.path.split("?", 1)[0],
        "request.is_https": request.scheme == "https",
        "request.sent_iso": Deferred(iso_utc, request.timestamp_start),
    }
