"""Analysis settings shared by the live addon and offline analysis."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from authdoctor.keys import KeyFetcher
from authdoctor.profiles import Environment
from authdoctor.profiles import Profile
from authdoctor.profiles import profile_for
from authdoctor.profiles import profile_for_issuer
from authdoctor.util import remembered

DEFAULT_LEEWAY_S = 30
DEFAULT_REFRESH_WINDOW_S = 300  # the runbook: refresh 5 minutes before expiration

type Match = tuple[Profile, Environment] | None


@dataclass(frozen=True, slots=True)
class Settings:
    leeway_s: int = DEFAULT_LEEWAY_S
    refresh_window_s: int = DEFAULT_REFRESH_WINDOW_S
    profiles: tuple[Profile, ...] = ()
    fetch_keys: bool = False  # the authdoctor_fetch_keys option; a profile may also opt in
    key_fetcher: KeyFetcher = field(default_factory=KeyFetcher, compare=False, repr=False)
    _hosts: dict[tuple[str, int], Match] = field(default_factory=dict, compare=False, repr=False)
    _issuers: dict[str, Match] = field(default_factory=dict, compare=False, repr=False)

    def profile_for(self, host: str, port: int) -> Match:
        """The profile and environment serving host:port, remembered per address (bounded)."""
        return remembered(self._hosts, (host, port), lambda: profile_for(self.profiles, host, port))

    def profile_for_issuer(self, issuer: str) -> Match:
        """The one profile whose issuers include this one (None if none or several),
        remembered per issuer (bounded)."""
        return remembered(self._issuers, issuer, lambda: profile_for_issuer(self.profiles, issuer))
