"""The mitmproxy addon, its content view and the rejected-request watcher.

The addon must never change the traffic, must contain its own failures, and must report a
bad option at start-up (logged) differently from a bad option while running (OptionsError).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mitmproxy import exceptions
from mitmproxy import http
from mitmproxy.contentviews import Metadata
from mitmproxy.test import taddons
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.live.addon import AuthDoctor
from authdoctor.live.content_view import TokenContentview
from authdoctor.live.rejected_requests import SOURCE_LOGGER
from authdoctor.live.rejected_requests import RejectedRequestWatcher

ROOT = Path(__file__).resolve().parents[3]
SENT = tutils.treq().timestamp_start  # 946681200 = 1999-12-31 23:00:00 UTC
CHALLENGE = (
    'Bearer realm="Company X API", error="invalid_token", error_description="Token has expired"'
)
BODY = (
    b'{"error": "unauthorized", "error_description": "The access token is invalid or has '
    b'expired", "error_code": "E-AUTH-001", "request_id": "req_1"}'
)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _token(key: rsa.RSAPrivateKey, exp_offset: int = -8000, iat_offset: int = -11600) -> str:
    claims = {
        "iss": "https://auth.xxx.com/",
        "sub": "svc-inventory",
        "aud": "https://api.xxx.com",
        "client_id": "cli_1",
        "scope": "read write",
        "iat": SENT + iat_offset,
        "exp": SENT + exp_offset,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def _flow(token: str | None, status: int = 401, host: str = "api.xxx.com") -> http.HTTPFlow:
    headers = http.Headers(accept="application/json")
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = tutils.treq(
        host=host, port=443, scheme=b"https", path=b"/v2/devices", headers=headers, content=b""
    )
    response = tutils.tresp(
        status_code=status,
        headers=http.Headers(
            www_authenticate=CHALLENGE, content_type="application/json", x_request_id="req_1"
        ),
        content=BODY,
    )
    return tflow.tflow(req=request, resp=response)


@pytest.fixture
def doctor() -> Iterator[AuthDoctor]:
    addon = AuthDoctor()
    yield addon
    addon.done()  # removes its handler from mitmproxy's connection logger


def _run_hooks(addon: AuthDoctor, flow: http.HTTPFlow) -> None:
    addon.request(flow)
    addon.response(flow)


def _rules(flow: http.HTTPFlow) -> list[str]:
    return [f["rule"] for f in flow.metadata["authdoctor"]["findings"]]


def _untouched(flow: http.HTTPFlow) -> bool:
    return "authdoctor" not in flow.metadata and flow.comment == "" and flow.marked == ""


# --- hooks -----------------------------------------------------------------------------


def test_failing_flow_is_annotated_and_traffic_unchanged(doctor: AuthDoctor, rsa_key) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"])
        flow = _flow(_token(rsa_key))
        request_before = copy.deepcopy(flow.request.get_state())
        response_before = copy.deepcopy(flow.response.get_state())
        _run_hooks(doctor, flow)
        assert flow.request.get_state() == request_before
        assert flow.response.get_state() == response_before
    metadata = flow.metadata["authdoctor"]
    assert metadata["cause"] == "token_expired"
    assert metadata["severity"] == "error"
    assert metadata["provisional"] is False
    assert "token-expired" in _rules(flow)
    assert flow.marked == ":no_entry:"
    assert flow.comment.startswith("authdoctor: ")
    assert "2 h 13 min" in flow.comment  # exp 8000 s before the request
    token = flow.request.headers["Authorization"].split()[1]
    assert token not in flow.comment
    assert token.split(".")[2] not in str(metadata)


def test_internal_error_is_contained_and_logged_once(
    doctor: AuthDoctor, rsa_key, monkeypatch, caplog
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("analysis exploded")

    monkeypatch.setattr("authdoctor.engine.analysis.Analyzer.analyze", broken)
    caplog.set_level(logging.INFO, logger="authdoctor")
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"])
        caplog.clear()
        flows = [_flow(_token(rsa_key)), _flow(_token(rsa_key))]
        for flow in flows:
            request_before = copy.deepcopy(flow.request.get_state())
            response_before = copy.deepcopy(flow.response.get_state())
            _run_hooks(doctor, flow)  # must not raise
            assert flow.request.get_state() == request_before
            assert flow.response.get_state() == response_before
            assert _untouched(flow)
    errors = [r for r in caplog.records if r.name == "authdoctor" and r.levelno >= logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "RuntimeError at " in message and "test_addon.py" in message and "in broken" in message
    assert "analysis exploded" not in message  # messages may quote traffic: never logged
    assert "api.xxx.com" in message
    assert flows[0].request.headers["Authorization"].split()[1] not in message


def test_hosts_option_limits_analysis(doctor: AuthDoctor, rsa_key) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"], authdoctor_hosts=["other.example"])
        flow = _flow(_token(rsa_key))
        _run_hooks(doctor, flow)
        assert _untouched(flow)
        other = _flow(_token(rsa_key), host="OTHER.example")
        _run_hooks(doctor, other)
        assert other.metadata["authdoctor"]["cause"] == "token_expired"


def test_disable_option_removes_the_finding(doctor: AuthDoctor, rsa_key) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"])
        enabled = _flow(_token(rsa_key))
        _run_hooks(doctor, enabled)
        assert "token-expired" in _rules(enabled)
        tctx.configure(doctor, authdoctor_disable=["token-expired"])
        assert doctor.ruleset.get("token-expired") is None
        disabled = _flow(_token(rsa_key))
        _run_hooks(doctor, disabled)
        assert "token-expired" not in _rules(disabled)


def test_healthy_flow_gets_no_error(doctor: AuthDoctor, rsa_key) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"])
        flow = _flow(_token(rsa_key, exp_offset=3000, iat_offset=-600), status=200)
        flow.response.headers.pop("www-authenticate")
        _run_hooks(doctor, flow)
        assert flow.metadata["authdoctor"]["cause"] is None
        assert flow.marked != ":no_entry:"


# --- options ---------------------------------------------------------------------------


def test_bad_leeway_at_start_up_is_logged_and_previous_settings_stay(
    doctor: AuthDoctor, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="authdoctor")
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"], authdoctor_leeway="60")
        settings, ruleset = doctor.settings, doctor.ruleset
        assert settings.leeway_s == 60
        caplog.clear()
        tctx.configure(doctor, authdoctor_leeway="abc")  # not running yet: no exception
        assert doctor.settings is settings
        assert doctor.ruleset is ruleset
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["authdoctor: authdoctor_leeway must be a whole number of seconds, not 'abc'"]


def test_bad_leeway_while_running_raises_options_error(doctor: AuthDoctor) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_leeway="45")
        doctor._running = True
        with pytest.raises(exceptions.OptionsError, match="authdoctor_leeway") as caught:
            tctx.configure(doctor, authdoctor_leeway="abc")
        assert str(caught.value) == (
            "authdoctor: authdoctor_leeway must be a whole number of seconds, not 'abc'"
        )
        assert doctor.settings.leeway_s == 45
        assert tctx.options.authdoctor_leeway == "45"  # rolled back


@pytest.mark.parametrize("value", ["-1", "3601"])
def test_out_of_range_leeway_while_running(doctor: AuthDoctor, value: str) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor)
        doctor._running = True
        with pytest.raises(exceptions.OptionsError) as caught:
            tctx.configure(doctor, authdoctor_leeway=value)
        assert str(caught.value) == (
            f"authdoctor: authdoctor_leeway must be between 0 and 3600 seconds, not {int(value)}"
        )


EXTRA_RULE = """\
id: extra-check
title: {title}
cause: {cause}
severity: warning
confidence: low
when:
  response.auth_failed: true
explain: An extra rule for the tests.
fix:
  - Nothing to do.
references:
  - https://example.com/extra
"""


def _extra_rule(path: Path, title: str = "Old title", cause: str = "unknown", mtime=None):
    path.write_text(EXTRA_RULE.format(title=title, cause=cause), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def test_broken_extra_rule_file(doctor: AuthDoctor, tmp_path: Path, caplog) -> None:
    rule = tmp_path / "extra-check.yaml"
    _extra_rule(rule, cause="not_a_cause")
    caplog.set_level(logging.INFO, logger="authdoctor")
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"])
        ruleset = doctor.ruleset
        caplog.clear()
        tctx.configure(doctor, authdoctor_rules=[str(rule)])  # start-up: logged
        assert doctor.ruleset is ruleset
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert errors[0].startswith(f"authdoctor: {rule}:3: 'extra-check': cause: unknown cause")
        doctor._running = True
        with pytest.raises(exceptions.OptionsError) as caught:
            tctx.configure(doctor, authdoctor_rules=[str(rule)])
        assert str(caught.value) == errors[0]
        assert doctor.ruleset is ruleset


def test_reload_picks_up_edits_and_keeps_rules_after_a_broken_edit(
    doctor: AuthDoctor, tmp_path: Path, caplog
) -> None:
    rule = tmp_path / "extra-check.yaml"
    _extra_rule(rule, "Old title")
    caplog.set_level(logging.INFO, logger="authdoctor")
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_rules=[str(rule)])
        assert doctor.ruleset.get("extra-check").title == "Old title"
        assert doctor.reload_if_changed() is False  # nothing edited

        mtime = rule.stat().st_mtime
        _extra_rule(rule, "New title", mtime=mtime + 10)
        assert doctor.reload_if_changed() is True
        assert doctor.ruleset.get("extra-check").title == "New title"

        good = doctor.ruleset
        caplog.clear()
        _extra_rule(rule, "Broken", cause="not_a_cause", mtime=mtime + 20)
        assert doctor.reload_if_changed() is False
        assert doctor.ruleset is good
        assert doctor.ruleset.get("extra-check").title == "New title"
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert errors[0].startswith(
            "authdoctor: rules not reloaded, the previous rules stay active: "
        )
        assert "'extra-check': cause: unknown cause 'not_a_cause'" in errors[0]
        assert doctor.reload_if_changed() is False  # the broken edit is not retried

        _extra_rule(rule, "Fixed title", mtime=mtime + 30)
        assert doctor.reload_if_changed() is True
        assert doctor.ruleset.get("extra-check").title == "Fixed title"


def test_entry_script_loads_the_addon(monkeypatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script reorders sys.path
    with taddons.context() as tctx:
        module = tctx.script(str(ROOT / "addons" / "authdoctor.py"))
        try:
            assert module is not None
            assert len(module.addons) == 1
            assert isinstance(module.addons[0], AuthDoctor)
            assert len(module.addons[0].ruleset.rules) > 0  # configured with the shipped rules
        finally:
            if module is not None:
                module.addons[0].done()


# --- content view ----------------------------------------------------------------------

FINDINGS = {
    "cause": "token_expired",
    "findings": [
        {"severity": "error", "title": "The token had expired", "cause": "token_expired"},
        {"severity": "warning", "title": "Something else", "cause": "token_expiring_soon"},
    ],
}


def _view_flow(token: str | None, body: bytes = b"") -> http.HTTPFlow:
    flow = _flow(token)
    flow.request.content = body
    return flow


def test_content_view_shows_claims_and_findings_but_never_the_token(rsa_key) -> None:
    token = _token(rsa_key, exp_offset=-8000, iat_offset=-11600)
    flow = _view_flow(token)
    flow.metadata["authdoctor"] = FINDINGS
    text = TokenContentview().prettify(b"", Metadata(http_message=flow.request, flow=flow))
    fingerprint = text.splitlines()[0].rsplit(" ", 1)[1]
    assert text.splitlines() == [
        f"token: jwt, {len(token)} characters, {fingerprint}",
        "header:",
        '  alg: "RS256"',
        '  kid: "k1"',
        '  typ: "JWT"',
        "claims:",
        '  iss: "https://auth.xxx.com/"',
        '  sub: "svc-inventory"',
        '  aud: "https://api.xxx.com"',
        '  client_id: "cli_1"',
        '  scope: "read write"',
        "  iat: 946669600  # 1999-12-31 19:46:40 UTC, 3 h 13 min before the request",
        "  exp: 946673200  # 1999-12-31 20:46:40 UTC, 2 h 13 min before the request",
        "signature: (not shown, not verified)",
        "diagnosis:",
        "  - error: The token had expired [token_expired]",
        "  - warning: Something else [token_expiring_soon]",
    ]
    assert fingerprint.startswith("sha256:")
    assert token not in text
    assert token.split(".")[2] not in text


def test_content_view_future_times_read_in(rsa_key) -> None:
    flow = _view_flow(_token(rsa_key, exp_offset=3600, iat_offset=-600))
    text = TokenContentview().prettify(b"", Metadata(http_message=flow.request, flow=flow))
    (exp_line,) = [line for line in text.splitlines() if line.startswith("  exp: ")]
    assert exp_line == "  exp: 946684800  # 2000-01-01 00:00:00 UTC, 1 h after the request"
    (iat_line,) = [line for line in text.splitlines() if line.startswith("  iat: ")]
    assert iat_line == "  iat: 946680600  # 1999-12-31 22:50:00 UTC, 10 min before the request"
    assert "diagnosis:" not in text


def test_content_view_shows_malformed_reason_without_the_token(rsa_key) -> None:
    token = _token(rsa_key)
    cut = token[: len(token) - 202]
    flow = _view_flow(cut)
    text = TokenContentview().prettify(b"", Metadata(http_message=flow.request, flow=flow))
    lines = text.splitlines()
    assert lines[0].startswith(f"token: malformed, {len(cut)} characters, sha256:")
    assert lines[1].startswith("malformed: ")
    assert lines[1].endswith("the token was cut off")
    assert cut.split(".")[2] not in text
    assert "claims:" not in text


def test_content_view_rejects_requests_without_token_and_responses(rsa_key) -> None:
    view = TokenContentview()
    bare = _view_flow(None)
    with pytest.raises(ValueError, match="no token in this request"):
        view.prettify(b"", Metadata(http_message=bare.request, flow=bare))
    flow = _view_flow(_token(rsa_key))
    with pytest.raises(ValueError, match="authdoctor shows request tokens"):
        view.prettify(b"", Metadata(http_message=flow.response, flow=flow))


def test_content_view_render_priority(rsa_key) -> None:
    view = TokenContentview()
    with_token = _view_flow(_token(rsa_key))
    without_token = _view_flow(None)
    with_body = _view_flow(_token(rsa_key), body=b'{"a": 1}')

    def priority(flow: http.HTTPFlow, message: http.Message) -> float:
        return view.render_priority(message.content, Metadata(http_message=message, flow=flow))

    assert priority(with_token, with_token.request) == 2
    assert priority(without_token, without_token.request) == -1
    assert priority(with_body, with_body.request) == -1
    assert priority(with_token, with_token.response) == -1


# --- rejected requests -----------------------------------------------------------------


def test_rejected_request_is_explained_without_repeating_the_line(monkeypatch, caplog) -> None:
    source = logging.getLogger(SOURCE_LOGGER)
    monkeypatch.setattr(source, "handlers", [])  # no watcher left behind by other tests
    caplog.set_level(logging.DEBUG, logger=SOURCE_LOGGER)
    caplog.set_level(logging.DEBUG, logger="authdoctor")
    watcher = RejectedRequestWatcher()
    watcher.install()
    watcher.install()  # idempotent
    try:
        source.info("127.0.0.1:5: client connect", extra={"client": ("127.0.0.1", 5)})
        source.info(
            "127.0.0.1:5: Invalid header line: b'secretpart'", extra={"client": ("127.0.0.1", 5)}
        )
    finally:
        watcher.uninstall()
    ours = [r for r in caplog.records if r.name == "authdoctor"]
    assert len(ours) == 1
    assert ours[0].levelno == logging.WARNING
    message = ours[0].getMessage()
    assert "127.0.0.1:5" in message
    assert "secretpart" not in message
    assert "malformed_token" in message
    assert watcher.count == 1
    assert watcher not in source.handlers


# --- the provisional annotation of slow responses ---------------------------------------


def _sent_and_waiting(doctor: AuthDoctor, rsa_key) -> tuple[http.HTTPFlow, http.Response]:
    """A failing request through the request hook, with its response held back."""
    doctor.provisional_after_s = 0.05
    flow = _flow(_token(rsa_key))
    response, flow.response = flow.response, None
    doctor.request(flow)
    return flow, response


async def test_a_slow_response_is_judged_on_the_request_first(doctor: AuthDoctor, rsa_key) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"])
        flow, response = _sent_and_waiting(doctor, rsa_key)
        assert "authdoctor" not in flow.metadata  # nothing judged twice for fast answers
        await asyncio.sleep(0.3)
        assert flow.marked == ":hourglass:"
        assert flow.metadata["authdoctor"]["provisional"] is True
        assert flow.metadata["authdoctor"]["cause"] == "token_expired"
        flow.response = response
        doctor.response(flow)
    assert flow.metadata["authdoctor"]["provisional"] is False
    assert flow.marked == ":no_entry:"


async def test_a_fast_response_cancels_the_provisional_step(doctor: AuthDoctor, rsa_key) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"])
        flow, response = _sent_and_waiting(doctor, rsa_key)
        flow.response = response
        doctor.response(flow)
        await asyncio.sleep(0.3)  # the timer would have fired by now
    assert flow.metadata["authdoctor"]["provisional"] is False
    assert flow.marked == ":no_entry:"
    assert not doctor._pending


# --- the event-log line of diagnosed flows ------------------------------------------------


def test_repeats_of_one_finding_are_counted_not_logged(
    doctor: AuthDoctor, rsa_key, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="authdoctor")
    token = _token(rsa_key)
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_profile=["company-x"])
        for offset in (0, 1, 2, 3, 61):  # four within a minute, then one after it
            flow = _flow(token)
            flow.request.timestamp_start = SENT + offset
            _run_hooks(doctor, flow)
            assert flow.metadata["authdoctor"]["cause"] == "token_expired"  # each annotated
        other = _flow(token)
        other.request.path = "/v2/policies"  # another request line: its own line
        _run_hooks(doctor, other)
    lines = [r.getMessage() for r in caplog.records if "[token-expired]" in r.getMessage()]
    assert len(lines) == 3
    assert "more like it" not in lines[0]
    assert lines[1].endswith("[3 more like it since the last line]")
    assert "/v2/policies" in lines[2] and "more like it" not in lines[2]
