"""Notice edits of rule and profile files, so a running proxy picks them up."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def snapshot(paths: Iterable[Path]) -> dict[Path, float]:
    """Modification time of every YAML file under the given files and folders."""
    times: dict[Path, float] = {}
    for path in paths:
        candidates = path.rglob("*.yaml") if path.is_dir() else [path]
        for file in candidates:
            try:
                times[file] = file.stat().st_mtime
            except OSError:
                times[file] = -1.0
    return times
