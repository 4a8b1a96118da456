"""What the request handlers need of a sandbox: its identity, key, registry and rate counter.

A Protocol, so that `api` and `oauth` depend on this small face and not on `app`, which
imports them (no import cycle).
"""

from __future__ import annotations

from typing import Protocol

from authdoctor.sandbox.keys import SigningKey
from authdoctor.sandbox.ratelimit import RateCounter
from authdoctor.sandbox.registry import Registry


class ServerContext(Protocol):
    issuer: str
    audience: str
    key: SigningKey
    registry: Registry
    rate_counter: RateCounter

    @property
    def url(self) -> str: ...
