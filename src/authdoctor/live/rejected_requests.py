"""Requests that mitmproxy rejects before any flow exists, diagnosed from its own log.

A bare line break inside a header value (a token pasted with a newline) splits the header
into a line without a colon; mitmproxy answers 400 and closes the connection, and no addon
hook ever sees a flow. Its log record is the only trace, so we listen for it and explain it.
The record's text may hold a piece of the token, so it is never repeated.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("authdoctor")

SOURCE_LOGGER = "mitmproxy.proxy.server"
_SIGNATURES = ("Invalid header line", "Invalid headers")
EXPLANATION = (
    "authdoctor: mitmproxy rejected a request from {client} with 400 Bad Request before any "
    "flow existed: a header line has no colon. This almost always means a line break inside a "
    "header value, typically an access token pasted with a newline in the middle "
    "(malformed_token). Remove every line break and space from the token (token.strip() does "
    "not remove one in the middle) and retry."
)


class RejectedRequestWatcher(logging.Handler):
    """A logging handler on mitmproxy's connection logger; counts and explains rejections."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if not message or not any(s in message for s in _SIGNATURES):
                return
            self.count += 1
            client = getattr(record, "client", None)
            where = f"{client[0]}:{client[1]}" if isinstance(client, tuple) else "a client"
            logger.warning(EXPLANATION.format(client=where))
        except Exception:
            return

    def install(self) -> None:
        source = logging.getLogger(SOURCE_LOGGER)
        if self not in source.handlers:
            source.addHandler(self)

    def uninstall(self) -> None:
        logging.getLogger(SOURCE_LOGGER).removeHandler(self)
