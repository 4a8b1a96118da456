"""Analysis settings shared by the live addon and offline analysis."""

from __future__ import annotations

from dataclasses import dataclass

from authdoctor.profiles import Profile

DEFAULT_LEEWAY_S = 30
DEFAULT_REFRESH_WINDOW_S = 300  # the runbook: refresh 5 minutes before expiration


@dataclass(frozen=True, slots=True)
class Settings:
    leeway_s: int = DEFAULT_LEEWAY_S
    refresh_window_s: int = DEFAULT_REFRESH_WINDOW_S
    profiles: tuple[Profile, ...] = ()
