"""Endpoint scope tables: `METHOD /path/{param}/*` -> the scopes of which any one suffices.

`{name}` matches one path segment, a trailing `*` any rest; literal segments beat templated
ones (OpenAPI's precedence), and a trailing slash and the query string are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from authdoctor.errors import AuthDoctorError
from authdoctor.util import remembered

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class EndpointError(AuthDoctorError, ValueError):
    """An endpoint key or value is malformed; `key` names the entry."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class Endpoint:
    key: str
    method: str
    segments: tuple[str, ...]
    scopes_any: tuple[str, ...]

    def match(self, method: str, parts: list[str]) -> bool:
        if method != self.method:
            return False
        if self.segments and self.segments[-1] == "*":
            head = self.segments[:-1]
            return len(parts) >= len(head) and _same(head, parts[: len(head)])
        return len(parts) == len(self.segments) and _same(self.segments, parts)

    @property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if not (s == "*" or s.startswith("{")))


def _same(template: tuple[str, ...], parts: list[str]) -> bool:
    return all(t.startswith("{") or t == p for t, p in zip(template, parts, strict=True))


def _split(path: str) -> list[str]:
    return [s for s in path.split("?", 1)[0].split("/") if s]


def parse_endpoint(key: str, scopes: object) -> Endpoint:
    """One table entry; raise EndpointError with a precise message."""
    method, _, path = key.partition(" ")
    if method not in _METHODS or not path.startswith("/"):
        raise EndpointError(f"key '{key}' must look like 'GET /path/{{id}}'", key)
    segments = tuple(_split(path))
    if "*" in segments[:-1]:
        raise EndpointError(f"'*' may only end a path: '{key}'", key)
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise EndpointError(f"'{key}' needs a list of scopes (any one suffices)", key)
    return Endpoint(key, method, segments, tuple(scopes))


@dataclass(frozen=True, slots=True)
class EndpointTable:
    endpoints: tuple[Endpoint, ...]
    base_paths: tuple[str, ...] = ("",)
    _cache: dict[tuple[str, str], Endpoint | None] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    @classmethod
    def parse(cls, table: Mapping[str, object], base_paths: list[str]) -> EndpointTable:
        endpoints = [parse_endpoint(k, v) for k, v in table.items()]
        shapes: dict[tuple[str, ...], str] = {}
        for e in endpoints:
            shape = (e.method, *("{}" if s.startswith("{") else s for s in e.segments))
            if shape in shapes:
                raise EndpointError(
                    f"'{e.key}' and '{shapes[shape]}' match the same requests", e.key
                )
            shapes[shape] = e.key
        endpoints.sort(key=lambda e: (-e.literal_count, -len(e.segments)))
        return cls(tuple(endpoints), tuple(base_paths) or ("",))

    def lookup(self, method: str, path: str) -> Endpoint | None:
        """The most specific entry for this request, or None."""
        if not self.endpoints:
            return None
        return remembered(self._cache, (method, path), lambda: self._lookup(method, path))

    def _lookup(self, method: str, path: str) -> Endpoint | None:
        parts = _split(path)
        for base in self.base_paths:
            prefix = _split(base)
            if parts[: len(prefix)] != prefix:
                continue
            rest = parts[len(prefix) :]
            for endpoint in self.endpoints:
                if endpoint.match(method.upper(), rest):
                    return endpoint
        return None
