"""The X-RateLimit-* numbers of successful API calls: a fixed hourly window per client.

Counted, not enforced: the sandbox is for auth failures, and a demo must not hit a 429.
"""

from __future__ import annotations

import threading

RATE_LIMIT = 1000
WINDOW_SECONDS = 3600


class RateCounter:
    """Requests per client in the current window of the server clock."""

    def __init__(self, limit: int = RATE_LIMIT, window: int = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._window_index = -1
        self._counts: dict[str, int] = {}

    def hit(self, client_id: str, now: float) -> dict[str, str]:
        """Count one request and return the headers that report it."""
        window_index = int(now) // self.window
        with self._lock:
            if window_index != self._window_index:
                self._window_index = window_index
                self._counts = {}
            used = self._counts.get(client_id, 0) + 1
            self._counts[client_id] = used
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - used, 0)),
            "X-RateLimit-Reset": str((window_index + 1) * self.window),
        }
