"""A mitmproxy content view: the bearer token of a request, decoded, with the diagnosis.

Shown for any request that carries a token (choose "authdoctor" in the view menu; it is
picked automatically for body-less requests). It shows the decoded header and claims with
UTC and relative times, never the token itself or its signature.
"""

from __future__ import annotations

import json
from typing import Any

from mitmproxy import contentviews
from mitmproxy import http

from authdoctor.engine import METADATA_KEY
from authdoctor.engine import decode_token
from authdoctor.engine import header_facts
from authdoctor.util import human_duration
from authdoctor.util import iso_utc
from authdoctor.util import valid_unicode

_TIME_CLAIMS = ("exp", "nbf", "iat", "auth_time")


def _claim_line(name: str, value: Any, now: float) -> str:
    if name in _TIME_CLAIMS and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            delta = value - now
            when = "after" if delta >= 0 else "before"
            return (
                f"  {name}: {value}  # {iso_utc(value)}, {human_duration(delta)} {when} the request"
            )
        except (OverflowError, ValueError):  # NaN, infinite or past any float: no time to show
            pass
    return f"  {name}: {json.dumps(value, ensure_ascii=False)}"


def render_token_view(request: http.Request, metadata: dict[str, Any] | None) -> str:
    """The text of the view; raises ValueError when the request carries no token."""
    _, credential = header_facts(request, strict_bearer_case=False)
    if credential is None or not credential.value:
        raise ValueError("no token in this request")
    decoded = decode_token(credential.value)
    lines = [f"token: {decoded.format}, {decoded.length} characters, {decoded.fingerprint}"]
    if decoded.malformed_reason:
        lines.append(f"malformed: {decoded.malformed_reason}")
    if decoded.format == "jwt":
        lines.append("header:")
        lines += [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in decoded.header.items()]
        lines.append("claims:")
        lines += [_claim_line(k, v, request.timestamp_start) for k, v in decoded.claims.items()]
        lines.append("signature: (not shown, not verified)")
    if metadata and metadata.get("findings"):
        lines.append("diagnosis:")
        for finding in metadata["findings"]:
            lines.append(f"  - {finding['severity']}: {finding['title']} [{finding['cause']}]")
    return valid_unicode("\n".join(lines))  # claims may hold lone surrogates: not sendable


class TokenContentview(contentviews.Contentview):
    name = "authdoctor"
    syntax_highlight = "yaml"

    def prettify(self, data: bytes, metadata: contentviews.Metadata) -> str:
        message = metadata.http_message
        if not isinstance(message, http.Request):
            raise ValueError("authdoctor shows request tokens")
        flow_metadata = metadata.flow.metadata.get(METADATA_KEY) if metadata.flow else None
        return render_token_view(message, flow_metadata)

    def render_priority(self, data: bytes, metadata: contentviews.Metadata) -> float:
        message = metadata.http_message
        if not isinstance(message, http.Request) or data:
            return -1
        return 2 if "authorization" in message.headers else -1


def register_jwt_view() -> None:
    """Add the view; adding it again (script reload) replaces the old one."""
    contentviews.add(TokenContentview())
