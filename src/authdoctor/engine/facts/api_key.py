"""Facts about API keys: credentials that are not OAuth tokens, recognised by where they
travel (X-API-Key and kin) and by the prefixes providers put on them (sk_live_, ghp_, ...).

A key's prefix says what it is for (Stripe's publishable keys cannot call the server API,
GitHub's refresh tokens cannot call any API), which is half the diagnosis of a rejection.
Only the prefix and the kind ever leave this module; the key itself never does.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from mitmproxy import http

from authdoctor.engine.facts.header import Credential

# Query parameters that carry an API key (token-like ones are in header.TOKEN_QUERY_PARAMS).
API_KEY_QUERY_PARAMS = frozenset({"api_key", "apikey", "key"})


@dataclass(frozen=True, slots=True)
class KeyKind:
    prefix: str
    kind: str
    provider: str
    label: str
    mode: str | None = None
    note: str = ""


PUBLISHABLE_NOTE = "publishable keys only work in Stripe.js and the mobile SDKs"

# Longest prefixes first, so "sk-proj-" wins over "sk-" and "github_pat_" is not "gh...".
KEY_KINDS: tuple[KeyKind, ...] = tuple(
    sorted(
        (
            KeyKind("sk_live_", "stripe_secret", "Stripe", "Stripe secret key", "live"),
            KeyKind("sk_test_", "stripe_secret", "Stripe", "Stripe secret key", "test"),
            KeyKind("rk_live_", "stripe_restricted", "Stripe", "Stripe restricted key", "live"),
            KeyKind("rk_test_", "stripe_restricted", "Stripe", "Stripe restricted key", "test"),
            KeyKind(
                "pk_live_",
                "stripe_publishable",
                "Stripe",
                "Stripe publishable key",
                "live",
                PUBLISHABLE_NOTE,
            ),
            KeyKind(
                "pk_test_",
                "stripe_publishable",
                "Stripe",
                "Stripe publishable key",
                "test",
                PUBLISHABLE_NOTE,
            ),
            KeyKind("ghp_", "github_pat", "GitHub", "GitHub personal access token (classic)"),
            KeyKind(
                "github_pat_", "github_pat", "GitHub", "GitHub fine-grained personal access token"
            ),
            KeyKind("gho_", "github_oauth", "GitHub", "GitHub OAuth app token"),
            KeyKind(
                "ghu_",
                "github_user_to_server",
                "GitHub",
                "GitHub App user access token",
                note="GitHub App user access tokens expire 8 hours after they are issued",
            ),
            KeyKind(
                "ghs_",
                "github_installation",
                "GitHub",
                "GitHub App installation access token",
                note="installation access tokens expire 1 hour after they are created",
            ),
            KeyKind(
                "ghr_",
                "github_refresh",
                "GitHub",
                "GitHub App refresh token",
                note="a refresh token only buys a new user access token at "
                "https://github.com/login/oauth/access_token",
            ),
            KeyKind("sk-proj-", "openai", "OpenAI", "OpenAI project API key"),
            KeyKind("sk-ant-", "anthropic", "Anthropic", "Anthropic API key"),
            KeyKind("sk-", "openai", "OpenAI", "OpenAI API key"),
            KeyKind("glpat-", "gitlab_pat", "GitLab", "GitLab personal access token"),
            KeyKind("AIza", "google_api_key", "Google", "Google API key"),
        ),
        key=lambda k: -len(k.prefix),
    )
)
_KIND_BY_FIRST_CHARS = {k.prefix[:2] for k in KEY_KINDS}
# Key-shaped and JWT-shaped text inside a server's message (servers echo keys, sometimes
# whole): kept to the prefix, so explanations can say "sk_test_…" and nothing more. A JWT
# starts a run of base64url (no match starts inside one: "eyJeyJeyJ…" stays linear).
_ECHOED_SECRET = re.compile(
    r"(?<![A-Za-z0-9])("
    + "|".join(re.escape(k.prefix) for k in KEY_KINDS)
    + r")[A-Za-z0-9_*.\-]{4,}|(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_.\-]*"
)


def mask_echoed_secrets(text: str) -> str:
    """The server's text with any key or JWT it quotes cut down to its prefix."""
    if "_" not in text and "-" not in text and "eyJ" not in text and "AIza" not in text:
        return text
    return _ECHOED_SECRET.sub(lambda m: f"{m.group(1) or 'eyJ'}…", text)


def key_kind(value: str) -> KeyKind | None:
    """The provider's kind of key, from its documented prefix."""
    if value[:2] not in _KIND_BY_FIRST_CHARS:
        return None
    return next((k for k in KEY_KINDS if value.startswith(k.prefix)), None)


def _basic_user(value: str) -> str | None:
    """The user part of HTTP Basic credentials: Stripe and GitHub accept a key there."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, colon, password = decoded.partition(":")
    if not colon:
        return None
    return user if key_kind(user) else password if key_kind(password) else None


def _where(facts: dict[str, Any], credential: Credential) -> str:
    if credential.location == "api_key_header":
        return f'the "{facts.get("request.api_key_header")}" header'
    if credential.location == "query":
        return f'the query parameter "{facts.get("request.query_token_param")}"'
    if facts.get("request.auth_scheme") == "basic":
        return "HTTP Basic credentials"
    return "the Authorization header"


def api_key_facts(facts: dict[str, Any], credential: Credential | None) -> dict[str, Any]:
    """What kind of API key the request carried, if any; empty for OAuth tokens."""
    if credential is None or not credential.value or facts.get("token.format") == "jwt":
        return {}
    value = credential.value
    if facts.get("request.auth_scheme") == "basic":
        value = _basic_user(value) or ""
    kind = key_kind(value) if value else None
    by_place = credential.location == "api_key_header" or (
        credential.location == "query"
        and facts.get("request.query_token_param") in API_KEY_QUERY_PARAMS
    )
    if kind is None and not by_place:
        return {}
    out: dict[str, Any] = {"api_key.present": True, "api_key.where": _where(facts, credential)}
    if kind is not None:
        out["api_key.kind"] = kind.kind
        out["api_key.provider"] = kind.provider
        out["api_key.label"] = kind.label
        out["api_key.prefix"] = kind.prefix
        if kind.mode:
            out["api_key.mode"] = kind.mode
        if kind.note:
            out["api_key.note"] = kind.note
    else:
        out["api_key.label"] = "API key"
    return out


def _scope_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [s.strip() for s in value.split(",") if s.strip()]


def github_scope_facts(response: http.Response | None) -> dict[str, Any]:
    """GitHub's X-OAuth-Scopes (what the token has) and X-Accepted-OAuth-Scopes (what the
    endpoint takes), which answer "which scope is missing" exactly."""
    if response is None:
        return {}
    out: dict[str, Any] = {}
    granted = _scope_list(response.headers.get("x-oauth-scopes"))
    accepted = _scope_list(response.headers.get("x-accepted-oauth-scopes"))
    if granted is not None:
        out["response.oauth_scopes"] = granted
    if accepted is not None:
        out["response.accepted_oauth_scopes"] = accepted
        if granted is not None and accepted:
            missing = not set(accepted) & set(granted)
            out["response.oauth_scope_missing"] = missing
            # GitHub hides private resources behind 404: with a scope missing, that 404 is
            # the authorization failure this flow is about.
            if missing and response.status_code in (403, 404):
                out["response.auth_failed"] = True
    if permissions := response.headers.get("x-accepted-github-permissions"):
        out["response.accepted_github_permissions"] = permissions[:200]
    return out
