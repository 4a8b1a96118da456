"""Which host names never leave this machine (shared by the facts and the key fetcher)."""

from __future__ import annotations

import ipaddress

from authdoctor.util import bounded_lru


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: plain HTTP there never leaves the machine."""
    return _is_loopback(host) if len(host) <= 255 else False  # no longer name is a host


@bounded_lru
def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in ("localhost", "::1") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
