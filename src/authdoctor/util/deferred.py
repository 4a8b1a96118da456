"""Text facts computed only when an explanation is rendered.

Most flows are healthy and render nothing, so formatting times and URLs for every flow would
be wasted work on the proxy's event loop. A Deferred holds the function and its arguments and
formats on first use; conditions cannot test such facts (catalogue.TEXT_ONLY, checked when
rules load).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Deferred:
    __slots__ = ("_args", "_function", "_text")

    def __init__(self, function: Callable[..., str], *args: Any) -> None:
        self._function = function
        self._args = args
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._function(*self._args)
        return self._text

    def __repr__(self) -> str:
        return repr(str(self))

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, Deferred) else other)

    def __hash__(self) -> int:
        return hash(str(self))
