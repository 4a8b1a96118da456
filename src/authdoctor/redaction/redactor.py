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

from typing import Any

from mitmproxy import http

from authdoctor.redaction.bodies import REDACTED_HEADER
from authdoctor.redaction.bodies import BodyDropped
from authdoctor.redaction.bodies import decode_content
from authdoctor.redaction.bodies import redact_body
from authdoctor.redaction.har import redact_har
from authdoctor.redaction.strings import StringRedactor


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


class Redactor(StringRedactor):
    """A StringRedactor (secrets in strings, keyed fingerprints) that also redacts bodies,
    whole mitmproxy flows and HAR documents, each as a redacted copy."""

    def body(self, data: bytes, content_type: str = "") -> bytes:
        """The redacted body (the same object when nothing changed); raises BodyDropped."""
        return redact_body(self, data, content_type)

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
        return redact_har(self, har)
