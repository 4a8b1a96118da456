"""Analysis settings shared by the live addon and offline analysis."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from authdoctor.key_fetch import KeyFetcher
from authdoctor.profiles import Environment
from authdoctor.profiles import Profile
from authdoctor.profiles import profile_for

DEFAULT_LEEWAY_S = 30
DEFAULT_REFRESH_WINDOW_S = 300
HOST_CACHE_SIZE = 4096  # the runbook: refresh 5 minutes before expiration


@dataclass(frozen=True, slots=True)
class Settings:
    leeway_s: int = DEFAULT_LEEWAY_S
    refresh_window_s: int = DEFAULT_REFRESH_WINDOW_S
    profiles: tuple[Profile, ...] = ()
    fetch_keys: bool = False  # the authdoctor_fetch_keys option; a profile may also opt in
    key_fetcher: KeyFetcher = field(default_factory=KeyFetcher, compare=False, repr=False)
    _hosts: dict[tuple[str, int], tuple[Profile, Environment] | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def profile_for(self, host: str, port: int) -> tuple[Profile, Environment] | None:
        """The profile and environment serving host:port, remembered per address (bounded)."""
        key = (host, port)
        if key not in self._hosts:
            if len(self._hosts) >= HOST_CACHE_SIZE:
                self._hosts.clear()
            self._hosts[key] = profile_for(self.profiles, host, port)
        return self._hosts[key]
