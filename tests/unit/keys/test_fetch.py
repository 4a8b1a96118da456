"""The key fetcher against real HTTP servers on 127.0.0.1: what it fetches, how each failure
reads, and its bounds (timeout, size, negative cache, TTL, sources, kid refetches)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mitmproxy import exceptions
from mitmproxy.test import taddons

from authdoctor.keys.fetch import FetchLimits
from authdoctor.keys.fetch import KeyFetcher
from authdoctor.keys.fetch import RemoteKeys
from authdoctor.live.addon import AuthDoctor
from tests.keyserver import Answer
from tests.keyserver import KeyServer
from tests.keyserver import json_answer
from tests.keyserver import jwks_answer

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
NEW_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
FAST = FetchLimits(timeout_s=0.5)
FAILURE_IDS = [
    "slow",
    "500",
    "not-json",
    "empty",
    "no-keys",
    "too-large",
    "no-jwks-uri",
    "bad-jwks-uri",
    "redirect",
]


class Clock:
    """A clock the test moves by hand, for TTL and retry times."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[KeyServer]:
    with KeyServer() as running:
        yield running


def _settled(fetcher: KeyFetcher, source: RemoteKeys) -> tuple[object, str]:
    """Start a fetch, wait for it, and look again."""
    fetcher.lookup(source)
    assert fetcher.wait(5)
    return fetcher.lookup(source)


def test_a_jwks_is_fetched_in_the_background(server: KeyServer) -> None:
    server.answers["/jwks"] = jwks_answer((KEY, "k1"))
    fetcher = KeyFetcher(FAST)
    source = RemoteKeys(server.url + "/jwks")
    keys, note = fetcher.lookup(source)
    assert keys is None and note == f"keys from {source.url} are being fetched"
    keys, note = _settled(fetcher, source)
    assert keys is not None and [k.kid for k in keys.keys] == ["k1"] and note == ""  # type: ignore[attr-defined]
    assert server.hits["/jwks"] == 1


def test_discovery_leads_to_the_jwks(server: KeyServer) -> None:
    server.answers["/.well-known/openid-configuration"] = json_answer(
        {"issuer": server.url + "/", "jwks_uri": server.url + "/keys"}
    )
    server.answers["/keys"] = jwks_answer((KEY, "k1"))
    keys, _ = _settled(KeyFetcher(FAST), RemoteKeys.for_issuer(server.url + "/"))
    assert keys is not None and keys.source == server.url + "/keys"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("answers", "discovery", "reason"),
    [
        ({"/jwks": Answer(delay_s=5, body=b"{}")}, False, "timed out after 0.5 s"),
        ({"/jwks": Answer(500, b"oops")}, False, "HTTP 500"),
        ({"/jwks": Answer(body=b"{not json")}, False, "the answer is not JSON"),
        ({"/jwks": json_answer({"keys": []})}, False, "no public keys found"),
        ({"/jwks": json_answer({"issuer": "x"})}, False, "not a usable JWKS"),
        ({"/jwks": Answer(body=b" " * 2048)}, False, "the answer is larger than 1024 bytes"),
        (
            {"/.well-known/openid-configuration": json_answer({"issuer": "x"})},
            True,
            "the discovery document names no jwks_uri",
        ),
        (
            {"/.well-known/openid-configuration": json_answer({"jwks_uri": "/relative"})},
            True,
            "its jwks_uri /relative: /relative is not an https URL",
        ),
        (
            {"/jwks": Answer(302, location="http://0.0.0.0:9/jwks")},
            False,
            "redirected to http://0.0.0.0:9/jwks, which is not an https URL",
        ),
    ],
    ids=FAILURE_IDS,
)
def test_each_failure_says_why(
    server: KeyServer, answers: dict[str, Answer], discovery: bool, reason: str
) -> None:
    server.answers.update(answers)
    source = RemoteKeys.for_issuer(server.url) if discovery else RemoteKeys(server.url + "/jwks")
    started = time.monotonic()
    keys, note = _settled(KeyFetcher(FetchLimits(timeout_s=0.5, max_bytes=1024)), source)
    assert keys is None
    assert note.startswith(f"keys from {source.url} are not available ({reason}")
    assert time.monotonic() - started < 2.5  # the slow server would take 5 s


def test_a_dead_port_says_it_cannot_connect(server: KeyServer) -> None:
    with KeyServer() as gone:
        dead = RemoteKeys(gone.url + "/jwks")
    keys, note = _settled(KeyFetcher(FAST), dead)
    assert keys is None and "cannot connect" in note


def test_proxy_variables_are_ignored(server: KeyServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY may point at the very proxy authdoctor runs in: fetches go direct."""
    with KeyServer() as gone:
        dead_proxy = gone.url
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.answers["/jwks"] = jwks_answer((KEY, "k1"))
    keys, _ = _settled(KeyFetcher(FAST), RemoteKeys(server.url + "/jwks"))
    assert keys is not None


def test_a_failure_is_not_asked_again_before_the_retry_time(server: KeyServer) -> None:
    server.answers["/jwks"] = Answer(500, b"oops")
    clock = Clock()
    fetcher = KeyFetcher(FetchLimits(timeout_s=0.5, retry_s=60), clock=clock)
    source = RemoteKeys(server.url + "/jwks")
    _settled(fetcher, source)
    server.answers["/jwks"] = jwks_answer((KEY, "k1"))
    clock.now += 59
    for _ in range(5):
        assert fetcher.lookup(source)[0] is None
    assert server.hits["/jwks"] == 1
    clock.now += 1
    keys, _ = _settled(fetcher, source)
    assert keys is not None and server.hits["/jwks"] == 2


def test_stale_keys_serve_while_the_ttl_refetch_runs(server: KeyServer) -> None:
    server.answers["/jwks"] = jwks_answer((KEY, "k1"))
    clock = Clock()
    fetcher = KeyFetcher(FetchLimits(timeout_s=0.5, ttl_s=3600), clock=clock)
    source = RemoteKeys(server.url + "/jwks")
    first, _ = _settled(fetcher, source)
    clock.now += 3599
    assert fetcher.lookup(source)[0] is first and server.hits["/jwks"] == 1
    clock.now += 1
    server.answers["/jwks"] = Answer(500, b"oops")
    assert fetcher.lookup(source)[0] is first  # the refetch starts; the old keys still answer
    assert fetcher.wait(5) and server.hits["/jwks"] == 2
    assert fetcher.lookup(source)[0] is first  # a failed refetch keeps the last good set


def test_the_cache_holds_at_most_max_sources(server: KeyServer) -> None:
    for path in ("/a", "/b", "/c"):
        server.answers[path] = jwks_answer((KEY, "k1"))
    fetcher = KeyFetcher(FetchLimits(timeout_s=0.5, max_sources=2))
    for path in ("/a", "/b", "/c"):
        _settled(fetcher, RemoteKeys(server.url + path))
    assert fetcher.lookup(RemoteKeys(server.url + "/c"))[0] is not None
    assert fetcher.lookup(RemoteKeys(server.url + "/a"))[0] is None  # evicted: fetched again
    assert fetcher.wait(5)
    assert server.hits["/a"] == 2 and server.hits["/c"] == 1


def test_an_unknown_kid_refetches_at_most_once_a_minute(server: KeyServer) -> None:
    server.answers["/jwks"] = jwks_answer((KEY, "k1"))
    clock = Clock()
    fetcher = KeyFetcher(FAST, clock=clock)
    source = RemoteKeys(server.url + "/jwks")
    _settled(fetcher, source)
    server.answers["/jwks"] = jwks_answer((KEY, "k1"), (NEW_KEY, "k2"))
    assert fetcher.refetch_for_kid(source, "k2") == (
        f'key "k2" is not among the keys from {source.url}, fetched again now'
    )
    assert fetcher.wait(5)
    keys, _ = fetcher.lookup(source)
    assert [k.kid for k in keys.keys] == ["k1", "k2"]  # type: ignore[union-attr]
    clock.now += 59
    assert fetcher.refetch_for_kid(source, "k3") == ""  # the set is the latest word: no_key
    assert server.hits["/jwks"] == 2
    clock.now += 1
    fetcher.refetch_for_kid(source, "k3")
    assert fetcher.wait(5) and server.hits["/jwks"] == 3


def test_offline_fetches_inline(server: KeyServer) -> None:
    server.answers["/jwks"] = jwks_answer((KEY, "k1"))
    keys, note = KeyFetcher(FAST, background=False).lookup(RemoteKeys(server.url + "/jwks"))
    assert keys is not None and note == ""


# --- options ---------------------------------------------------------------------------


def test_fetch_options_reach_the_addons_fetcher() -> None:
    doctor = AuthDoctor()
    with taddons.context(doctor) as tctx:
        tctx.configure(
            doctor,
            authdoctor_fetch_keys=True,
            authdoctor_fetch_keys_ttl="600",
            authdoctor_fetch_keys_retry="5",
            authdoctor_fetch_keys_timeout="2",
        )
        fetcher = doctor.key_fetcher
        assert doctor.settings.fetch_keys is True and doctor.settings.key_fetcher is fetcher
        assert (fetcher.limits.ttl_s, fetcher.limits.retry_s, fetcher.limits.timeout_s) == (
            600,
            5,
            2,
        )
        tctx.configure(doctor, authdoctor_leeway="45")  # a reload keeps the fetcher and cache
        assert doctor.key_fetcher is fetcher and doctor.settings.key_fetcher is fetcher


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("authdoctor_fetch_keys_timeout", "0", "must be between 1 and 60 seconds, not 0"),
        ("authdoctor_fetch_keys_ttl", "1h", "must be a whole number of seconds, not '1h'"),
        ("authdoctor_fetch_keys_retry", "90000", "must be between 1 and 86400 seconds, not 90000"),
    ],
)
def test_bad_fetch_option_while_running(name: str, value: str, message: str) -> None:
    doctor = AuthDoctor()
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor)
        doctor._running = True
        with pytest.raises(exceptions.OptionsError) as caught:
            tctx.configure(doctor, **{name: value})
        assert str(caught.value) == f"authdoctor: {name} {message}"
