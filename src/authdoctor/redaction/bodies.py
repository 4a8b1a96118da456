"""Bodies as the redactor rewrites them: JSON and form bodies keep their shape and lose their
secret values; any other body is kept only when nothing in it looks secret. A body that
cannot be rewritten safely (too large, not what it claims to be, secret-looking) raises
BodyDropped, and the caller drops it and says so in REDACTED_HEADER: nothing passes through
unread.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

from authdoctor.redaction.strings import StringRedactor
from authdoctor.redaction.vocabulary import SECRET_WORDS
from authdoctor.redaction.vocabulary import is_secret_json_field
from authdoctor.wire import UndecodableBody
from authdoctor.wire import decode_body

MAX_REDACTED_BODY = 1 << 20  # the largest body rewritten (raw or decoded); larger is dropped
REDACTED_HEADER = "X-Authdoctor-Redacted"
_FORM = "application/x-www-form-urlencoded"
_FORM_SHAPE = re.compile(rb"[\w.%+*~-]+=[^&\s]*(?:&[\w.%+*~-]+=[^&\s]*)*\s*")


class BodyDropped(Exception):
    """Raised when a body cannot be redacted safely; `reason` says why, for the header."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def redact_body(redactor: StringRedactor, data: bytes, content_type: str = "") -> bytes:
    """The redacted body (the same object when nothing changed); raises BodyDropped."""
    if not data:
        return data
    if len(data) > MAX_REDACTED_BODY:
        raise BodyDropped("larger than 1 MiB")
    mime = content_type.split(";", 1)[0].strip().lower()
    if _is_json(mime):
        return _json_body(redactor, data)
    if mime == _FORM:
        return _form_body(redactor, data)
    if not mime and (sniffed := _sniffed_body(redactor, data)) is not None:
        return sniffed
    text = data.decode("latin-1")
    if SECRET_WORDS.search(text) or redactor.text(text) != text:
        raise BodyDropped(f"{mime or 'untyped'} content that looks secret")
    return data


def _sniffed_body(redactor: StringRedactor, data: bytes) -> bytes | None:
    """An untyped body that parses as JSON or form data; None when it does not."""
    if data.lstrip()[:1] in (b"{", b"["):
        parse = _json_body
    elif _FORM_SHAPE.fullmatch(data):
        parse = _form_body
    else:
        return None
    try:
        return parse(redactor, data)
    except BodyDropped:
        return None


def _form_body(redactor: StringRedactor, data: bytes) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyDropped("not valid form data") from None
    if any(pair.strip() and "=" not in pair for pair in text.split("&")):
        raise BodyDropped("not valid form data")
    redacted = redactor.query(text)
    return data if redacted == text else redacted.encode("utf-8")


def _json_body(redactor: StringRedactor, data: bytes) -> bytes:
    duplicates = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicates
        obj = dict(items)
        duplicates |= len(obj) != len(items)
        return obj

    try:
        document = json.loads(data.removeprefix(codecs.BOM_UTF8), object_pairs_hook=pairs)
        redacted = _json(redactor, document)
        unchanged = not duplicates and redacted == document
    except RecursionError:
        raise BodyDropped("JSON nested too deeply") from None
    except ValueError:
        raise BodyDropped("not valid JSON") from None
    # A duplicate key's first value is not in `document`: write what was read.
    return data if unchanged else _dump_json(redacted)


def _json(redactor: StringRedactor, value: Any, secret: bool = False) -> Any:
    if isinstance(value, str):
        return redactor.token(value) if secret and value else redactor.text(value)
    if isinstance(value, dict):
        return {
            redactor.text(key): _json(redactor, item, secret or is_secret_json_field(key, item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_json(redactor, item, secret) for item in value]
    if secret and isinstance(value, int | float) and not isinstance(value, bool):
        return redactor.secret(json.dumps(value))
    return value
