"""Redaction of HAR 1.2 documents (browser exports, mitmproxy's save.har) with a Redactor.

Three passes over a deep copy: first every header, cookie, URL and query parameter of every
entry (so the Redactor knows each secret before it reads any body), then the bodies
(postData, response content, Chrome's `_webSocketMessages`), then every remaining string
anywhere in the document (page titles, initiators, fields this module does not know) goes
through `Redactor.text`. An entry's `comment` and `_authdoctor` are authdoctor's own
annotations and are kept as they are.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from authdoctor.redaction.bodies import MAX_REDACTED_BODY
from authdoctor.redaction.bodies import REDACTED_HEADER
from authdoctor.redaction.bodies import BodyDropped
from authdoctor.redaction.bodies import redact_body
from authdoctor.redaction.strings import StringRedactor

_ANNOTATIONS = frozenset({"comment", "_authdoctor"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _fields(redactor: StringRedactor, entry: dict[str, Any]) -> None:
    request, response = _dict(entry.get("request")), _dict(entry.get("response"))
    for message in (request, response):
        for header in _dicts(message.get("headers")):
            name, value = header.get("name"), header.get("value")
            if isinstance(name, str) and isinstance(value, str):
                header["value"] = redactor.header(name, value)
        for cookie in _dicts(message.get("cookies")):
            if isinstance(value := cookie.get("value"), str) and value:
                cookie["value"] = redactor.token(value)
    for key, message in (("url", request), ("redirectURL", response)):
        if isinstance(url := message.get(key), str):
            message[key] = redactor.url(url)
    for param in _dicts(request.get("queryString")):
        _param(redactor, param)


def _param(redactor: StringRedactor, param: dict[str, Any]) -> None:
    name, value = param.get("name"), param.get("value")
    if isinstance(value, str):
        param["value"] = redactor.field(name if isinstance(name, str) else "", value)


def _body_text(redactor: StringRedactor, text: str, mime: Any, is_base64: bool) -> str:
    """The redacted text of a HAR body; raises BodyDropped."""
    content_type = mime if isinstance(mime, str) else ""
    if is_base64:
        try:
            data = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise BodyDropped("not valid base64") from None
        redacted = redact_body(redactor, data, content_type)
        return text if redacted is data else base64.b64encode(redacted).decode("ascii")
    if len(text) > MAX_REDACTED_BODY:
        raise BodyDropped("larger than 1 MiB")
    data = text.encode("utf-8", "surrogatepass")
    redacted = redact_body(redactor, data, content_type)
    return text if redacted is data else redacted.decode("utf-8", "surrogatepass")


def _note_drop(message: dict[str, Any], reason: str) -> None:
    headers = message.get("headers")
    if not isinstance(headers, list):
        headers = message["headers"] = []
    headers.append({"name": REDACTED_HEADER, "value": f"body dropped ({reason})"})


def _bodies(redactor: StringRedactor, entry: dict[str, Any]) -> None:
    request, response = _dict(entry.get("request")), _dict(entry.get("response"))
    post = _dict(request.get("postData"))
    for param in _dicts(post.get("params")):
        _param(redactor, param)
    if isinstance(text := post.get("text"), str) and text:
        try:
            post["text"] = _body_text(redactor, text, post.get("mimeType"), is_base64=False)
        except BodyDropped as e:
            post["text"] = ""
            if "params" in post:
                post["params"] = []
            _note_drop(request, e.reason)
    content = _dict(response.get("content"))
    if isinstance(text := content.get("text"), str) and text:
        is_base64 = content.get("encoding") == "base64"
        try:
            content["text"] = _body_text(redactor, text, content.get("mimeType"), is_base64)
        except BodyDropped as e:
            content["text"] = ""
            _note_drop(response, e.reason)
    for message in _dicts(entry.get("_webSocketMessages")):
        if isinstance(data := message.get("data"), str) and data:
            try:
                message["data"] = _body_text(redactor, data, "", message.get("opcode") == 2)
            except BodyDropped:
                message["data"] = ""


def _is_binary(node: dict[str, Any], key: str) -> bool:
    """Base64 text, already redacted as bytes: free-text patterns would corrupt it."""
    return (key == "text" and node.get("encoding") == "base64") or (
        key == "data" and node.get("opcode") == 2
    )


def _scrub(redactor: StringRedactor, node: Any, keep: frozenset[str] = frozenset()) -> Any:
    """Every string through Redactor.text; `keep` names the keys left alone (in entries)."""
    if isinstance(node, str):
        return redactor.text(node)
    if isinstance(node, list):
        return [_scrub(redactor, item, keep) for item in node]
    if isinstance(node, dict):
        return {
            key: value
            if key in keep or _is_binary(node, key)
            else _scrub(redactor, value, _ANNOTATIONS if key == "entries" else frozenset())
            for key, value in node.items()
        }
    return node


def redact_har(redactor: StringRedactor, har: dict[str, Any]) -> dict[str, Any]:
    """A redacted deep copy of a HAR document."""
    document = copy.deepcopy(har)
    entries = _dicts(_dict(document.get("log")).get("entries"))
    for entry in entries:
        _fields(redactor, entry)
    for entry in entries:
        _bodies(redactor, entry)
    return _scrub(redactor, document)
