"""Ctrl-C for `authdoctor demo`: it stops everything the demo started, whenever it comes.

A KeyboardInterrupt raised wherever the signal lands could fall between a child's start and
the registration of its stop (an orphan proxy), inside Popen's own bookkeeping (its waitpid
lock stays taken, so the child can no longer be reaped) or halfway through the clean-up.
So the handler only records SIGINT, and raises KeyboardInterrupt inside `interruptible()`
blocks alone: the long waits, which start nothing and hold no lock.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class CtrlC:
    """SIGINT recorded at once; raised as KeyboardInterrupt only where that leaks nothing."""

    def __init__(self) -> None:
        self.requested = False
        self._open = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self._open:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[CtrlC]:
        """The handler for the block, even over an inherited SIG_IGN (a script's background
        job starts so): the demo promises that Ctrl-C stops it, as mitmproxy's tools do."""
        previous = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Ctrl-C breaks the block at once; one that came before breaks it on entry."""
        self._open = True
        try:
            if self.requested:
                raise KeyboardInterrupt
            yield
        finally:
            self._open = False
