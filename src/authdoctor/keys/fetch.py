"""Signing keys fetched from the network: opt-in, cached, and never in a flow's way.

A lookup answers at once from the cache. When the cache has nothing fresh it starts a fetch
and says why there are no keys yet; a later flow finds them. Live, the fetch runs on a daemon
thread (at most MAX_PARALLEL at a time): urllib is the well-kept HTTP client at hand (no new
dependency), name look-ups block whatever the client, and a daemon thread stuck on a dead
server never holds up mitmproxy's exit. Offline analysis has no event loop to spare anyway and
may wait: there the same fetch runs inline, bounded by the same timeout.

Bounded everywhere: one deadline per fetch (discovery document and key set together), a size
cap, a negative cache (a dead endpoint is asked once per retry interval), at most max_sources
cached sets, and an unknown kid refetches its set at most once per kid_refetch_s. Proxies from
the environment are ignored on purpose: HTTPS_PROXY often points at this very proxy.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authdoctor.errors import AuthDoctorError
from authdoctor.keys.signing_keys import KeySet
from authdoctor.keys.signing_keys import KeySetError
from authdoctor.keys.signing_keys import parse_jwks
from authdoctor.wire import is_loopback

logger = logging.getLogger("authdoctor")

DISCOVERY_PATH = "/.well-known/openid-configuration"
MAX_PARALLEL = 4
_CHUNK = 64 * 1024
_HEADERS = {"Accept": "application/json", "User-Agent": "authdoctor (signing keys)"}


@dataclass(frozen=True, slots=True)
class FetchLimits:
    ttl_s: float = 3600.0
    retry_s: float = 60.0
    timeout_s: float = 5.0
    max_bytes: int = 1024 * 1024
    max_sources: int = 64
    kid_refetch_s: float = 60.0


@dataclass(frozen=True, slots=True)
class RemoteKeys:
    """A key set to fetch: a JWKS URL, or an issuer's discovery document that names one."""

    url: str
    discovery: bool = False

    @classmethod
    def for_issuer(cls, issuer: str) -> RemoteKeys:
        return cls(issuer.rstrip("/") + DISCOVERY_PATH, discovery=True)


class FetchError(AuthDoctorError):
    """Why a key set could not be fetched, in words fit for a flow's explanation."""


def url_problem(url: str) -> str:
    """'' for an https URL (or plain http on loopback), else what is wrong with it."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. 'https://[x': a bracket that opens no IPv6 address
        return "not a valid URL"
    if parts.scheme == "https" and parts.hostname:
        return ""
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return ""
    return "not an https URL (plain http is allowed on loopback only)"


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only where a configured URL could point: https, or http on loopback."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if problem := url_problem(newurl):
            raise FetchError(f"redirected to {newurl}, which is {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """No proxies from the environment: HTTPS_PROXY often points at this very proxy."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _CheckedRedirects())


def _timed_out(limits: FetchLimits) -> FetchError:
    return FetchError(f"timed out after {limits.timeout_s:g} s")


def _read_capped(response: Any, limits: FetchLimits, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"the answer is larger than {limits.max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(_CHUNK):  # one socket read each: the deadline holds
        size += len(chunk)
        if size > limits.max_bytes:
            raise FetchError(f"the answer is larger than {limits.max_bytes} bytes")
        if time.monotonic() > deadline:
            raise _timed_out(limits)
        chunks.append(chunk)
    return b"".join(chunks)


def _get_json(url: str, limits: FetchLimits, deadline: float) -> Any:
    """GET a JSON document before the deadline; FetchError says why not."""
    if problem := url_problem(url):
        raise FetchError(f"{url} is {problem}")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timed_out(limits)
    request = urllib.request.Request(url, headers=_HEADERS)
    try:
        with _opener().open(request, timeout=remaining) as response:
            body = _read_capped(response, limits, deadline)
    except urllib.error.HTTPError as e:
        e.close()
        raise FetchError(f"HTTP {e.code}") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise _timed_out(limits) from None
        raise FetchError(f"cannot connect: {e.reason}") from None
    except TimeoutError:
        raise _timed_out(limits) from None
    except (OSError, http.client.HTTPException) as e:
        raise FetchError(f"the connection failed: {type(e).__name__}") from None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python allows
        raise FetchError("the answer is not JSON") from None


def fetch_key_set(source: RemoteKeys, limits: FetchLimits) -> KeySet:
    """Fetch one source now (blocking, bounded by limits.timeout_s in all)."""
    deadline = time.monotonic() + limits.timeout_s
    url = source.url
    if source.discovery:
        document = _get_json(url, limits, deadline)
        named = document.get("jwks_uri") if isinstance(document, dict) else None
        if not isinstance(named, str) or not named:
            raise FetchError("the discovery document names no jwks_uri")
        url = named
        try:
            document = _get_json(url, limits, deadline)
        except FetchError as e:
            raise FetchError(f"its jwks_uri {url}: {e}") from None
    else:
        document = _get_json(url, limits, deadline)
    try:
        return parse_jwks(document, url, skip_unusable=True)
    except KeySetError as e:
        raise FetchError(str(e)) from None


@dataclass(slots=True)
class _Entry:
    keys: KeySet | None = None
    error: str = ""
    done_at: float = float("-inf")  # when the last fetch ended
    running: bool = False
    kid_refetch_at: float = float("-inf")
    reported: str = ""  # what the event log last said: '' | ok | failing


class KeyFetcher:
    """Per-URL cache of fetched key sets; lookups never wait unless background is False."""

    def __init__(
        self,
        limits: FetchLimits | None = None,
        *,
        background: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or FetchLimits()
        self.background = background
        self._clock = clock
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._running = 0

    def lookup(self, source: RemoteKeys) -> tuple[KeySet | None, str]:
        """The cached keys, or None and a clause saying why not; starts a fetch when due."""
        with self._lock:
            entry = self._entry(source.url)
            start = self._due(entry) and self._claim(entry)
        if start:
            self._launch(source, entry)
        with self._lock:
            return entry.keys, "" if entry.keys else self._why_not(source, entry)

    def refetch_for_kid(self, source: RemoteKeys, kid: str) -> str:
        """A token names a kid the cached set lacks (a key rotation?): fetch the set again, at
        most once per kid_refetch_s. '' when the cached set is the latest word (no_key stands),
        else a clause saying why no verdict can be given yet."""
        with self._lock:
            entry = self._entries.get(source.url)
            if entry is None or entry.keys is None:
                return ""
            now = self._clock()
            start = (
                not entry.running
                and now - entry.kid_refetch_at >= self.limits.kid_refetch_s
                and self._claim(entry)
            )
            if start:
                entry.kid_refetch_at = now
        if start:
            self._launch(source, entry)
        with self._lock:
            if entry.running:
                return f'key "{kid}" is not among the keys from {source.url}, fetched again now'
            if entry.error:
                return (
                    f'key "{kid}" is not among the keys from {source.url}, and fetching them '
                    f"again failed ({entry.error})"
                )
            return ""

    def wait(self, timeout: float) -> bool:
        """Wait until no fetch is running (tests, and offline callers that want to)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    def _entry(self, url: str) -> _Entry:
        entry = self._entries.get(url)
        if entry is not None:
            self._entries.move_to_end(url)
            return entry
        entry = self._entries[url] = _Entry()
        while len(self._entries) > self.limits.max_sources:
            self._entries.popitem(last=False)
        return entry

    def _due(self, entry: _Entry) -> bool:
        if entry.running:
            return False
        age = self._clock() - entry.done_at
        if entry.error:
            return age >= self.limits.retry_s
        return entry.keys is None or age >= self.limits.ttl_s

    def _claim(self, entry: _Entry) -> bool:
        """Take one of MAX_PARALLEL fetch slots for this entry (lock held)."""
        if self._running >= MAX_PARALLEL:
            return False
        self._running += 1
        entry.running = True
        return True

    def _launch(self, source: RemoteKeys, entry: _Entry) -> None:
        if not self.background:
            self._fetch(source, entry)
            return
        name = "authdoctor-key-fetch"
        threading.Thread(target=self._fetch, args=(source, entry), name=name, daemon=True).start()

    def _fetch(self, source: RemoteKeys, entry: _Entry) -> None:
        try:
            keys, error = fetch_key_set(source, self.limits), ""
        except FetchError as e:
            keys, error = None, str(e)
        except Exception as e:  # a bug of ours: no keys, no crash
            keys, error = None, f"internal error {type(e).__name__}"
        with self._lock:
            self._running -= 1
            entry.running = False
            entry.done_at = self._clock()
            entry.error = error
            entry.keys = keys or entry.keys  # a failed refetch keeps the last good set
            state = "failing" if error else "ok"
            news, entry.reported = state != entry.reported, state
            kept = entry.keys is not None
            self._idle.notify_all()
        if news:
            _log_change(source, keys, error, kept)

    def _why_not(self, source: RemoteKeys, entry: _Entry) -> str:
        where = f"keys from {source.url}"
        if entry.running:
            return f"{where} are being fetched" + (
                f" (the last try failed: {entry.error})" if entry.error else ""
            )
        if entry.error:
            return f"{where} are not available ({entry.error})"
        return f"{where} are waiting for a free fetch slot"


def _log_change(source: RemoteKeys, keys: KeySet | None, error: str, kept: bool) -> None:
    """Once per failure streak, in the event log; a recovery is said once too."""
    if error:
        meanwhile = (
            "the keys fetched before stay in use"
            if kept
            else "tokens checked against them stay decoded, not verified"
        )
        logger.warning(
            f"authdoctor: signing keys from {source.url} could not be fetched ({error}); "
            f"{meanwhile} (logged once until a fetch works)"
        )
    elif keys is not None:
        logger.info(f"authdoctor: fetched {len(keys.keys)} signing keys from {source.url}")
