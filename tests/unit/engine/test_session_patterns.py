"""Session patterns: causes that only show across flows, each next to a control sequence.

Every sequence is replayed the way the addon does it: for each flow in the order its answer
arrives, `Analyzer(..., store).analyze(flow)` and then `record(store, ...)`. Flow times are
offsets (seconds) from the tflow send time SENT; each answer's Date header says the same moment
as this machine's clock unless a test skews it, so no clock finding gets in the way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field

import pytest
from mitmproxy import http

from authdoctor.engine.analysis import Analysis
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.session_record import record
from authdoctor.engine.session_summary import session_summary
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.settings import Settings
from tests.unit.authflows import SENT
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import company_x_error
from tests.unit.authflows import flow
from tests.unit.authflows import response

CLIENT = "demo-client"
TOKEN_URL = "https://auth.xxx.com/oauth/token"
DEVICES = "https://api.xxx.com/v2/devices"
ACTIONS = "https://api.xxx.com/v2/devices/d1/actions"
FORM = ("Content-Type", "application/x-www-form-urlencoded")
OPAQUE = "opaque-" + "0123456789abcdef" * 2 + "01234567"  # "opaque-" and 40 hex characters

REUSED = ("token-reused-after-401", "token_reused_after_401")
RETRY = ("retry-loop", "retry_loop")
SUPERSEDED = ("superseded-token", "superseded_token")
REACTIVE = ("reactive-refresh", "reactive_refresh")
STORM = ("refresh-storm", "refresh_storm")
REPLAYED = ("rotated-refresh-token-replayed", "refresh_token_invalid")
REFRESH_REJECTED = ("refresh-token-rejected", "refresh_token_invalid")
NARROWED = ("scope-narrowed", "scope_narrowed")
SESSION_CLOCK = ("session-clock-offset", "clock_skew")
SERVER_CLOCK = ("server-clock-offset", "clock_skew")
REVOKED = ("token-revoked", "token_revoked")
EXPIRED = ("token-expired", "token_expired")
SCOPE = ("insufficient-scope", "insufficient_scope")
SERVER_SCOPE = ("server-reports-insufficient-scope", "insufficient_scope")
UNEXPLAINED = ("unexplained-auth-failure", "unknown")
OPAQUE_WHERE_JWT = ("opaque-token-where-jwt-expected", "malformed_token")


# --- building sequences -----------------------------------------------------------------


def at(f: http.HTTPFlow, t: float, took: float = 1.0) -> http.HTTPFlow:
    """Send the flow t seconds after SENT and answer it `took` seconds later."""
    f.request.timestamp_start = f.request.timestamp_end = SENT + t
    if f.response is not None:
        f.response.timestamp_start = f.response.timestamp_end = SENT + t + took
    return f


def api(
    t: float,
    token: str,
    *,
    resp: http.Response | None = None,
    url: str = DEVICES,
    method: str = "GET",
) -> http.HTTPFlow:
    """An API call with `token`, answered 200 unless `resp` says otherwise."""
    answer = resp if resp is not None else response(200, body={"devices": []}, date_offset=int(t))
    return at(flow(url, method=method, headers=[bearer(token)], resp=answer), t)


def rejected(t: int, status: int = 401) -> http.Response:
    """Company X's 401 invalid_token answer, dated at the request time."""
    return company_x_error(status, date_offset=t)


def token_call(
    t: float,
    *,
    access: str | None = None,
    refresh: str | None = None,
    granted: str = "read write",
    sent_refresh: str | None = None,
    scope: str | None = None,
    error: str | None = None,
    took: float = 1.0,
    url: str = TOKEN_URL,
) -> http.HTTPFlow:
    """client_credentials (or refresh_token when `sent_refresh` is given) for demo-client,
    answered 200 with `access` (and `refresh`), or 400 with `error`."""
    form = {"grant_type": "refresh_token" if sent_refresh else "client_credentials"}
    if sent_refresh:
        form["refresh_token"] = sent_refresh
    if scope is not None:
        form["scope"] = scope
    form |= {"client_id": CLIENT, "client_secret": "x"}
    content = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    if error is not None:
        description = "The refresh token is invalid, expired or revoked"
        body = {"error": error, "error_description": description}
        answer = response(400, body=body, date_offset=int(t))
    else:
        assert access is not None
        body = {"access_token": access, "token_type": "Bearer", "expires_in": 3600}
        if refresh is not None:
            body["refresh_token"] = refresh
        body["scope"] = granted
        answer = response(200, body=body, date_offset=int(t))
    return at(flow(url, method="POST", headers=[FORM], content=content, resp=answer), t, took)


@dataclass
class Session:
    """One proxy session: analyse then record each flow, as the addon's response hook does."""

    ruleset: Ruleset
    settings: Settings
    store: SessionStore = field(default_factory=SessionStore)

    def send(self, *flows: http.HTTPFlow) -> list[Analysis]:
        results = []
        for f in flows:
            result = Analyzer(self.ruleset, self.settings, self.store).analyze(f)
            record(self.store, f, result.extracted, result.diagnosis)
            results.append(result)
        return results


def found(result: Analysis) -> set[tuple[str, str]]:
    return {(f.rule, f.cause) for f in result.diagnosis.findings}


def finding(result: Analysis, rule: str):
    return next(f for f in result.diagnosis.findings if f.rule == rule)


@pytest.fixture
def session(ruleset: Ruleset, settings: Settings) -> Session:
    return Session(ruleset, settings)


def _jwt(issuer: Issuer, issued: int, expires: int, **claims) -> str:
    return issuer.token(client_id=CLIENT, issued=issued, expires=expires, **claims)


# --- 1. token reused after a 401 ---------------------------------------------------------


def test_token_sent_again_after_401_is_flagged(issuer: Issuer, session: Session) -> None:
    token = _jwt(issuer, -600, 3000)
    first, again = session.send(api(0, token, resp=rejected(0)), api(5, token, resp=rejected(5)))
    assert found(first) == {REVOKED}
    assert found(again) == {REVOKED, REUSED}
    assert again.facts["session.rejected_before"] is True
    assert str(again.facts["session.rejected_ago"]) == "4 s"  # its 401 arrived at t=1
    assert finding(again, "token-reused-after-401").severity == "warning"
    assert "(sha256:" in finding(again, "token-reused-after-401").explain


def test_new_token_after_401_is_not_flagged(issuer: Issuer, session: Session) -> None:
    token, fresh = _jwt(issuer, -600, 3000), _jwt(issuer, 0, 3600)
    first, retry = session.send(api(0, token, resp=rejected(0)), api(5, fresh))
    assert found(first) == {REVOKED}
    assert found(retry) == set()
    assert "session.rejected_before" not in retry.facts


def test_parallel_requests_rejected_together_are_no_reuse(issuer: Issuer, session: Session) -> None:
    # Two requests with the same token leave at 0 and 0.5; their 401s arrive at 1 and 1.5.
    token = _jwt(issuer, -600, 3000)
    _, parallel = session.send(api(0, token, resp=rejected(0)), api(0.5, token, resp=rejected(0)))
    assert REUSED not in found(parallel)  # the client had not seen any 401 when it sent this


# --- 2. retry loop -----------------------------------------------------------------------


def test_third_identical_failure_is_a_retry_loop(issuer: Issuer, session: Session) -> None:
    token = _jwt(issuer, -600, 3000)
    results = session.send(*(api(t, token, resp=rejected(t)) for t in (0, 1, 2)))
    assert [r.facts["session.identical_failures"] for r in results[1:]] == [1, 2]
    assert RETRY not in found(results[1])  # one retry is allowed
    assert found(results[2]) == {REVOKED, REUSED, RETRY}
    assert "already failed 2 times" in finding(results[2], "retry-loop").explain


def test_third_try_with_a_new_token_is_no_retry_loop(issuer: Issuer, session: Session) -> None:
    token, fresh = _jwt(issuer, -600, 3000), _jwt(issuer, 0, 3600)
    *_, third = session.send(
        api(0, token, resp=rejected(0)), api(1, token, resp=rejected(1)), api(2, fresh)
    )
    assert third.facts["session.identical_failures"] == 0
    assert found(third) == set()


def test_parallel_identical_failures_are_no_retry_loop(issuer: Issuer, session: Session) -> None:
    # Three identical requests leave at 0, 0.1 and 0.2 and are all answered 401 a second later.
    token = _jwt(issuer, -600, 3000)
    *_, third = session.send(*(api(t, token, resp=rejected(0)) for t in (0, 0.1, 0.2)))
    assert RETRY not in found(third)  # no failure had come back when it was sent


# --- 3. superseded token -----------------------------------------------------------------


def test_older_token_after_a_newer_one_was_issued(issuer: Issuer, session: Session) -> None:
    a, b = _jwt(issuer, 0, 3600), _jwt(issuer, 100, 3700)
    results = session.send(
        token_call(0, access=a), token_call(100, access=b), api(200, a), api(201, b)
    )
    assert [found(r) for r in results] == [set(), set(), {SUPERSEDED}, set()]
    assert results[2].facts["session.superseded"] is True
    assert "session.superseded" not in results[3].facts  # b is the newest: nothing to compare


def test_call_sent_before_the_refresh_is_not_superseded(issuer: Issuer, session: Session) -> None:
    # A slow call with a leaves at 2999 and is answered at 3005; the proactive refresh leaves
    # at 3000 and is answered at 3001, so the addon settles the refresh first.
    a, b = _jwt(issuer, 0, 3600), _jwt(issuer, 3000, 6600)
    slow = at(api(2999, a), 2999, took=6)
    refresh = token_call(3000, access=b, refresh="R2", sent_refresh="R1")
    *_, settled = session.send(token_call(0, access=a, refresh="R1"), refresh, slow)
    assert found(settled) == set()  # a was the newest token when the call left


# --- 4. reactive refresh -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "refresh_at", "expected"),
    [
        # the API rejects the expired token, then the client refreshes: too late
        pytest.param((3700, 401), 3701, {REACTIVE}, id="after-expiry"),
        # the client refreshes 10 minutes ahead of expiry
        pytest.param((2990, 200), 3000, set(), id="ahead-of-expiry"),
        # a revoked (not expired) token: refreshing after the 401 is the right thing to do
        pytest.param((100, 401), 101, set(), id="after-revocation"),
    ],
)
def test_reactive_refresh(
    issuer: Issuer,
    session: Session,
    before: tuple[int, int],
    refresh_at: int,
    expected: set[tuple[str, str]],
) -> None:
    a, b = _jwt(issuer, 0, 3600), _jwt(issuer, refresh_at, refresh_at + 3600)
    t, status = before
    answer = rejected(t) if status == 401 else None
    *_, refresh = session.send(
        token_call(0, access=a, refresh="R1"),
        api(10, a),
        api(t, a, resp=answer),
        token_call(refresh_at, access=b, refresh="R2", sent_refresh="R1"),
    )
    assert refresh.facts["oauth.grant_type"] == "refresh_token"
    assert refresh.facts["session.reactive_refresh"] is bool(expected)
    assert found(refresh) == expected


def test_reactive_refresh_follows_expired_rejection(issuer: Issuer, session: Session) -> None:
    a, b = _jwt(issuer, 0, 3600), _jwt(issuer, 3701, 7301)
    _, rejection, _ = session.send(
        token_call(0, access=a, refresh="R1"),
        api(3700, a, resp=rejected(3700)),
        token_call(3701, access=b, refresh="R2", sent_refresh="R1"),
    )
    assert found(rejection) == {EXPIRED}
    seen = session.store.tokens[rejection.facts["token.fingerprint"]]
    assert (seen.rejected_at, seen.rejected_expired) == (SENT + 3701, True)  # answer time


def test_idle_client_refreshing_before_its_next_call_is_not_reactive(
    issuer: Issuer, session: Session
) -> None:
    """Token expired while nobody used it; the client refreshes before sending it again."""
    a, b = _jwt(issuer, 0, 3600), _jwt(issuer, 7200, 10800)
    _, _, refresh = session.send(
        token_call(0, access=a, refresh="R1"),
        api(10, a),
        token_call(7200, access=b, refresh="R2", sent_refresh="R1"),
    )
    assert refresh.facts["session.reactive_refresh"] is False
    assert found(refresh) == set()


# --- 5. refresh storm and concurrent refresh --------------------------------------------


def test_tenth_token_request_within_a_minute_is_a_storm(session: Session) -> None:
    results = session.send(*(token_call(5 * i, access=f"{OPAQUE}-{i}") for i in range(10)))
    counts = [r.facts["session.token_requests_last_minute"] for r in results]
    assert counts == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert [found(r) for r in results] == [set()] * 9 + [{STORM}]
    assert "made 10 token requests" in finding(results[9], "refresh-storm").explain


def test_tenth_token_request_after_the_minute_is_no_storm(session: Session) -> None:
    times = [5 * i for i in range(9)] + [61]  # the first request is now 61 s old
    results = session.send(*(token_call(t, access=f"{OPAQUE}-{t}") for t in times))
    assert results[9].facts["session.token_requests_last_minute"] == 9
    assert [found(r) for r in results] == [set()] * 10


@pytest.mark.parametrize(
    ("second_at", "concurrent"),
    [
        pytest.param(1, True, id="sent-while-the-first-waits"),  # first: sent 0, answered 2
        pytest.param(3, False, id="sent-after-the-first-answer"),
    ],
)
def test_concurrent_refresh(session: Session, second_at: int, concurrent: bool) -> None:
    first, second = session.send(
        token_call(0, access=f"{OPAQUE}-1", refresh="R2", sent_refresh="R1", took=2),
        token_call(second_at, access=f"{OPAQUE}-2", refresh="R4", sent_refresh="R3", took=2),
    )
    assert found(first) == set()
    assert second.facts["session.concurrent_refresh"] is concurrent
    assert second.facts["session.token_requests_last_minute"] == 2
    assert found(second) == ({STORM} if concurrent else set())


def test_concurrent_refresh_answered_out_of_order(session: Session) -> None:
    # Refresh 1 is sent at 0 and answered at 2; refresh 2 is sent at 1 and answered at 1.5.
    # The addon settles flows in the order their answers arrive: refresh 2, then refresh 1.
    first = token_call(0, access=f"{OPAQUE}-1", refresh="R2", sent_refresh="R1", took=2)
    second = token_call(1, access=f"{OPAQUE}-2", refresh="R4", sent_refresh="R3", took=0.5)
    settled_second, settled_first = session.send(second, first)
    # Refresh 2 left while refresh 1 was still waiting for its answer: one of them must say so.
    assert STORM in found(settled_first) | found(settled_second)


# --- 6. rotated refresh token replayed --------------------------------------------------


def test_rotated_refresh_token_presented_again(issuer: Issuer, session: Session) -> None:
    a, b, c = (_jwt(issuer, t, t + 3600) for t in (0, 100, 300))
    results = session.send(
        token_call(0, access=a, refresh="R1"),
        token_call(100, access=b, refresh="R2", sent_refresh="R1"),
        token_call(200, error="invalid_grant", sent_refresh="R1"),
        token_call(300, access=c, refresh="R3", sent_refresh="R2"),
    )
    assert [found(r) for r in results] == [set(), set(), {REPLAYED}, set()]
    replay = results[2]
    assert REFRESH_REJECTED not in found(replay)  # suppressed by the more specific rule
    assert (replay.diagnosis.cause, replay.diagnosis.severity) == ("refresh_token_invalid", "error")
    assert str(replay.facts["session.refresh_replayed_ago"]) == "1 min 40 s"
    assert "session.refresh_replayed" not in results[3].facts


def test_unrotated_refresh_token_rejected_is_no_replay(issuer: Issuer, session: Session) -> None:
    a = _jwt(issuer, 0, 3600)
    _, rejection = session.send(
        token_call(0, access=a, refresh="R1"),
        token_call(200, error="invalid_grant", sent_refresh="R1"),  # R1 never exchanged before
    )
    assert found(rejection) == {REFRESH_REJECTED}
    assert "session.refresh_replayed" not in rejection.facts


# --- 7. scope narrowed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "expected"),
    [("read admin", {NARROWED}), ("read", set())],
)
def test_scope_narrowed(session: Session, asked: str, expected: set) -> None:
    (result,) = session.send(token_call(0, access=OPAQUE, granted="read", scope=asked))
    assert result.facts["oauth.scope_requested"] == asked.split()
    assert result.facts["oauth.scope_granted"] == ["read"]
    assert found(result) == expected


# --- 8. clock over the session -----------------------------------------------------------


def _dated(t: int, token: str, ahead: int) -> http.HTTPFlow:
    """An accepted API call whose answer's Date is `ahead` seconds past this machine's time."""
    return api(t, token, resp=response(200, body={"devices": []}, date_offset=t + ahead))


def test_clock_offset_below_leeway_over_the_session(issuer: Issuer, session: Session) -> None:
    token = _jwt(issuer, -600, 3000)
    results = session.send(*(_dated(t, token, 20) for t in range(5)))
    assert [r.facts["response.clock_offset_s"] for r in results] == [20] * 5
    assert [found(r) for r in results] == [set()] * 5
    assert results[4].facts["session.clock_skewed"] is False
    assert session.store.clock_offset() == (20, 0, 5)


@pytest.mark.parametrize(
    ("last_ahead", "expected"),
    [
        pytest.param(25, {SESSION_CLOCK}, id="this-answer-within-leeway"),
        pytest.param(45, {SERVER_CLOCK}, id="this-answer-shows-it-alone"),
    ],
)
def test_clock_offset_over_leeway_over_the_session(
    issuer: Issuer, session: Session, last_ahead: int, expected: set
) -> None:
    token = _jwt(issuer, -600, 3000)
    flows = [_dated(t, token, 45) for t in range(4)] + [_dated(4, token, last_ahead)]
    results = session.send(*flows)
    assert [found(r) for r in results[:4]] == [{SERVER_CLOCK}] * 4
    last = results[4]
    assert last.facts["response.clock_offset_s"] == last_ahead
    assert last.facts["session.clock_offset_median_s"] == 45  # median of the four before it
    assert last.facts["session.clock_samples"] == 4
    assert last.facts["session.clock_skewed"] is True
    assert found(last) == expected
    assert last.diagnosis.cause is None  # accepted answers: warnings only
    if last_ahead == 25:
        assert session.store.clock_offset() == (45, 10, 5)
        assert finding(last, "session-clock-offset").explain.startswith(
            "the server's clock runs 45 s ahead of this machine's (median of 4 answers, "
            "spread 0 s)."
        )


# --- 9. tokens whose issuance was seen ---------------------------------------------------

PLAIN_TOKEN_URL = "https://auth.example.com/oauth/token"
PLAIN_DEVICES = "https://api.example.com/v2/devices"
PLAIN_ACTIONS = "https://api.example.com/v2/devices/d1/actions"
SCOPE_CHALLENGE = ("WWW-Authenticate", 'Bearer error="insufficient_scope", scope="write"')
INVALID_CHALLENGE = ("WWW-Authenticate", 'Bearer error="invalid_token"')


def _opaque_sequence(issued: bool) -> list[http.HTTPFlow]:
    """No profile: the opaque token is issued at 0 (expires_in 3600, scope read), refused a
    write at 10 and rejected at 4000. issued=False leaves out the token-endpoint call."""
    flows = [
        api(
            10,
            OPAQUE,
            url=PLAIN_ACTIONS,
            method="POST",
            resp=response(403, headers=[SCOPE_CHALLENGE], date_offset=10),
        ),
        api(
            4000,
            OPAQUE,
            url=PLAIN_DEVICES,
            resp=response(401, headers=[INVALID_CHALLENGE], date_offset=4000),
        ),
    ]
    if issued:
        flows.insert(0, token_call(0, access=OPAQUE, granted="read", url=PLAIN_TOKEN_URL))
    return flows


def test_opaque_token_judged_by_what_the_token_endpoint_said(ruleset: Ruleset) -> None:
    session = Session(ruleset, Settings())  # no profile: an opaque token is fine here
    grant, forbidden, expired = session.send(*_opaque_sequence(issued=True))
    assert grant.facts["request.kind"] == "token_endpoint"
    assert found(grant) == set()
    assert forbidden.facts["token.scopes"] == ["read"]
    assert forbidden.facts["scope.required_any"] == ["write"]
    assert forbidden.facts["scope.satisfied"] is False
    assert found(forbidden) == {SCOPE}
    assert forbidden.diagnosis.cause == "insufficient_scope"
    assert expired.facts["token.expired"] is True
    assert expired.facts["token.expires_in_s"] == -400
    assert found(expired) == {EXPIRED}
    assert expired.diagnosis.cause == "token_expired"


def test_opaque_token_without_its_issuance(ruleset: Ruleset) -> None:
    session = Session(ruleset, Settings())
    forbidden, expired = session.send(*_opaque_sequence(issued=False))
    assert "token.scopes" not in forbidden.facts
    assert found(forbidden) == {SERVER_SCOPE}  # only the server's word, not the token's scopes
    assert "token.expired" not in expired.facts
    assert found(expired) == {UNEXPLAINED}


def test_opaque_token_issued_under_company_x(session: Session) -> None:
    """company-x expects JWTs, so the opaque-token rule fires too; the remembered scope and
    expiry still give the cause."""
    results = session.send(
        token_call(0, access=OPAQUE, granted="read"),
        api(10, OPAQUE, url=ACTIONS, method="POST", resp=response(403, date_offset=10)),
        api(4000, OPAQUE, resp=rejected(4000)),
    )
    _, forbidden, expired = results
    assert forbidden.facts["scope.required_any"] == ["write", "devices:manage"]
    assert found(forbidden) == {SCOPE, OPAQUE_WHERE_JWT}
    assert found(expired) == {EXPIRED, OPAQUE_WHERE_JWT}


# --- 10. a well-behaved client -----------------------------------------------------------


def test_well_behaved_client_gets_no_warning(issuer: Issuer, session: Session) -> None:
    a = _jwt(issuer, 0, 3600)
    b = _jwt(issuer, 3000, 6600)
    c = _jwt(issuer, 3021, 6621)
    flows = [
        token_call(0, access=a, refresh="R1"),
        api(10, a),
        api(1800, a),
        token_call(3000, access=b, refresh="R2", sent_refresh="R1"),  # 10 min before expiry
        api(3010, b),
        api(3020, b, resp=rejected(3020)),  # b is revoked
        token_call(3021, access=c, refresh="R3"),  # b dropped, a new token fetched
        api(3022, c),
        api(3600, c),
    ]
    results = session.send(*flows)
    revoked = results.pop(5)
    assert [(f.rule, f.cause, f.severity) for f in revoked.diagnosis.findings] == [
        ("token-revoked", "token_revoked", "error")
    ]
    assert revoked.diagnosis.cause == "token_revoked"
    assert [r.diagnosis.findings for r in results] == [()] * 8
    assert session.store.causes == Counter({"token_revoked": 1})
    assert session.store.flows == 9
    assert len(session.store.clients) == 1


# --- 11. the summary ---------------------------------------------------------------------


def test_session_summary_text(issuer: Issuer, session: Session) -> None:
    a, b = _jwt(issuer, 0, 3600), _jwt(issuer, 3701, 7301)
    session.send(
        token_call(0, access=a, refresh="R1"),
        _dated(10, a, 2),
        api(3700, a, resp=company_x_error(401, date_offset=3702)),
        token_call(3701, access=b, refresh="R2", sent_refresh="R1"),
        _dated(3702, b, 2),
    )
    text = session_summary(session.store, SENT + 3800)
    assert text == (
        "authdoctor session summary\n"
        "  flows analysed: 5; failures with a cause: 1\n"
        "  by cause: token_expired 1\n"
        "  token requests: 2 in all, 0.1 per minute over the last 10 min\n"
        "  tokens in use: 2 distinct access tokens seen, 1 clients\n"
        "  clock offset: server 2 s ahead (median of 5 answers, spread 2 s)"
    )
    assert session.store.clock_offset() == (2, 2, 5)


def test_session_summary_of_an_empty_session() -> None:
    assert session_summary(SessionStore(), SENT) == (
        "authdoctor session summary\n"
        "  flows analysed: 0; failures with a cause: 0\n"
        "  token requests: 0 in all, 0.0 per minute over the last 10 min\n"
        "  tokens in use: 0 distinct access tokens seen, 0 clients\n"
        "  clock offset: no Date headers seen"
    )
