"""Times as people read them in a diagnosis: UTC ISO stamps and short durations."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def iso_utc(timestamp: float) -> str:
    """1700000000 -> '2023-11-14 22:13:20 UTC'; out-of-range values are shown as numbers."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{timestamp} (not a valid time)"


def human_duration(seconds: float) -> str:
    """8005 -> '2 h 13 min': the two largest units, enough to act on.

    Past ten minutes seconds are noise (a request sent 0.2 s after minting a 15-minute token
    should read '15 min', not '14 min 59 s'), so longer spans are rounded to the minute, and
    spans of days to the hour.
    """
    seconds = abs(round(seconds))
    if seconds >= 86400:
        seconds = round(seconds / 3600) * 3600
    elif seconds >= 600:
        seconds = round(seconds / 60) * 60
    if seconds == 0:
        return "0 s"
    parts: list[str] = []
    for name, size in _UNITS:
        if seconds >= size:
            parts.append(f"{seconds // size} {name}")
            seconds %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def clock_phrase(offset: float) -> str:
    """600 -> "10 min ahead of this machine's": how a server clock stands to ours."""
    direction = "ahead of" if offset > 0 else "behind"
    return f"{human_duration(offset)} {direction} this machine's"
