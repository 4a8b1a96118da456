"""Error fields from the JSON bodies of 401/403 responses and OAuth token endpoints.

Providers disagree on the shape (RFC 6749 §5.2, RFC 7807/9457 problem+json, Microsoft
Graph, GitHub, Okta, Apigee, Entra ID, ...), so this maps the common keys onto one small
record. Bodies come from arbitrary servers: size is capped before parsing, and nothing
here raises.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

MAX_ERROR_BODY = 65536  # the largest error body read, decoded; they are a few hundred bytes
MAX_FIELD = 500

# Keys in order of preference; the first usable scalar wins.
_ERROR_KEYS = ("error",)
_DESCRIPTION_KEYS = (
    "error_description",
    "errorDescription",
    "detail",  # RFC 7807: specific to this occurrence, so better than "title"
    "message",
    "error_message",
    "errorMessage",
    "errorSummary",  # Okta
    "title",
)
_CODE_KEYS = ("error_code", "errorCode", "code", "__type")  # __type: AWS JSON protocol
_REQUEST_ID_KEYS = (
    "request_id",
    "requestId",
    "request-id",
    "errorId",  # Okta
    "trace_id",  # Entra ID: the id its support asks for
    "traceId",
    "correlation_id",
    "correlationId",
)
_TIMESTAMP_KEYS = ("timestamp",)


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """Normalised error fields; every field is a string of at most MAX_FIELD chars."""

    error: str | None = None
    description: str | None = None
    code: str | None = None
    request_id: str | None = None
    timestamp: str | None = None


def parse_error_body(content: bytes | None, content_type: str | None) -> ErrorBody | None:
    """Error fields from a JSON body (at most MAX_ERROR_BODY bytes, and it parses); else None.

    Never raises: invalid UTF-8, non-JSON, non-object JSON, too deep nesting and oversized
    bodies all give None.
    """
    document = _load_json_object(content, content_type)
    if document is None:
        return None
    fields: dict[str, str] = {}
    _collect_top_level(document, fields)
    if not fields:
        return None
    return ErrorBody(
        error=fields.get("error"),
        description=fields.get("description"),
        code=fields.get("code"),
        request_id=fields.get("request_id"),
        timestamp=fields.get("timestamp"),
    )


def _load_json_object(content: object, content_type: object) -> dict[str, object] | None:
    """The body as a JSON object, if the content type and size allow and it parses."""
    if isinstance(content, bytearray | memoryview):
        content = bytes(content)
    if isinstance(content, bytes):
        if len(content) > MAX_ERROR_BODY:
            return None
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    elif isinstance(content, str):
        if len(content) > MAX_ERROR_BODY:
            return None
        text = content.removeprefix("\ufeff")
    else:
        return None
    stripped = text.lstrip(" \t\r\n")
    # Only an object can carry named error fields, and checking first keeps a body like
    # "[[[[..." from ever reaching the parser.
    if not stripped.startswith("{") or not _is_json_type(content_type):
        return None
    try:
        document = json.loads(stripped)
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError and over-long integer literals.
        return None
    return document if isinstance(document, dict) else None


def _is_json_type(content_type: object) -> bool:
    """application/json, any +json type, or no/text/plain type (the body was sniffed)."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    if not isinstance(content_type, str):
        return content_type is None
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type.startswith("application/x-amz-json"):  # AWS JSON protocol (Cognito)
        return True
    return media_type in ("", "application/json", "text/plain") or media_type.endswith("+json")


def _collect_top_level(document: Mapping[str, object], fields: dict[str, str]) -> None:
    """Flat keys first, then the nested shapes, each only filling what is still missing."""
    _collect_flat(document, fields)
    error_codes = document.get("error_codes")  # Entra ID: [70000, ...]
    if isinstance(error_codes, list) and error_codes:
        _put(fields, "code", error_codes[0])
    nested = document.get("error")  # Microsoft Graph, Google
    if isinstance(nested, dict):
        _collect_nested(nested, fields)
    errors = document.get("errors")  # GitHub GraphQL, Twitter, many REST APIs
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        _collect_nested(errors[0], fields)
    fault = document.get("fault")  # Apigee
    if isinstance(fault, dict):
        _put(fields, "description", fault.get("faultstring"))
        detail = fault.get("detail")
        if isinstance(detail, dict):
            _put(fields, "error", _string_only(detail.get("errorcode")))
            _put(fields, "code", detail.get("errorcode"))


def _collect_flat(obj: Mapping[str, object], fields: dict[str, str]) -> None:
    """The keys that mean the same thing at any level."""
    for name, keys in (
        ("error", _ERROR_KEYS),
        ("description", _DESCRIPTION_KEYS),
        ("code", _CODE_KEYS),
        ("request_id", _REQUEST_ID_KEYS),
        ("timestamp", _TIMESTAMP_KEYS),
    ):
        for key in keys:
            if _put(fields, name, obj.get(key)):
                break


def _collect_nested(obj: Mapping[str, object], fields: dict[str, str]) -> None:
    """An error object such as Graph's ``{"code", "message", "innerError"}``.

    A textual ``status`` (Google: "UNAUTHENTICATED") or textual ``code`` (Graph:
    "InvalidAuthenticationToken") is the machine-readable error; numeric codes
    (Google's 401, Twitter's 89) only go to ``code``, unless Google's ``details``
    name a reason, which says more than the status number.
    """
    details = obj.get("details")  # Google: [{"reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]
    if isinstance(details, list) and details and isinstance(details[0], dict):
        _put(fields, "code", _string_only(details[0].get("reason")))
    _collect_flat(obj, fields)
    _put(fields, "error", _string_only(obj.get("status")))
    _put(fields, "error", _string_only(obj.get("code")))
    inner = obj.get("innerError", obj.get("innererror"))
    if isinstance(inner, dict):
        # request-id is the server's; client-request-id only echoes what we sent.
        for key in ("request-id", "requestId", "client-request-id"):
            if _put(fields, "request_id", inner.get(key)):
                break
        _put(fields, "timestamp", inner.get("date"))


def _put(fields: dict[str, str], name: str, value: object) -> bool:
    """Store value under name unless already set or unusable; True if name is now set."""
    if name in fields:
        return True
    text = _scalar_text(value)
    if text is None:
        return False
    fields[name] = text
    return True


def _scalar_text(value: object) -> str | None:
    """Strings and numbers as capped text; booleans, null, objects, arrays and blanks: None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        text = str(int(value)) if value.is_integer() else repr(value)
    else:
        return None
    text = text[:MAX_FIELD]
    return text if text.strip() else None


def _string_only(value: object) -> str | None:
    """Value if it is a JSON string, so numeric codes never pose as error names."""
    return value if isinstance(value, str) else None
