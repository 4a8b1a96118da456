"""Facts comparing the scopes an endpoint accepts with those the token grants."""

from __future__ import annotations

from typing import Any

from mitmproxy import http

from authdoctor.profiles import Profile


def scope_facts(
    request: http.Request, profile: Profile | None, facts: dict[str, Any]
) -> dict[str, Any]:
    """required_any from the profile's table, else from an insufficient_scope challenge."""
    out: dict[str, Any] = {}
    required: list[str] = []
    endpoint = profile.endpoints.lookup(request.method, request.path) if profile else None
    if endpoint is not None:
        out["scope.endpoint"] = f"{endpoint.method} {request.path.split('?', 1)[0]}"
        required = list(endpoint.scopes_any)
        source = f"{profile.title if profile else ''} endpoint table ({endpoint.key})"
    if not required and (challenge := facts.get("response.challenge_scope")):
        required = list(challenge)
        source = "the server's WWW-Authenticate challenge"
        out.setdefault("scope.endpoint", f"{request.method} {request.path.split('?', 1)[0]}")
    if not required:
        return out
    out["scope.required_any"] = required
    out["scope.source"] = source
    granted = facts.get("token.scopes")
    if granted is not None:
        out["scope.satisfied"] = any(s in granted for s in required)
        out["scope.suggested_request"] = " ".join(dict.fromkeys([*granted, required[0]]))
    return out
