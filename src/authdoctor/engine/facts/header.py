"""Facts about how the credential was sent: the runbook's step 1, made exact.

On the wire a wrong scheme looks to most servers exactly like no token at all; only this
client-side view can tell "no header", "misspelled header", "no Bearer prefix",
"lowercase bearer" and "stray whitespace" apart, so these facts are precise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mitmproxy import http
from mitmproxy.coretypes.multidict import MultiDict

from authdoctor.util import bounded_lru

# Header names people use by mistake instead of Authorization (misspellings, custom names).
ALT_HEADER_NAMES = frozenset(
    {
        "authentication",
        "authorisation",
        "authorizaton",
        "authorizarion",
        "authorizaion",
        "autorization",
        "athorization",
        "authorzation",
        "auth",
        "x-authorization",
        "x-authorisation",
        "x-authentication",
        "x-auth",
        "x-auth-token",
        "x-access-token",
        "access-token",
        "access_token",
        "x-token",
        "token",
        "bearer",
        "x-bearer-token",
        "x-jwt",
        "jwt",
    }
)
# Headers that carry an API key by design (not a misspelled Authorization header).
API_KEY_HEADERS = frozenset(
    {
        "x-api-key",
        "api-key",
        "apikey",
        "x-apikey",
        "x-api-token",
        "api-token",
        "x-goog-api-key",  # Google Cloud
        "ocp-apim-subscription-key",  # Azure API Management
        "x-functions-key",  # Azure Functions
        "x-rapidapi-key",
        "x-gitlab-token",  # GitLab webhooks/API alternative
        "private-token",  # GitLab personal access tokens
    }
)
_NOT_CREDENTIALS = frozenset({"proxy-authorization", "www-authenticate", "proxy-authenticate"})
# Query parameters that carry credentials (RFC 6750 section 2.3 and common variants).
TOKEN_QUERY_PARAMS = ("access_token", "token", "id_token", "api_key", "apikey", "key", "jwt")
# Values that a client sends when its token variable was never filled in.
PLACEHOLDER_TOKENS = frozenset(
    {
        "",
        "undefined",
        "null",
        "none",
        "nil",
        "[object object]",
        "token",
        "<token>",
        "$token",
        "${token}",
        "{token}",
        "{{token}}",
        "your_access_token",
        "your_token",
        "your_new_token_here",
        "access_token",
        "your_access_token_here",
        "xxx",
    }
)
KNOWN_SCHEMES = frozenset(
    {"bearer", "basic", "digest", "token", "jwt", "dpop", "negotiate", "ntlm", "hmac", "apikey"}
)
# Possessive runs: "eyJ." and a long run that ends badly would backtrack quadratically.
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*+\.[A-Za-z0-9_-]*+\.?[A-Za-z0-9_-]*+")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


@dataclass(frozen=True, slots=True)
class Credential:
    """The token found in the request, and where; `value` never leaves the process."""

    value: str
    location: str


def looks_like_jwt(value: str) -> bool:
    return value.startswith("eyJ") and value.count(".") >= 1


def _stray_characters(raw_value: str, scheme: str, token: str) -> list[str]:
    """Human names of the damage around and inside the token."""
    problems: list[str] = []
    if scheme and raw_value[len(scheme) : len(scheme) + 1] == ":":
        problems.append(f'a colon after "{scheme}"')
        raw_value = scheme + raw_value[len(scheme) + 1 :]
    after_scheme = raw_value[len(scheme) :] if scheme else raw_value
    gap = after_scheme[: len(after_scheme) - len(after_scheme.lstrip(" \t"))]
    if scheme and gap not in (" ", ""):
        problems.append(
            "tab after the scheme" if "\t" in gap else f"{len(gap)} spaces after the scheme"
        )
    if "\r" in token or "\n" in token:
        problems.append("a line break inside the token")
    if "\t" in token:
        problems.append("a tab inside the token")
    if " " in token.strip():
        problems.append("a space inside the token")
    if token and (token[0] in "\"'`<" or token[-1] in "\"'`>"):
        problems.append("quotes or brackets around the token")
    if token.endswith((",", ";")):
        problems.append("a trailing comma or semicolon")
    if "\\n" in token or "\\r" in token or "%0A" in token.upper():
        problems.append("an escaped line break (\\n or %0A) inside the token")
    return problems


def _clean_token(token: str) -> str:
    """The token as the client probably meant it (for decoding only)."""
    token = "".join(token.split())
    token = token.replace("\\n", "").replace("\\r", "")
    return token.strip("\"'`<>,;")


def _alt_header(request: http.Request) -> tuple[str, str] | None:
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in ALT_HEADER_NAMES and value.strip():
            return name, value
        if ("auth" in lower or "token" in lower) and lower not in _NOT_CREDENTIALS:
            stripped = value.strip()
            if stripped.lower().startswith("bearer ") or _JWT_SHAPE.fullmatch(stripped):
                return name, value
    return None


def api_key_header(request: http.Request) -> tuple[str, str] | None:
    """(header name, value) of a header made for API keys, if the request has one."""
    for name, value in request.headers.items():
        if name.lower() in API_KEY_HEADERS and value.strip():
            return name, value.strip()
    return None


def query_of(request: http.Request) -> MultiDict[str, str]:
    """The query parameters, read once; none when mitmproxy cannot parse the URL (a host
    such as '[x' makes every access to request.query raise ValueError)."""
    try:
        return MultiDict(request.query.fields)
    except ValueError:
        return MultiDict()


def _query_token(request: http.Request) -> tuple[str, str] | None:
    if "?" not in request.path:
        return None
    query = query_of(request)
    for name in TOKEN_QUERY_PARAMS:
        if value := query.get(name):
            return name, value
    return None


def header_facts(
    request: http.Request, strict_bearer_case: bool
) -> tuple[dict[str, Any], Credential | None]:
    """Facts about the Authorization header (or its stand-ins) and the credential found."""
    values = request.headers.get_all("authorization")
    facts: dict[str, Any] = {
        "request.auth_present": bool(values),
        "request.auth_header_count": len(values),
    }
    if values:
        known, credential = _authorization_facts(tuple(values), strict_bearer_case)
        facts.update(known)
        return facts, credential
    if alt := _alt_header(request):
        name, value = alt
        facts["request.alt_auth_header"] = name
        facts["request.credential_location"] = "alt_header"
        scheme, _, rest = value.strip().partition(" ")
        token = rest if scheme.lower() in KNOWN_SCHEMES and rest else value.strip()
        return facts, Credential(_clean_token(token), "alt_header")
    if key := api_key_header(request):
        facts["request.api_key_header"] = key[0]
        facts["request.credential_location"] = "api_key_header"
        return facts, Credential(_clean_token(key[1]), "api_key_header")
    if query := _query_token(request):
        facts["request.query_token_param"] = query[0]
        facts["request.credential_location"] = "query"
        return facts, Credential(_clean_token(query[1]), "query")
    facts["request.credential_location"] = "none"
    return facts, None


def _split_scheme(value: str) -> tuple[str, str]:
    """(scheme, token) of an Authorization value; scheme '' when the value is a bare token."""
    for index, char in enumerate(value):
        if char in " \t":
            first, rest = value[:index], value[index:]
            break
    else:
        first, rest = value, ""
    if first.endswith(":") and first[:-1].lower() in KNOWN_SCHEMES:
        first = first[:-1]  # 'Bearer: <token>': the colon is reported as a stray character
        rest = value[len(first) + 1 :]
    known = first.lower() in KNOWN_SCHEMES
    if known or (rest.strip() and first.isalpha() and len(first) <= 20):
        return first, rest
    return "", value


@bounded_lru(length=lambda values, _strict: sum(map(len, values)))
def _authorization_facts(
    values: tuple[str, ...], strict_bearer_case: bool
) -> tuple[dict[str, Any], Credential]:
    """Worked out once per distinct header value: a client sends the same one many times.
    Callers copy the dict; they never change it."""
    facts: dict[str, Any] = {}
    stripped = values[0].lstrip(" \t")
    scheme, rest = _split_scheme(stripped)
    token = rest.strip(" \t")
    facts["request.credential_location"] = "authorization"
    facts["request.auth_scheme_raw"] = scheme
    facts["request.auth_scheme"] = scheme.lower()
    facts["request.auth_scheme_missing"] = not scheme and bool(token)
    second, _, after = token.partition(" ")
    if scheme and second.lower() == scheme.lower() and after.strip():
        facts["request.auth_double_scheme"] = True
        token = after.strip()
    if token.lower() in PLACEHOLDER_TOKENS:
        facts["request.token_placeholder"] = token or "(empty)"
    stray = _stray_characters(stripped, scheme, token)
    if stray:
        facts["request.stray_characters"] = stray
    scheme_ok = scheme == "Bearer" or (scheme.lower() == "bearer" and not strict_bearer_case)
    facts["request.header_ok"] = (
        len(values) == 1
        and scheme_ok
        and not stray
        and "request.auth_double_scheme" not in facts
        and "request.token_placeholder" not in facts
    )
    return facts, Credential(_clean_token(token), "authorization")
