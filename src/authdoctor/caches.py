"""The bound on every cache keyed by traffic, in one place.

Tokens, header values, hosts, issuers and paths come from the network, so anything
remembered per value must stop growing: each cache here holds at most `entries()` items
(the option authdoctor_cache_entries), and values longer than MAX_CACHED_CHARS are worked out
each time instead of kept (4096 cached megabyte headers would be gigabytes).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

DEFAULT_ENTRIES = 4096
MAX_CACHED_CHARS = 16 * 1024

_entries = DEFAULT_ENTRIES
_lrus: list[BoundedLru] = []


def entries() -> int:
    """How many items each traffic-keyed cache may hold."""
    return _entries


def set_entries(count: int) -> None:
    """Resize every cache (emptying the memoized ones); the dict caches shrink as they fill."""
    global _entries
    if count < 1:
        raise ValueError("a cache holds at least 1 entry")
    _entries = count
    for cache in _lrus:
        cache.resize(count)


class BoundedLru:
    """functools.lru_cache whose size follows set_entries()."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self._cached = lru_cache(maxsize=_entries)(function)
        _lrus.append(self)

    def __call__(self, *args: Any) -> Any:
        return self._cached(*args)

    def resize(self, count: int) -> None:
        self._cached = lru_cache(maxsize=count)(self.function)

    def size(self) -> int:
        return self._cached.cache_info().currsize

    def clear(self) -> None:
        self._cached.cache_clear()


def bounded_lru(function: Callable[..., Any]) -> BoundedLru:
    return BoundedLru(function)


def remember[K, V](cache: dict[K, V], key: K, value: V) -> V:
    """Put `key` in a plain dict cache, emptying it first when it is full (cheaper than LRU
    bookkeeping, and the keys such caches hold — hosts, issuers, paths — recur)."""
    if len(cache) >= _entries:
        cache.clear()
    cache[key] = value
    return value
