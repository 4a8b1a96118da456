"""Facts of token-endpoint calls (RFC 6749 sections 4, 5 and 6): the grant, how the client
authenticated, the scope asked for, and what the endpoint answered.

Token responses carry live credentials: only their shape is read (expires_in, scope, whether a
refresh token came back and whether it differs from the one sent), never their values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl

from mitmproxy import http

from authdoctor.facts.response import bounded_body

FORM_TYPE = "application/x-www-form-urlencoded"


def _form(request: http.Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").lower().startswith(FORM_TYPE):
        return {}
    body = bounded_body(request)
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


def response_facts(
    response: http.Response | None, requested: dict[str, Any], sent_refresh: str | None
) -> dict[str, Any]:
    """The shape of a successful token response (its error is read like any API error)."""
    facts: dict[str, Any] = {}
    if response is None or response.status_code != 200:
        return facts
    body = bounded_body(response)
    text = body.decode("utf-8", "replace") if body else ""
    if not text.lstrip().startswith("{"):
        return facts
    try:
        answer = json.loads(text)
    except (ValueError, RecursionError):
        return facts
    if not isinstance(answer, dict) or "access_token" not in answer:
        return facts
    facts.update(_grant_facts(answer, requested, sent_refresh))
    return facts


def _grant_facts(
    answer: dict[str, Any], requested: dict[str, Any], sent_refresh: str | None
) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, int) and not isinstance(expires_in, bool):
        facts["oauth.expires_in"] = expires_in
    granted = answer.get("scope")
    if isinstance(granted, str):
        facts["oauth.scope_granted"] = granted.split()
        asked = requested.get("oauth.scope_requested")
        if asked:
            facts["oauth.scope_narrowed"] = not set(asked) <= set(granted.split())
    refresh = answer.get("refresh_token")
    facts["oauth.refresh_issued"] = isinstance(refresh, str) and bool(refresh)
    if sent_refresh and isinstance(refresh, str):
        facts["oauth.refresh_rotated"] = _digest(refresh) != sent_refresh
    return facts
