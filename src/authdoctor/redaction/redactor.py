"""Redaction of recorded flows for support tickets: keep the evidence, lose what replays.

Secrets become keyed fingerprints, `[redacted:<12 hex>]`: HMAC-SHA256 under a key that lives
only as long as one Redactor (one output file), so "the same token was sent twice" survives
while the value can neither be recovered nor compared with another file. A JWT keeps its
header and claims and loses only its signature. What stays: status, WWW-Authenticate, Date,
request ids, error codes, and authdoctor's own annotations (flow.comment and
flow.metadata["authdoctor"], which never hold a secret).

Bodies are redacted only when small and of a known type (JSON, form); any other body that
holds something secret-looking, and any body that cannot be read as what it claims to be,
is dropped and the message says so in an `X-Authdoctor-Redacted` header: nothing passes
through unread.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote_plus
from urllib.parse import unquote_plus

from mitmproxy import http

from authdoctor.engine.facts.header import KNOWN_SCHEMES
from authdoctor.engine.facts.header import PLACEHOLDER_TOKENS
from authdoctor.engine.facts.header import TOKEN_QUERY_PARAMS
from authdoctor.engine.facts.token import decode_token
from authdoctor.wire.bodies import UndecodableBody
from authdoctor.wire.bodies import decode_body

MAX_REDACTED_BODY = 1 << 20  # the largest body rewritten (raw or decoded); larger is dropped
REDACTED_HEADER = "X-Authdoctor-Redacted"

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
_COOKIE_ATTRIBUTES = frozenset(
    {"path", "domain", "expires", "max-age", "secure", "httponly", "samesite", "partitioned"}
    | {"priority", "version", "comment"}
)
_FORM = "application/x-www-form-urlencoded"
_SEEN_MIN_LENGTH = 8  # shorter values would match ordinary words in other places
_SEEN_LIMIT = 100_000

_MARKER = re.compile(r"(\[redacted:[0-9a-f]{12}\])")
_NOT_REDACTED_YET = r"(?!\[redacted:)"
# Whole dotted runs, so a JWE or a cut token is judged as one value by token().
_JWT = re.compile(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]++(?:\.[A-Za-z0-9_-]*+)++" + _NOT_REDACTED_YET
)
_API_KEY = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|sk-[A-Za-z0-9_-]{20,}|whsec_[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abeprs]-[A-Za-z0-9-]{8,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"
    # up to the next BEGIN at most: a run of BEGINs without an END stays linear
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----(?:(?!-----BEGIN ).)*?-----END [A-Z ]*PRIVATE KEY-----"
    r")",
    re.DOTALL,
)
_URL_PARAM = re.compile(
    r"(?i)(?<=[?&#;])((?:"
    + "|".join(re.escape(name) for name in sorted(set(SECRET_FIELDS), key=len, reverse=True))
    + r")=)([^&#;\s\"'<>\\]++)"
    + _NOT_REDACTED_YET
)
# Runs of token characters, looked up among the secrets this Redactor already replaced.
_RUN = re.compile(r"(?<![A-Za-z0-9_~+/.%-])[A-Za-z0-9_~+/.%-]{8,}+=*+" + _NOT_REDACTED_YET)
# Words that make an unparsed body (HTML, text, binary) too risky to keep.
_SECRET_WORDS = re.compile(
    r"(?i)(?:access|refresh|id|session|auth|bearer|api|csrf|xsrf)[_-]?token|client[_-]?secret"
    r"|client[_-]?assertion|code[_-]?verifier|device[_-]?code|api[_-]?key|passw(?:or)?d"
    r"|private[_-]?key|secret[_-]?key|\bbearer\s+[A-Za-z0-9._~+/-]{8,}|\bbasic\s+[A-Za-z0-9+/]{8,}"
)
_FORM_SHAPE = re.compile(rb"[\w.%+*~-]+=[^&\s]*(?:&[\w.%+*~-]+=[^&\s]*)*\s*")
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*)@")
_OPENERS = "\"'`<("
_CLOSERS = "\"'`>),;"


class BodyDropped(Exception):
    """Raised when a body cannot be redacted safely; `reason` says why, for the header."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _fold(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


_SECRET_KEYS = frozenset(_fold(name) for name in SECRET_FIELDS)


def is_secret_field(name: str) -> bool:
    """Whether a query parameter, form field or JSON key carries a credential."""
    folded = _fold(name)
    return folded in _SECRET_KEYS or folded.endswith(_SECRET_SUFFIXES)


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


def _is_jwt(parts: list[str]) -> bool:
    """A signed JWT: a JOSE header naming its alg, and a JSON claims set."""
    if len(parts) != 3 or not parts[0].startswith("eyJ"):
        return False
    header = _b64url_json(parts[0])
    return isinstance(header, dict) and "alg" in header and isinstance(_b64url_json(parts[1]), dict)


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


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError(f"invalid extra pattern {pattern!r}: {e}") from None


def decode_content(raw: bytes, coding: str) -> bytes:
    """The body under its Content-Encoding, as the redactor reads it: at most
    MAX_REDACTED_BODY bytes before and after decoding; raises BodyDropped."""
    try:
        return decode_body(raw, coding, MAX_REDACTED_BODY)
    except UndecodableBody as e:
        raise BodyDropped(e.reason) from None


def _is_json(mime: str) -> bool:
    return mime in ("application/json", "text/json") or mime.endswith("+json")


def _dump_json(document: Any) -> bytes:
    try:
        return json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \\ud800-style escapes
        return json.dumps(document).encode("ascii")


def _encode_header(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def _decode_header(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def _drop_body(message: http.Message, reason: str) -> None:
    if "content-encoding" in message.headers:
        del message.headers["content-encoding"]
    message.raw_content = b""
    if "content-length" in message.headers:
        message.headers["content-length"] = "0"
    message.headers[REDACTED_HEADER] = f"body dropped ({reason})"


class Redactor:
    """Replaces secrets with keyed fingerprints: the same secret gets the same replacement
    within one Redactor (one file), so 'the same token was sent twice' survives, but the
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
        if not _is_jwt(parts):
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
        text = _outside_markers(text, _JWT, lambda m: self.token(m[0]))
        text = _outside_markers(text, _API_KEY, lambda m: self.secret(m[0]))
        text = _outside_markers(text, _URL_PARAM, lambda m: m[1] + self.token(unquote_plus(m[2])))
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

    # Bodies

    def body(self, data: bytes, content_type: str = "") -> bytes:
        """The redacted body (the same object when nothing changed); raises BodyDropped."""
        if not data:
            return data
        if len(data) > MAX_REDACTED_BODY:
            raise BodyDropped("larger than 1 MiB")
        mime = content_type.split(";", 1)[0].strip().lower()
        if _is_json(mime):
            return self._json_body(data)
        if mime == _FORM:
            return self._form_body(data)
        if not mime and (sniffed := self._sniffed_body(data)) is not None:
            return sniffed
        text = data.decode("latin-1")
        if _SECRET_WORDS.search(text) or self.text(text) != text:
            raise BodyDropped(f"{mime or 'untyped'} content that looks secret")
        return data

    def _sniffed_body(self, data: bytes) -> bytes | None:
        """An untyped body that parses as JSON or form data; None when it does not."""
        if data.lstrip()[:1] in (b"{", b"["):
            parse = self._json_body
        elif _FORM_SHAPE.fullmatch(data):
            parse = self._form_body
        else:
            return None
        try:
            return parse(data)
        except BodyDropped:
            return None

    def _form_body(self, data: bytes) -> bytes:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyDropped("not valid form data") from None
        if any(pair.strip() and "=" not in pair for pair in text.split("&")):
            raise BodyDropped("not valid form data")
        redacted = self.query(text)
        return data if redacted == text else redacted.encode("utf-8")

    def _json_body(self, data: bytes) -> bytes:
        duplicates = False

        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            nonlocal duplicates
            obj = dict(items)
            duplicates |= len(obj) != len(items)
            return obj

        try:
            document = json.loads(data.removeprefix(codecs.BOM_UTF8), object_pairs_hook=pairs)
            redacted = self._json(document)
            unchanged = not duplicates and redacted == document
        except RecursionError:
            raise BodyDropped("JSON nested too deeply") from None
        except ValueError:
            raise BodyDropped("not valid JSON") from None
        # A duplicate key's first value is not in `document`: write what was read.
        return data if unchanged else _dump_json(redacted)

    def _json(self, value: Any, secret: bool = False) -> Any:
        if isinstance(value, str):
            return self.token(value) if secret and value else self.text(value)
        if isinstance(value, dict):
            return {
                self.text(key): self._json(item, secret or _secret_json_field(key, item))
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._json(item, secret) for item in value]
        if secret and isinstance(value, int | float) and not isinstance(value, bool):
            return self.secret(json.dumps(value))
        return value

    # Flows and HAR documents

    def flow(self, flow: http.HTTPFlow) -> http.HTTPFlow:
        """A redacted copy of the flow; the flow itself is not changed."""
        if not isinstance(flow, http.HTTPFlow):
            raise TypeError(f"only HTTP flows can be redacted, not {type(flow).__name__}")
        redacted = flow.copy()
        redacted._backup = None  # the state before an edit: it still holds every secret
        authdoctor = redacted.metadata.get("authdoctor")
        redacted.metadata = {} if authdoctor is None else {"authdoctor": authdoctor}
        self._learn(redacted)
        path = redacted.request.path
        if (new_path := self.url(path)) != path:
            redacted.request.path = new_path
        self._message(redacted.request)
        if redacted.response is not None:
            self._message(redacted.response)
        if redacted.websocket is not None:
            self._websocket(redacted.websocket)
        if redacted.error is not None:
            redacted.error.msg = self.text(redacted.error.msg)
        return redacted

    def _learn(self, flow: http.HTTPFlow) -> None:
        """Meet the credentials of the headers and the URL before redacting anything, so an
        echo that comes first (in the URL, in an earlier header) is known for one."""
        for message in (flow.request, flow.response):
            for name, value in message.headers.fields if message is not None else ():
                self.header(_decode_header(name), _decode_header(value))
        self.url(flow.request.path)

    def _headers(self, headers: http.Headers) -> None:
        headers.fields = tuple(
            (name, _encode_header(self.header(_decode_header(name), _decode_header(value))))
            for name, value in headers.fields
        )

    def _message(self, message: http.Message) -> None:
        self._headers(message.headers)
        if message.trailers is not None:
            self._headers(message.trailers)
        raw = message.raw_content
        if not raw:
            return
        try:
            data = decode_content(raw, message.headers.get("content-encoding", ""))
            redacted = self.body(data, message.headers.get("content-type", ""))
        except BodyDropped as e:
            _drop_body(message, e.reason)
            return
        if redacted is not data:
            message.content = redacted  # encoded again as its Content-Encoding says

    def _websocket(self, websocket: Any) -> None:
        for message in websocket.messages:
            try:
                message.content = self.body(message.content)
            except BodyDropped as e:
                message.content = f"[authdoctor: message dropped ({e.reason})]".encode()
        if websocket.close_reason:
            websocket.close_reason = self.text(websocket.close_reason)

    def har(self, har: dict[str, Any]) -> dict[str, Any]:
        """A redacted deep copy of a HAR 1.2 document; the document itself is not changed."""
        from authdoctor.redaction.har import redact_har  # here: redact_har imports this module

        return redact_har(self, har)


def _split_word(word: str) -> tuple[str, str, str]:
    """(white space and opening quotes, the value, closing quotes and white space): with
    string methods, as a regular expression for it backtracks quadratically on long runs."""
    rest = word.lstrip().lstrip(_OPENERS)
    core = rest.rstrip().rstrip(_CLOSERS)
    return word[: len(word) - len(rest)], core, rest[len(core) :]


def _secret_json_field(key: str, value: Any) -> bool:
    # A number under "code" is a status or error code; authorization codes are strings.
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return is_secret_field(key) and not (numeric and _fold(key) == "code")
