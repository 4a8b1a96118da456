"""Secrets in strings: free text, header values, cookies, URLs, query strings and fields.

Each secret becomes `[redacted:<12 hex>]`, the HMAC-SHA256 of its value under a key that
lives as long as one StringRedactor, and is remembered, so the same value echoed later in
another place (a response body, an error message) is replaced the same way.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from collections.abc import Sequence
from urllib.parse import quote_plus
from urllib.parse import unquote_plus

from authdoctor.engine import KNOWN_SCHEMES
from authdoctor.engine import PLACEHOLDER_TOKENS
from authdoctor.engine import decode_token
from authdoctor.errors import AuthDoctorError
from authdoctor.redaction.vocabulary import API_KEY
from authdoctor.redaction.vocabulary import JWT
from authdoctor.redaction.vocabulary import NOT_REDACTED_YET
from authdoctor.redaction.vocabulary import SECRET_URL_PARAM
from authdoctor.redaction.vocabulary import is_credential_header
from authdoctor.redaction.vocabulary import is_jwt
from authdoctor.redaction.vocabulary import is_secret_field

_COOKIE_ATTRIBUTES = frozenset(
    {"path", "domain", "expires", "max-age", "secure", "httponly", "samesite", "partitioned"}
    | {"priority", "version", "comment"}
)
_SEEN_MIN_LENGTH = 8  # shorter values would match ordinary words in other places
_SEEN_LIMIT = 100_000

_MARKER = re.compile(r"(\[redacted:[0-9a-f]{12}\])")
# Runs of token characters, looked up among the secrets this StringRedactor already replaced.
_RUN = re.compile(r"(?<![A-Za-z0-9_~+/.%-])[A-Za-z0-9_~+/.%-]{8,}+=*+" + NOT_REDACTED_YET)
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*)@")
_OPENERS = "\"'`<("
_CLOSERS = "\"'`>),;"


def _outside_markers(text: str, pattern: re.Pattern[str], replace: Callable[..., str]) -> str:
    """`pattern.sub`, except for matches overlapping a replacement already made, so that
    nothing is redacted twice (the built-in patterns also refuse to end right before one)."""
    spans = [m.span() for m in _MARKER.finditer(text)] if "[redacted:" in text else []
    if not spans:
        return pattern.sub(replace, text)
    starts = [start for start, _ in spans]
    ends = [end for _, end in spans]

    def guarded(match: re.Match[str]) -> str:
        start, end = match.span()
        index = bisect.bisect_left(starts, end) - 1  # the last marker starting before `end`
        return match[0] if index >= 0 and ends[index] > start else replace(match)

    return pattern.sub(guarded, text)


class PatternError(AuthDoctorError, ValueError):
    """An extra pattern to redact is not a regular expression; the message quotes it."""


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise PatternError(f"invalid extra pattern {pattern!r}: {e}") from None


class StringRedactor:
    """Replaces the secrets in strings (free text, header values, URLs, query strings and
    fields) with keyed fingerprints: the same secret gets the same replacement within one
    Redactor (one file), so 'the same token was sent twice' survives, but the
    replacement cannot be reversed or compared across files.

    `extra_patterns` are regexes whose matches in header values, URLs and bodies are also
    replaced (only the group named `secret`, when the pattern has one). Values replaced once
    are remembered (per Redactor), so a token echoed later in another place is found too.
    """

    def __init__(self, key: bytes | None = None, extra_patterns: Sequence[str] = ()) -> None:
        self._key = secrets.token_bytes(32) if key is None else key
        self._extra = tuple(_compile(pattern) for pattern in extra_patterns)
        self._seen: dict[str, str] = {}

    def _mark(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"[redacted:{digest.hexdigest()[:12]}]"

    def secret(self, value: str) -> str:
        """`[redacted:<first 12 hex of HMAC-SHA256(key, value)>]`."""
        mark = self._mark(value)
        # Remembered to be found when echoed elsewhere; not a placeholder like "access_token",
        # which is also a JSON key.
        remember = len(value) >= _SEEN_MIN_LENGTH and value.lower() not in PLACEHOLDER_TOKENS
        if remember and len(self._seen) < _SEEN_LIMIT:
            self._seen.setdefault(value, mark)
        return mark

    def replaced(self) -> list[str]:
        """The secret values this Redactor replaced (8 characters or more), so a bundle can
        prove that none of them is left in what it packs."""
        return list(self._seen)

    def token(self, value: str) -> str:
        """A JWT keeps its header and claims: `<header>.<payload>.[redacted:…]` (a cut-off
        one keeps its signature's length instead); anything else is `secret(value)`."""
        parts = value.split(".")
        if not is_jwt(parts):
            return self.secret(value)
        if decode_token(value).truncated:
            # The signature's length is the evidence that the token was cut off: keep the
            # length, lose the content (a run of "A" is no signature of anything).
            return f"{parts[0]}.{parts[1]}.{'A' * len(parts[2])}"
        return f"{parts[0]}.{parts[1]}.{self._mark(value)}"

    # Free text, headers, URLs

    def text(self, text: str) -> str:
        """Text with JWTs, API-key shapes, secret URL parameters, extra patterns and
        values already redacted elsewhere replaced."""
        if not text:
            return text
        text = _outside_markers(text, JWT, lambda m: self.token(m[0]))
        text = _outside_markers(text, API_KEY, lambda m: self.secret(m[0]))
        text = _outside_markers(
            text, SECRET_URL_PARAM, lambda m: m[1] + self.token(unquote_plus(m[2]))
        )
        for pattern in self._extra:
            text = _outside_markers(text, pattern, self._extra_match)
        if self._seen:
            text = _outside_markers(text, _RUN, self._seen_run)
        return text

    def _extra_match(self, match: re.Match[str]) -> str:
        group = "secret" if "secret" in match.re.groupindex else 0
        start, end = match.span(group)
        if start == end:
            return match[0]
        offset = match.start()
        whole = match[0]
        return whole[: start - offset] + self.secret(match[group]) + whole[end - offset :]

    def _seen_run(self, match: re.Match[str]) -> str:
        run = match[0]
        if run in self._seen:
            return self._seen[run]
        core = run.rstrip("=.")
        return self._seen[core] + run[len(core) :] if core in self._seen else run

    def _word(self, word: str) -> str:
        """One credential word: quotes and separators around it stay, the value goes (but a
        placeholder such as `undefined` is no secret, and the evidence of a client bug)."""
        before, core, after = _split_word(word)
        keep = not core or core.lower() in PLACEHOLDER_TOKENS
        return before + (core if keep else self.token(core)) + after

    def _credential(self, value: str) -> str:
        """Scheme words stay (`Bearer `, `Basic `), every other word is replaced."""
        return "".join(
            part
            if not part or part.isspace() or part.rstrip(":").lower() in KNOWN_SCHEMES
            else self._word(part)
            for part in re.split(r"(\s+)", value)
        )

    def _cookies(self, value: str, set_cookie: bool) -> str:
        """Cookie names and Set-Cookie attributes stay, cookie values go."""
        out = []
        for index, part in enumerate(value.split(";")):
            name, equals, cookie = part.partition("=")
            if set_cookie and index and name.strip().lower() in _COOKIE_ATTRIBUTES:
                out.append(part)
            elif equals:
                out.append(self.text(name) + equals + self._word(cookie))
            else:
                out.append(self._word(part) if part.strip() else part)
        return ";".join(out)

    def header(self, name: str, value: str) -> str:
        """A header value as it may appear in a redacted recording."""
        lower = name.lower()
        if lower in ("cookie", "cookie2"):
            return self._cookies(value, set_cookie=False)
        if lower in ("set-cookie", "set-cookie2"):
            return self._cookies(value, set_cookie=True)
        if is_credential_header(lower):
            return self._credential(value)
        return self.text(value)

    def field(self, name: str, value: str) -> str:
        """The (decoded) value of a query parameter, form field or HAR param."""
        if value and is_secret_field(name):
            return self.token(value)
        return self.text(value)

    def _encoded(self, raw: str) -> str:
        decoded = unquote_plus(raw)
        redacted = self.text(decoded)
        return raw if redacted == decoded else quote_plus(redacted, safe="[]:/")

    def query(self, query: str) -> str:
        """A query string (or form body, or URL fragment) with secret values replaced; names
        and the original encoding of everything else stay."""
        pairs = []
        for pair in query.split("&"):
            name, equals, value = pair.partition("=")
            if equals and value and is_secret_field(unquote_plus(name)):
                pairs.append(f"{self._encoded(name)}={self.token(unquote_plus(value))}")
            elif equals:
                pairs.append(f"{self._encoded(name)}={self._encoded(value)}")
            else:
                pairs.append(self._encoded(pair))
        return "&".join(pairs)

    def url(self, url: str) -> str:
        """A URL (absolute, or a path with query) with its credentials replaced."""
        rest, hash_mark, fragment = url.partition("#")
        rest, question_mark, query = rest.partition("?")
        if userinfo := _USERINFO.match(rest):
            user, colon, password = userinfo[2].partition(":")
            user = self.text(user) if colon else self.secret(user) if user else ""
            password = self.secret(unquote_plus(password)) if password else ""
            rest = f"{userinfo[1]}{user}{colon}{password}@{rest[userinfo.end() :]}"
        out = self.text(rest)
        if question_mark:
            out += "?" + self.query(query)
        if hash_mark:
            out += "#" + self.query(fragment)
        return out


def _split_word(word: str) -> tuple[str, str, str]:
    """(white space and opening quotes, the value, closing quotes and white space): with
    string methods, as a regular expression for it backtracks quadratically on long runs."""
    rest = word.lstrip().lstrip(_OPENERS)
    core = rest.rstrip().rstrip(_CLOSERS)
    return word[: len(word) - len(rest)], core, rest[len(core) :]
