"""The session's measured clock offset as evidence in the expiry explanations."""

from __future__ import annotations

from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.session_record import record
from authdoctor.engine.sessions import SessionStore
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response

DEVICES = "https://api.xxx.com/v2/devices"


def _expired_call(issuer: Issuer, date_offset: int) -> object:
    token = issuer.token(issued=-7200, expires=-3600)
    return flow(DEVICES, headers=[bearer(token)], resp=response(401, date_offset=date_offset))


def test_a_skewed_session_clock_is_named_in_the_expiry_explanation(
    issuer, ruleset, settings
) -> None:
    store = SessionStore()
    for _ in range(3):  # the server's Date runs about 2 min ahead on every answer
        healthy = flow(
            DEVICES, headers=[bearer(issuer.token())], resp=response(200, date_offset=121)
        )
        result = Analyzer(ruleset, settings, store).analyze(healthy)
        record(store, healthy, result.extracted, result.diagnosis)
    explain = Analyzer(ruleset, settings, store).analyze(_expired_call(issuer, 121)).diagnosis
    primary = explain.primary
    assert primary is not None and primary.rule == "token-expired"
    assert (
        "Over this session the server's clock ran 2 min ahead of this machine's" in primary.explain
    )
    assert "(median of 3 answers)" in primary.explain


def test_no_clock_sentence_without_skew(issuer, ruleset, settings) -> None:
    store = SessionStore()
    primary = Analyzer(ruleset, settings, store).analyze(_expired_call(issuer, 0)).diagnosis.primary
    assert primary is not None and primary.rule == "token-expired"
    assert "Over this session" not in primary.explain
    assert "<session.clock_note>" not in primary.explain
