"""What one proxy session has seen, bounded: tokens, clients, token-endpoint calls, clocks.

Some causes live across requests, not inside one: a token sent again after the API rejected
it, a client that refreshes only once its token has died, a storm of token requests, a
rotated refresh token presented again, a refresh or ID token sent as the bearer token, the
clock offset measured over many answers. The store remembers just enough for those, in
least-recently-used maps with fixed caps, and only fingerprints and digests of credentials,
never credentials.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections import OrderedDict
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

DEFAULT_MAX_TOKENS = 10_000
DEFAULT_MAX_CLIENTS = 1_000
TOKEN_REQUEST_HISTORY = 64  # per client: enough to see a storm inside a minute
RETIRED_REFRESH_TOKENS = 32  # per client
FAILING_REQUESTS = 64  # per client: distinct failing (method, path, token) remembered
FAILURES_PER_REQUEST = 8  # answer times kept for each of those
CLOCK_SAMPLES = 101
DISCOVERED_ENDPOINTS = 64


@dataclass(slots=True)
class Issued:
    """An access token as the token endpoint described it when it handed it out."""

    client: str
    issued_at: float
    expires_at: float | None
    scopes: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class HandedOut:
    """A refresh or ID token a token response carried, by fingerprint: so that sending it as
    a bearer token later is recognised, whatever its format."""

    issued_as: str  # "refresh_token" | "id_token"
    client: str
    issued_at: float


@dataclass(slots=True)
class TokenSeen:
    rejected_at: float | None = None  # when the first 401 for this token arrived
    rejected_expired: bool = False  # that 401 came when the token had expired
    used_expired: bool = False  # a request went out with it after it had expired
    expires_at: float | None = None  # from exp, or from the token endpoint's expires_in
    issued: Issued | None = None


@dataclass(slots=True)
class ClientSeen:
    token_requests: deque[float] = field(
        default_factory=lambda: deque(maxlen=TOKEN_REQUEST_HISTORY)
    )
    refresh_grants: deque[tuple[float, float]] = field(  # (request sent, answer received)
        default_factory=lambda: deque(maxlen=TOKEN_REQUEST_HISTORY)
    )
    newest_token: str | None = None
    newest_issued_at: float = 0.0  # when the request for it was sent
    newest_received_at: float = 0.0  # when the client had it in hand
    current_token: str | None = None  # the access token it used last
    retired_refresh: OrderedDict[str, float] = field(default_factory=OrderedDict)
    # (method, path, token) -> when its failures arrived
    failures: OrderedDict[tuple[str, str, str], deque[float]] = field(default_factory=OrderedDict)


class BoundedMap[K, V](OrderedDict[K, V]):
    """An LRU map: reading or writing a key makes it newest; past `limit` the oldest go."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def touch(self, key: K, make: Callable[[], V]) -> V:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        while len(self) > self.limit:
            self.popitem(last=False)
        return value

    def peek(self, key: K) -> V | None:
        return self.get(key)


@dataclass
class SessionStore:
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_clients: int = DEFAULT_MAX_CLIENTS
    tokens: BoundedMap[str, TokenSeen] = field(init=False)
    clients: BoundedMap[str, ClientSeen] = field(init=False)
    clock_offsets: deque[int] = field(default_factory=lambda: deque(maxlen=CLOCK_SAMPLES))
    causes: Counter[str] = field(default_factory=Counter)
    flows: int = 0
    token_request_times: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    token_endpoints: BoundedMap[str, None] = field(init=False)  # named by discovery documents
    handed_out: BoundedMap[str, HandedOut] = field(init=False)  # refresh and ID tokens

    def __post_init__(self) -> None:
        self.tokens = BoundedMap(self.max_tokens)
        self.clients = BoundedMap(self.max_clients)
        self.token_endpoints = BoundedMap(DISCOVERED_ENDPOINTS)
        self.handed_out = BoundedMap(self.max_tokens)

    def clock_median(self) -> tuple[int, int] | None:
        """(median, samples) of the server clock offsets seen: cheap, for every flow."""
        count = len(self.clock_offsets)
        if not count:
            return None
        ordered = sorted(self.clock_offsets)
        middle = count // 2
        median = ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        return round(median), count

    def clock_offset(self) -> tuple[int, int, int] | None:
        """(median, spread between quartiles, samples) of the server clock offsets seen."""
        measured = self.clock_median()
        if measured is None:
            return None
        median, count = measured
        if count < 4:
            return median, 0, count
        quartiles = statistics.quantiles(self.clock_offsets, n=4)
        return median, round(quartiles[2] - quartiles[0]), count

    def retire_refresh(self, client: ClientSeen, digest: str, when: float) -> None:
        client.retired_refresh[digest] = when
        _trim(client.retired_refresh, RETIRED_REFRESH_TOKENS)

    def count_failure(self, client: ClientSeen, key: tuple[str, str, str], answered: float) -> None:
        times = client.failures.pop(key, None) or deque(maxlen=FAILURES_PER_REQUEST)
        times.append(answered)
        client.failures[key] = times
        _trim(client.failures, FAILING_REQUESTS)

    def size(self) -> int:
        """Everything the store holds, for the bounds tests."""
        per_client = sum(
            len(c.retired_refresh) + len(c.failures) + len(c.token_requests) + len(c.refresh_grants)
            for c in self.clients.values()
        )
        return len(self.tokens) + len(self.handed_out) + len(self.clients) + per_client


def _trim(mapping: OrderedDict, limit: int) -> None:  # type: ignore[type-arg]
    while len(mapping) > limit:
        mapping.popitem(last=False)
