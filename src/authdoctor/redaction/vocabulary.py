"""What counts as a secret: the field and header names whose values are credentials, the
shapes of tokens and keys found in free text, and the words that make an unparsed body too
risky to keep. Nothing here replaces anything; strings.py and bodies.py do.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from authdoctor.engine import TOKEN_QUERY_PARAMS

# Query parameters, form fields and JSON keys whose values are credentials. Names are
# compared folded (lower case, without "_" and "-"), so accessToken and access-token count.
SECRET_FIELDS = (
    *TOKEN_QUERY_PARAMS,
    *("access_token", "token", "id_token", "refresh_token", "code", "client_secret"),
    *("password", "api_key", "apikey", "key", "secret", "sig", "signature", "assertion"),
    *("client_assertion", "device_code", "code_verifier", "subject_token", "actor_token"),
    *("session", "session_id", "sessionid", "private_key", "secret_key", "credential"),
    *("credentials", "authorization", "proxy_authorization", "cookie", "set_cookie"),
    *("passwd", "pwd", "otp", "saml_response", "x-amz-signature", "x-amz-credential"),
    "subscription_key",
)
_SECRET_SUFFIXES = ("token", "secret", "password", "passwd", "apikey")
_HEADER_WORDS = ("token", "secret", "api-key", "apikey", "api_key", "password", "passwd")
_HEADER_WORDS += ("session", "auth", "key", "signature", "credential", "jwt")
_CHALLENGE_HEADERS = frozenset({"www-authenticate", "proxy-authenticate"})

# Every pattern below refuses to start inside a replacement already made, `[redacted:…]`.
NOT_REDACTED_YET = r"(?!\[redacted:)"
# Whole dotted runs, so a JWE or a cut token is judged as one value by token().
JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]++(?:\.[A-Za-z0-9_-]*+)++" + NOT_REDACTED_YET)
API_KEY = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|sk-[A-Za-z0-9_-]{20,}|whsec_[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abeprs]-[A-Za-z0-9-]{8,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"
    # up to the next BEGIN at most: a run of BEGINs without an END stays linear
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----(?:(?!-----BEGIN ).)*?-----END [A-Z ]*PRIVATE KEY-----"
    r")",
    re.DOTALL,
)
# `name=` of a secret field in a URL (group 1) and its value (group 2).
SECRET_URL_PARAM = re.compile(
    r"(?i)(?<=[?&#;])((?:"
    + "|".join(re.escape(name) for name in sorted(set(SECRET_FIELDS), key=len, reverse=True))
    + r")=)([^&#;\s\"'<>\\]++)"
    + NOT_REDACTED_YET
)
# Words that make an unparsed body (HTML, text, binary) too risky to keep.
SECRET_WORDS = re.compile(
    r"(?i)(?:access|refresh|id|session|auth|bearer|api|csrf|xsrf)[_-]?token|client[_-]?secret"
    r"|client[_-]?assertion|code[_-]?verifier|device[_-]?code|api[_-]?key|passw(?:or)?d"
    r"|private[_-]?key|secret[_-]?key|\bbearer\s+[A-Za-z0-9._~+/-]{8,}|\bbasic\s+[A-Za-z0-9+/]{8,}"
)


def _fold(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


_SECRET_KEYS = frozenset(_fold(name) for name in SECRET_FIELDS)


def is_secret_field(name: str) -> bool:
    """Whether a query parameter, form field or JSON key carries a credential."""
    folded = _fold(name)
    return folded in _SECRET_KEYS or folded.endswith(_SECRET_SUFFIXES)


def is_secret_json_field(key: str, value: Any) -> bool:
    """Whether a JSON member carries a credential: a number under "code" is a status or
    error code, as authorization codes are strings."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return is_secret_field(key) and not (numeric and _fold(key) == "code")


def is_credential_header(name: str) -> bool:
    """Whether a header's whole value is a credential (challenges and our own header are not)."""
    lower = name.lower()
    if lower in _CHALLENGE_HEADERS or lower.startswith("x-authdoctor"):
        return False
    return any(word in lower for word in _HEADER_WORDS)


def _b64url_json(segment: str) -> Any:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", segment):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        return None


def is_jwt(parts: list[str]) -> bool:
    """Whether the dot-separated parts are a signed JWT: a JOSE header naming its alg, and a
    JSON claims set."""
    if len(parts) != 3 or not parts[0].startswith("eyJ"):
        return False
    header = _b64url_json(parts[0])
    return isinstance(header, dict) and "alg" in header and isinstance(_b64url_json(parts[1]), dict)
