"""The bound on every cache keyed by traffic, in one place.

Tokens, header values, hosts, issuers and paths come from the network, so anything
remembered per value must stop growing: each cache here holds at most `entries()` items
(the option authdoctor_cache_entries), and values longer than MAX_CACHED_CHARS are worked out
each time instead of kept (4096 cached megabyte headers would be gigabytes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import lru_cache
from typing import Any

DEFAULT_ENTRIES = 4096
MAX_CACHED_CHARS = 16 * 1024

_UNSEEN = object()
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
    """functools.lru_cache whose size follows set_entries(); arguments whose `length` is
    over MAX_CACHED_CHARS are worked out each time instead of kept."""

    def __init__(
        self, function: Callable[..., Any], length: Callable[..., int] | None = None
    ) -> None:
        self.function = function
        self.length = length
        self._cached = lru_cache(maxsize=_entries)(function)
        functools.update_wrapper(self, function)
        _lrus.append(self)

    def __call__(self, *args: Any) -> Any:
        if self.length is not None and self.length(*args) > MAX_CACHED_CHARS:
            return self.function(*args)
        return self._cached(*args)

    def resize(self, count: int) -> None:
        self._cached = lru_cache(maxsize=count)(self.function)

    def size(self) -> int:
        return self._cached.cache_info().currsize

    def clear(self) -> None:
        self._cached.cache_clear()


def bounded_lru(
    function: Callable[..., Any] | None = None, *, length: Callable[..., int] | None = None
) -> Any:
    """Decorator: `@bounded_lru`, or `@bounded_lru(length=...)` for arguments that may be
    too long to keep."""
    if function is None:
        return lambda f: BoundedLru(f, length)
    return BoundedLru(function, length)


def clear_all() -> None:
    """Empty every memoized cache (benchmarks of the cold path)."""
    for cache in _lrus:
        cache.clear()


def remembered[K, V](cache: dict[K, V], key: K, compute: Callable[[], V]) -> V:
    """The value `cache` holds for `key`, computed and remembered if it holds none."""
    if (known := cache.get(key, _UNSEEN)) is not _UNSEEN:
        return known  # type: ignore[return-value]
    return remember(cache, key, compute())


def remember[K, V](cache: dict[K, V], key: K, value: V) -> V:
    """Put `key` in a plain dict cache, emptying it first when it is full (cheaper than LRU
    bookkeeping, and the keys such caches hold — hosts, issuers, paths — recur)."""
    if len(cache) >= _entries:
        cache.clear()
    cache[key] = value
    return value
