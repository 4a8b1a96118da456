"""WWW-Authenticate parser (RFC 9110 §11.6.1 and §11.3, RFC 6750 §3).

Header values come from arbitrary servers, so this is a small index-based scanner rather
than a regex: every function runs in linear time, is best effort on malformed input and
never raises.
"""

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

_DIGITS_ALPHA = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# RFC 9110 §5.6.2 tchar, ASCII only: str.isalnum() would also accept non-ASCII letters.
_TCHAR = frozenset("!#$%&'*+-.^_`|~" + _DIGITS_ALPHA)
# RFC 9110 §11.2 token68 characters, without the trailing "=" padding.
_TOKEN68 = frozenset("-._~+/" + _DIGITS_ALPHA)
_EQUALS = frozenset("=")
_OWS = frozenset(" \t")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One auth challenge: the scheme as sent plus either auth-params or a token68."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    def param(self, name: str) -> str | None:
        """Look a param up case-insensitively, since servers send names in any case."""
        return self.params.get(name.lower())


def parse_www_authenticate(values: Iterable[str], max_length: int = 8192) -> list[Challenge]:
    """All challenges from every WWW-Authenticate header value, in order. Never raises.

    ``max_length`` caps the characters scanned over all values together, so a hostile
    server cannot make us do unbounded work; a value cut off mid-quote just ends there.
    Bytes values are decoded as Latin-1 (what HTTP/1.1 allows on the wire).
    """
    if values is None:
        return []
    if isinstance(values, str | bytes | bytearray):
        values = [values]
    budget = max_length if isinstance(max_length, int) else 8192
    challenges: list[Challenge] = []
    try:
        iterator = iter(values)
    except TypeError:
        return []
    for value in iterator:
        if budget <= 0:
            break
        text = _as_text(value)
        if text is None:
            continue
        text = text[:budget]
        budget -= len(text)
        challenges.extend(_parse_value(text))
    return challenges


def bearer_challenge(challenges: Sequence[Challenge]) -> Challenge | None:
    """The first challenge whose scheme is Bearer (case-insensitive), else None."""
    for challenge in challenges:
        if challenge.scheme.lower() == "bearer":
            return challenge
    return None


def _as_text(value: object) -> str | None:
    """A header value as str; other types are skipped instead of failing."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("latin-1")
    return None


def _parse_value(s: str) -> list[Challenge]:
    """Challenges from one header value.

    After a comma, ``name = value`` continues the current challenge and any other token
    starts a new one; that is how RFC 9110 §11.6.1 tells the two lists apart.
    """
    challenges: list[Challenge] = []
    params: dict[str, str] = {}
    n = len(s)
    pos = 0
    while True:
        pos = _skip(s, pos, _OWS)
        if pos >= n:
            return challenges
        if s[pos] == ",":
            pos += 1
            continue
        name_end = _skip(s, pos, _TCHAR)
        if name_end == pos:
            pos = _skip_junk(s, pos)
            continue
        after = _skip(s, name_end, _OWS)
        if after < n and s[after] == "=":
            # A param with no scheme before it has nowhere to go.
            pos = _parse_param(s, pos, params) if challenges else _skip_junk(s, pos)
            continue
        if after == name_end and after < n and s[after] != ",":
            pos = _skip_junk(s, pos)  # e.g. 'Bearer"x"' or 'Bärer': not a whole token
            continue
        scheme = s[pos:name_end]
        params = {}
        token68, pos = _parse_challenge_body(s, name_end, params)
        # params stays shared with the Challenge: later ", name=value" elements land in it.
        challenges.append(Challenge(scheme, params, token68))


def _parse_challenge_body(s: str, pos: int, params: dict[str, str]) -> tuple[str | None, int]:
    """What follows a scheme: nothing, a token68, or the first auth-param.

    A token68 may end in "=" padding, so it is only taken when nothing but OWS separates
    it from the next comma or the end; otherwise ``name=value`` is the first param.
    """
    n = len(s)
    start = _skip(s, pos, _OWS)
    if start >= n or s[start] == ",":
        return None, start
    chars_end = _skip(s, start, _TOKEN68)
    end = _skip(s, chars_end, _EQUALS)
    after = _skip(s, end, _OWS)
    if chars_end > start and (after >= n or s[after] == ","):
        return s[start:end], after
    return None, _parse_param(s, start, params)


def _parse_param(s: str, pos: int, params: dict[str, str]) -> int:
    """Add ``token BWS "=" BWS (token / quoted-string)`` at pos; return the next comma's index.

    The first occurrence of a name wins; an element that is not a well-formed param is
    skipped up to the next comma so one bad element does not spoil the rest.
    """
    n = len(s)
    name_end = _skip(s, pos, _TCHAR)
    equals = _skip(s, name_end, _OWS)
    if name_end == pos or equals >= n or s[equals] != "=":
        return _skip_junk(s, pos)
    value_start = _skip(s, equals + 1, _OWS)
    if value_start < n and s[value_start] == '"':
        value, end = _quoted_string(s, value_start)
    else:
        end = _skip(s, value_start, _TCHAR)
        if end == value_start:
            return _skip_junk(s, value_start)
        value = s[value_start:end]
    params.setdefault(s[pos:name_end].lower(), value)
    return _skip_junk(s, end)


def _quoted_string(s: str, pos: int) -> tuple[str, int]:
    """Unescape the quoted-string opening at pos; return it and the index after it.

    An unterminated string (e.g. cut by max_length) runs to the end of the input.
    """
    n = len(s)
    chunks: list[str] = []
    i = pos + 1
    while i < n:
        c = s[i]
        if c == '"':
            return "".join(chunks), i + 1
        if c == "\\":
            if i + 1 < n:
                chunks.append(s[i + 1])
            i += 2
        else:
            chunks.append(c)
            i += 1
    return "".join(chunks), n


def _skip_junk(s: str, pos: int) -> int:
    """Index of the next comma outside a quoted-string (or the end), for resynchronising."""
    n = len(s)
    while pos < n and s[pos] != ",":
        if s[pos] == '"':
            pos = _quoted_string(s, pos)[1]
        else:
            pos += 1
    return pos


def _skip(s: str, pos: int, chars: frozenset[str]) -> int:
    """Index of the first character at or after pos that is not in chars."""
    n = len(s)
    while pos < n and s[pos] in chars:
        pos += 1
    return pos
