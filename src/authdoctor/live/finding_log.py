"""The event log of findings: watching flows go by is the proxy's concern, so it lives with
the addon, and offline analysis and the recording writer never log a line per flow."""

from __future__ import annotations

import logging

from mitmproxy import http

from authdoctor.engine import Diagnosis
from authdoctor.util import remember

logger = logging.getLogger("authdoctor")

REPEAT_WINDOW_S = 60.0


class FindingLog:
    """One event-log line per diagnosed flow (mitmdump prints no comments), except repeats:
    the same rule on the same method, host and path within `window_s` is only counted, and
    the count goes with the next line for it. A client stuck in a retry loop would otherwise
    fill the log with identical lines, and each line costs the proxy more than the diagnosis.
    """

    def __init__(self, window_s: float = REPEAT_WINDOW_S) -> None:
        self.window_s = window_s
        self._last: dict[tuple[str, str, str, str], list[float]] = {}  # [time, repeats]

    def log(self, flow: http.HTTPFlow, diagnosis: Diagnosis, url: object) -> None:
        primary = diagnosis.primary
        if primary is None or diagnosis.provisional:
            return
        request = flow.request
        key = (primary.rule, request.method, request.host, request.path.partition("?")[0])
        now = request.timestamp_start
        last = self._last.get(key)
        if last is not None and 0 <= now - last[0] < self.window_s:
            last[1] += 1
            return
        repeats = int(last[1]) if last is not None else 0
        remember(self._last, key, [now, 0])
        status = flow.response.status_code if flow.response else "no response"
        more = f" (+{len(diagnosis.findings) - 1} more)" if len(diagnosis.findings) > 1 else ""
        again = f" [{repeats} more like it since the last line]" if repeats else ""
        level = logging.WARNING if diagnosis.severity == "error" else logging.INFO
        logger.log(
            level,
            f"authdoctor: {request.method} {url} -> {status}: "
            f"{primary.cause} [{primary.rule}] {primary.title}{more}{again}",
        )
