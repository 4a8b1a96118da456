"""The addon's own time per hook, for the proxy benchmark (bench/proxy_overhead.py).

Whole-process CPU of a proxy on a shared machine is noisy; the time spent inside our hooks,
measured in the same run, is not. Off unless AUTHDOCTOR_HOOK_TIMES names a file: then the
hooks are wrapped (two clock pairs per call) and the totals are written there as JSON when
mitmproxy shuts down. When off, the hooks are the plain methods: nothing on the hot path.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "AUTHDOCTOR_HOOK_TIMES"


@dataclass
class HookTotal:
    """Calls of one hook and the time spent in them: CPU of the calling thread, and wall."""

    calls: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0


class HookTimes:
    """Totals per hook name, written as JSON to `path` by `write()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.totals: dict[str, HookTotal] = {}

    @classmethod
    def from_environment(cls) -> HookTimes | None:
        path = os.environ.get(ENV_VAR, "").strip()
        return cls(Path(path).expanduser()) if path else None

    def wrap(self, name: str, hook: Callable[..., Any]) -> Callable[..., Any]:
        """`hook` with its time added to `name`'s total, also when it raises.

        thread_time, not process_time: mitmproxy's other threads are not our cost."""
        total = self.totals.setdefault(name, HookTotal())
        cpu_clock, wall_clock = time.thread_time, time.perf_counter

        def timed(*args: Any) -> Any:
            cpu, wall = cpu_clock(), wall_clock()
            try:
                return hook(*args)
            finally:
                total.cpu_s += cpu_clock() - cpu
                total.wall_s += wall_clock() - wall
                total.calls += 1

        return timed

    def install(self, addon: object, names: tuple[str, ...]) -> None:
        """Replace these hooks on the addon instance (mitmproxy looks hooks up by attribute)."""
        for name in names:
            setattr(addon, name, self.wrap(name, getattr(addon, name)))

    def write(self) -> None:
        document = {name: asdict(total) for name, total in self.totals.items()}
        self.path.write_text(json.dumps(document, indent=2) + "\n")
