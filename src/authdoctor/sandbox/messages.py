"""The request and response values passed between the HTTP plumbing and the endpoints.

Endpoints are plain functions of a Request, so they never touch sockets, and "now" and the
request id are fixed once per request so that body, Date header and validation agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from email.message import Message
from typing import Any


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request, stamped with the server clock and its request id."""

    method: str
    path: str
    query: str
    headers: Message
    body: bytes
    now: float
    request_id: str

    def header_values(self, name: str) -> list[str]:
        """Every value of a header, so duplicates can be told from a single one."""
        return [str(value) for value in self.headers.get_all(name, [])]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None


@dataclass
class Response:
    """Status, extra headers and body; the server adds Date, X-Request-Id, Content-Length."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, indent=2).encode() + b"\n"
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def iso_utc(timestamp: float) -> str:
    """ISO-8601 UTC to the second with a Z, as in the runbook's error bodies."""
    moment = datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")
