"""The session store stays bounded however much traffic passes, and its caps are options.

Flows are pushed through `record` with facts dicts built here (the keys the extractors
make, wrapped as the facts step would), reusing one tflow flow whose send time is moved along:
the store must only grow to its caps, evict the least recently used, and keep per-client
histories at their constants.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from mitmproxy import exceptions
from mitmproxy import http
from mitmproxy.test import taddons
from mitmproxy.test import tflow

from authdoctor.engine.diagnosis import Diagnosis
from authdoctor.engine.facts import Extracted
from authdoctor.engine.facts.session import client_key
from authdoctor.engine.facts.token import fingerprint
from authdoctor.engine.facts.token_endpoint import read_call
from authdoctor.engine.session_record import record
from authdoctor.engine.sessions import CLOCK_SAMPLES
from authdoctor.engine.sessions import DEFAULT_MAX_CLIENTS
from authdoctor.engine.sessions import DEFAULT_MAX_TOKENS
from authdoctor.engine.sessions import FAILING_REQUESTS
from authdoctor.engine.sessions import FAILURES_PER_REQUEST
from authdoctor.engine.sessions import RETIRED_REFRESH_TOKENS
from authdoctor.engine.sessions import TOKEN_REQUEST_HISTORY
from authdoctor.engine.sessions import SessionStore
from authdoctor.live.addon import AuthDoctor
from tests.unit.authflows import SENT

MAX_TOKENS = 1000
MAX_CLIENTS = 100
DISTINCT = 100_000
PER_CLIENT = 1 + RETIRED_REFRESH_TOKENS + FAILING_REQUESTS + 2 * TOKEN_REQUEST_HISTORY
# access tokens, and refresh or ID tokens handed out, each up to MAX_TOKENS
BOUND = 2 * MAX_TOKENS + MAX_CLIENTS * PER_CLIENT  # 2000 + 100 * 225 = 24,500
FAILED = Diagnosis("token_expired", "error", False, ())
FORM = "application/x-www-form-urlencoded"


def _token(i: int) -> str:
    return f"sha256:{i:012x}"


def _api_facts(token: str, client: str, path: str = "/v2/devices", offset: int = 0) -> dict:
    """What the extractors make for a failing API call (a 401 on an expired token)."""
    return {
        "request.kind": "api",
        "request.path": path,
        "token.fingerprint": token,
        "token.client_id": client,
        "token.expires_in_s": -60,
        "token.expired": True,
        "response.status": 401,
        "response.auth_failed": True,
        "response.clock_offset_s": offset,
    }


class Pusher:
    """Records flows into a store through one reused tflow flow."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.flow = tflow.tflow(resp=True)
        self.token_flow = tflow.tflow(resp=True)
        self.token_flow.request.method = "POST"
        self.token_flow.request.path = "/oauth/token"
        self.token_flow.request.headers["content-type"] = FORM
        self.token_flow.response.headers["content-type"] = "application/json"
        self.sent = 0  # flows recorded; flow n is sent at SENT + n / 100

    def _tick(self, f: http.HTTPFlow) -> None:
        self.sent += 1
        f.request.timestamp_start = f.request.timestamp_end = SENT + self.sent / 100
        f.response.timestamp_start = f.response.timestamp_end = SENT + self.sent / 100 + 0.005

    def api(self, token: str, client: str, path: str = "/v2/devices", offset: int = 0) -> None:
        self._tick(self.flow)
        self.flow.request.path = path
        facts = _api_facts(token, client, path, offset)
        extracted = Extracted(facts, None, client_key(self.flow, facts, self.store))
        record(self.store, self.flow, extracted, FAILED)

    def refresh(self, client: str, sent: str, issued: str, access: str) -> None:
        """A refresh_token grant that rotates `sent` into `issued`."""
        f = self.token_flow
        self._tick(f)
        f.request.text = f"grant_type=refresh_token&refresh_token={sent}&client_id={client}"
        f.response.text = (
            f'{{"access_token": "{access}", "token_type": "Bearer", "expires_in": 3600, '
            f'"refresh_token": "{issued}", "scope": "read"}}'
        )
        facts = {
            "request.kind": "token_endpoint",
            "oauth.client_id": client,
            "oauth.grant_type": "refresh_token",
            "response.status": 200,
            "response.clock_offset_s": 0,
        }
        extracted = Extracted(facts, None, client_key(f, facts, self.store), read_call(f))
        record(self.store, f, extracted, Diagnosis(None, None, False, ()))


KEEP_CALLS = DISTINCT // 50 + MAX_CLIENTS - 1


@pytest.fixture(scope="module")
def flooded() -> tuple[SessionStore, float]:
    """100,000 distinct tokens and clients, then 99 heavy clients each with 200 distinct
    failing requests and 120 rotating refreshes; token and client "keep" are used all along
    (after every 50 distinct ones and after every heavy client), first as the second flow."""
    store = SessionStore(max_tokens=MAX_TOKENS, max_clients=MAX_CLIENTS)
    push = Pusher(store)
    started = time.perf_counter()
    for i in range(DISTINCT):
        push.api(_token(i), f"client-{i}", offset=i % 7)
        if i % 50 == 0:
            push.api("sha256:keep", "keep")
    for n in range(MAX_CLIENTS - 1):
        client = f"heavy-{n}"
        for k in range(200):
            push.api(_token(DISTINCT + n * 200 + k), client, path=f"/v2/devices/{k}")
        for k in range(120):
            push.refresh(client, f"R-{n}-{k}", f"R-{n}-{k + 1}", f"access-{n}-{k}")
        push.api("sha256:keep", "keep")
    return store, time.perf_counter() - started


def test_store_holds_no_more_than_its_caps(flooded: tuple[SessionStore, float]) -> None:
    store, _ = flooded
    assert store.flows == DISTINCT + KEEP_CALLS + (MAX_CLIENTS - 1) * 320
    assert len(store.tokens) == MAX_TOKENS
    assert len(store.handed_out) == MAX_TOKENS
    assert len(store.clients) == MAX_CLIENTS
    assert len(store.clock_offsets) == CLOCK_SAMPLES == 101
    assert len(store.token_request_times) == 10_000
    assert store.size() <= BOUND == 24_500


def test_per_client_histories_stop_at_their_constants(
    flooded: tuple[SessionStore, float],
) -> None:
    store, _ = flooded
    client = store.clients["client:heavy-7"]
    assert len(client.failures) == FAILING_REQUESTS == 64
    assert len(client.retired_refresh) == RETIRED_REFRESH_TOKENS == 32
    assert len(client.token_requests) == TOKEN_REQUEST_HISTORY == 64
    assert len(client.refresh_grants) == TOKEN_REQUEST_HISTORY
    # the newest stay: the last 64 failing paths, the last 64 token requests
    assert [key[1] for key in client.failures] == [f"/v2/devices/{k}" for k in range(136, 200)]
    first_refresh = DISTINCT + DISTINCT // 50 + 7 * 321 + 200 + 1  # flow number
    sent = [round(t - SENT, 2) for t in client.token_requests]
    assert sent == [n / 100 for n in range(first_refresh + 56, first_refresh + 120)]
    keep = store.clients["client:keep"]
    assert (len(keep.failures), len(keep.retired_refresh), len(keep.token_requests)) == (1, 0, 0)
    # 99 saturated clients and "keep" with its one failing request
    assert store.size() == 2 * MAX_TOKENS + MAX_CLIENTS + 99 * (PER_CLIENT - 1) + 1 == 24_277


def test_least_recently_used_entries_are_evicted(flooded: tuple[SessionStore, float]) -> None:
    store, _ = flooded
    # "keep" survived all along: the record made at its first use is still there
    keep = store.tokens["sha256:keep"]
    assert keep.rejected_at == SENT + 2 / 100 + 0.005  # when its first 401 arrived
    failures = store.clients["client:keep"].failures
    assert list(failures) == [("GET", "/v2/devices", "sha256:keep")]
    assert len(failures["GET", "/v2/devices", "sha256:keep"]) == FAILURES_PER_REQUEST
    assert list(store.tokens)[-1] == "sha256:keep"
    assert list(store.clients) == [f"client:heavy-{n}" for n in range(99)] + ["client:keep"]
    # the other 999 tokens are the newest: the last three heavy clients' 3 x 320 and the last
    # 39 access tokens issued to heavy-95
    newest = {
        *(_token(DISTINCT + n * 200 + k) for n in (96, 97, 98) for k in range(200)),
        *(fingerprint(f"access-{n}-{k}") for n in (96, 97, 98) for k in range(120)),
        *(fingerprint(f"access-95-{k}") for k in range(81, 120)),
    }
    assert set(store.tokens) == newest | {"sha256:keep"}
    # the refresh tokens handed out: the newest 1000 of the 99 x 120 rotations
    handed = [fingerprint(f"R-{n}-{k + 1}") for n in range(99) for k in range(120)]
    assert list(store.handed_out) == handed[-MAX_TOKENS:]
    assert _token(0) not in store.tokens and "client:client-0" not in store.clients


def test_token_touched_again_survives_and_the_oldest_goes() -> None:
    store = SessionStore(max_tokens=3, max_clients=2)
    push = Pusher(store)
    for name in ("a", "b", "c"):
        push.api(f"sha256:{name}", "one")
    push.api("sha256:a", "one")  # a is the newest now; b the oldest
    push.api("sha256:d", "two")
    assert list(store.tokens) == ["sha256:c", "sha256:a", "sha256:d"]
    push.api("sha256:e", "three")  # client "one" is the least recently used client
    assert list(store.clients) == ["client:two", "client:three"]
    assert list(store.tokens) == ["sha256:a", "sha256:d", "sha256:e"]


def test_flood_time(flooded: tuple[SessionStore, float]) -> None:
    _, seconds = flooded
    print(f"recorded {DISTINCT} tokens and clients plus the heavy clients in {seconds:.2f} s")
    assert seconds < 30


# --- the caps are options ------------------------------------------------------------------


@pytest.fixture
def doctor() -> Iterator[AuthDoctor]:
    addon = AuthDoctor()
    yield addon
    addon.done()


def test_defaults(doctor: AuthDoctor) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor)
        assert (doctor.sessions.max_tokens, doctor.sessions.max_clients) == (
            DEFAULT_MAX_TOKENS,
            DEFAULT_MAX_CLIENTS,
        )
        assert (DEFAULT_MAX_TOKENS, DEFAULT_MAX_CLIENTS) == (10_000, 1_000)


def test_session_options_reach_the_store(doctor: AuthDoctor) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_session_tokens="50", authdoctor_session_clients="7")
        store = doctor.sessions
        assert (store.max_tokens, store.max_clients) == (50, 7)
        assert (store.tokens.limit, store.clients.limit) == (50, 7)
        Pusher(store).api("sha256:a", "one")
        tctx.configure(doctor, authdoctor_leeway="45")  # caps unchanged: the store is kept
        assert doctor.sessions is store and store.flows == 1
        tctx.configure(doctor, authdoctor_session_tokens="60")
        assert (doctor.sessions.max_tokens, doctor.sessions.max_clients) == (60, 7)
        assert doctor.sessions.tokens.limit == 60


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "authdoctor_session_tokens",
            "0",
            "authdoctor: authdoctor_session_tokens must be between 1 and 10000000, not 0",
        ),
        (
            "authdoctor_session_tokens",
            "x",
            "authdoctor: authdoctor_session_tokens must be a whole number, not 'x'",
        ),
        (
            "authdoctor_session_clients",
            "0",
            "authdoctor: authdoctor_session_clients must be between 1 and 10000000, not 0",
        ),
        (
            "authdoctor_session_clients",
            "x",
            "authdoctor: authdoctor_session_clients must be a whole number, not 'x'",
        ),
    ],
)
def test_bad_session_option_at_start_up_is_logged(
    doctor: AuthDoctor, caplog, option: str, value: str, message: str
) -> None:
    caplog.set_level(logging.INFO, logger="authdoctor")
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_session_tokens="50", authdoctor_session_clients="7")
        store = doctor.sessions
        caplog.clear()
        tctx.configure(doctor, **{option: value})  # not running yet: logged, no exception
        assert doctor.sessions is store
        assert (store.max_tokens, store.max_clients) == (50, 7)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [message]


def test_bad_session_option_while_running_raises(doctor: AuthDoctor) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_session_clients="7")
        store = doctor.sessions
        doctor._running = True
        with pytest.raises(exceptions.OptionsError) as caught:
            tctx.configure(doctor, authdoctor_session_clients="x")
        assert str(caught.value) == (
            "authdoctor: authdoctor_session_clients must be a whole number, not 'x'"
        )
        assert doctor.sessions is store
        assert tctx.options.authdoctor_session_clients == "7"  # rolled back
