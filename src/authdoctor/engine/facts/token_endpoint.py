"""Facts of token-endpoint calls (RFC 6749 sections 4, 5 and 6): the grant, how the client
authenticated, the scope asked for, and what the endpoint answered.

Token responses carry live credentials: only their shape is read (expires_in, scope, whether a
refresh token came back and whether it differs from the one sent) and the fingerprints of the
tokens handed out, never their values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from mitmproxy import http

from authdoctor.engine.facts.token import fingerprint
from authdoctor.wire import bounded_body

FORM_TYPE = "application/x-www-form-urlencoded"
# The largest token request, token response or discovery document read, decoded: each is a
# few hundred bytes to a few KiB.
MAX_OAUTH_BODY = 65536
# Tokens a token response hands out besides the access token (OIDC Core 3.1.3.3).
HANDED_OUT_FIELDS = ("refresh_token", "id_token")


def _form(request: http.Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").lower().startswith(FORM_TYPE):
        return {}
    body = bounded_body(request, MAX_OAUTH_BODY)
    if body is None:
        return {}
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return dict(reversed(pairs))  # the first value of a repeated field wins


def _basic_client_id(request: http.Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
    return decoded.partition(":")[0] or None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def request_facts(request: http.Request) -> tuple[dict[str, Any], str | None]:
    """Facts of the token request, and a digest of the refresh token it presents (if any)."""
    form = _form(request)
    basic_client = _basic_client_id(request)
    facts: dict[str, Any] = {}
    if grant := form.get("grant_type"):
        facts["oauth.grant_type"] = grant
    if "client_assertion" in form:
        method = "client_assertion"
    elif basic_client and "client_secret" in form:
        method = "both"
    elif basic_client:
        method = "basic"
    elif "client_secret" in form:
        method = "form"
    else:
        method = "none"
    facts["oauth.client_auth"] = method
    if client_id := basic_client or form.get("client_id"):
        facts["oauth.client_id"] = client_id
    if "scope" in form:
        facts["oauth.scope_requested"] = form["scope"].split()
    refresh = form.get("refresh_token")
    return facts, (_digest(refresh) if refresh else None)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a successful token response handed out, by fingerprint and digest only."""

    access_fingerprint: str
    refresh_digest: str | None
    expires_in: int | None
    scopes: tuple[str, ...] | None
    handed_out: tuple[tuple[str, str], ...] = ()  # (refresh_token | id_token, fingerprint)


def parse_grant(response: http.Response | None) -> Grant | None:
    """The grant in a 200 token response; None for anything else. Never raises."""
    if response is None or response.status_code != 200:
        return None
    body = bounded_body(response, MAX_OAUTH_BODY)
    text = body.decode("utf-8", "replace") if body else ""
    if not text.lstrip().startswith("{"):
        return None
    try:
        answer = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        return None
    expires_in = answer.get("expires_in")
    scope = answer.get("scope")
    refresh = answer.get("refresh_token")
    return Grant(
        access_fingerprint=fingerprint(answer["access_token"]),
        refresh_digest=_digest(refresh) if isinstance(refresh, str) and refresh else None,
        expires_in=expires_in
        if isinstance(expires_in, int) and not isinstance(expires_in, bool)
        else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else None,
        handed_out=tuple(
            (name, fingerprint(value))
            for name in HANDED_OUT_FIELDS
            if isinstance(value := answer.get(name), str) and value
        ),
    )


@dataclass(frozen=True, slots=True)
class TokenCall:
    """A token-endpoint call, read once: its facts come from it, and the session record
    keeps its grant and the refresh token it presented."""

    requested: dict[str, Any]
    sent_refresh: str | None  # digest of the refresh token the request presented
    grant: Grant | None

    def facts(self) -> dict[str, Any]:
        return {**self.requested, **grant_facts(self.grant, self.requested, self.sent_refresh)}


def read_call(flow: http.HTTPFlow) -> TokenCall:
    """The token request's form and the grant its answer handed out."""
    requested, sent_refresh = request_facts(flow.request)
    return TokenCall(requested, sent_refresh, parse_grant(flow.response))


def response_facts(
    response: http.Response | None, requested: dict[str, Any], sent_refresh: str | None
) -> dict[str, Any]:
    """The shape of a successful token response (its error is read like any API error)."""
    return grant_facts(parse_grant(response), requested, sent_refresh)


def grant_facts(
    grant: Grant | None, requested: dict[str, Any], sent_refresh: str | None
) -> dict[str, Any]:
    """The shape of what a successful token response handed out, against what was asked."""
    if grant is None:
        return {}
    facts: dict[str, Any] = {"oauth.refresh_issued": grant.refresh_digest is not None}
    if grant.expires_in is not None:
        facts["oauth.expires_in"] = grant.expires_in
    if grant.scopes is not None:
        facts["oauth.scope_granted"] = list(grant.scopes)
        if asked := requested.get("oauth.scope_requested"):
            facts["oauth.scope_narrowed"] = not set(asked) <= set(grant.scopes)
    if sent_refresh and grant.refresh_digest:
        facts["oauth.refresh_rotated"] = grant.refresh_digest != sent_refresh
    return facts


DISCOVERY_PATHS = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")


def discovered_token_endpoint(flow: http.HTTPFlow) -> str | None:
    """The token_endpoint an OIDC / RFC 8414 discovery document in this flow names."""
    if flow.response is None or flow.response.status_code != 200:
        return None
    if not flow.request.path.split("?", 1)[0].endswith(DISCOVERY_PATHS):
        return None
    body = bounded_body(flow.response, MAX_OAUTH_BODY)
    try:
        document = json.loads(body) if body else None
    except (ValueError, RecursionError):
        return None
    endpoint = document.get("token_endpoint") if isinstance(document, dict) else None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    return endpoint.rstrip("/")
