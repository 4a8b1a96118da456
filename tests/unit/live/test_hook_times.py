"""The addon's own hook time accounting (AUTHDOCTOR_HOOK_TIMES), used by bench/proxy_overhead.py.

Off, the hooks must be the plain methods; on, mitmproxy must reach the wrapped hooks, every
call must be counted (also one that raises) and the totals written when mitmproxy stops.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy.test import taddons
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.live.addon import AuthDoctor
from authdoctor.live.hook_times import ENV_VAR
from authdoctor.live.hook_times import HookTimes

HOOKS = ("request", "response", "error")


def _burn_cpu(seconds: float) -> str:
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return "done"


def test_off_by_default_the_hooks_are_the_plain_methods(monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    addon = AuthDoctor()
    assert addon.hook_times is None
    assert not any(name in vars(addon) for name in HOOKS)


def test_wrapped_hook_accounts_its_cpu_and_wall_time(tmp_path: Path) -> None:
    times = HookTimes(tmp_path / "times.json")
    timed = times.wrap("request", _burn_cpu)
    assert timed(0.02) == "done"
    assert timed(0.01) == "done"
    total = times.totals["request"]
    assert total.calls == 2
    assert 0.03 <= total.cpu_s < 1.0
    assert total.wall_s >= total.cpu_s * 0.9


def test_a_hook_that_raises_is_counted_and_the_error_passes(tmp_path: Path) -> None:
    times = HookTimes(tmp_path / "times.json")

    def broken(flow: object) -> None:
        _burn_cpu(0.01)
        raise RuntimeError("boom")

    timed = times.wrap("response", broken)
    with pytest.raises(RuntimeError, match="boom"):
        timed(object())
    assert times.totals["response"].calls == 1
    assert times.totals["response"].cpu_s >= 0.01


def test_mitmproxy_reaches_the_timed_hooks_and_done_writes_the_totals(
    monkeypatch, tmp_path: Path
) -> None:
    target = tmp_path / "hook-times.json"
    monkeypatch.setenv(ENV_VAR, str(target))
    addon = AuthDoctor()
    headers = http.Headers(authorization="Bearer not-a-jwt", accept="application/json")
    with taddons.context(addon) as tctx:
        tctx.configure(addon, authdoctor_profile=["company-x"])
        answered = [
            tflow.tflow(
                req=tutils.treq(host="api.xxx.com", headers=headers.copy()),
                resp=tutils.tresp(status_code=status),
            )
            for status in (200, 401)
        ]
        failed = tflow.tflow(req=tutils.treq(host="api.xxx.com", headers=headers.copy()), err=True)
        for flow in (*answered, failed):
            tctx.master.event_loop.run_until_complete(tctx.cycle(addon, flow))
        assert not target.exists()  # written once, at shutdown
        addon.done()
    totals = json.loads(target.read_text())
    assert {name: totals[name]["calls"] for name in HOOKS} == {
        "request": 3,
        "response": 2,
        "error": 1,
    }
    assert all(totals[name]["cpu_s"] > 0 and totals[name]["wall_s"] > 0 for name in HOOKS)
    assert answered[1].metadata["authdoctor"]["severity"] == "error"  # the hooks really ran


def test_unwritable_target_is_logged_not_raised(monkeypatch, tmp_path: Path, caplog) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))  # a directory: cannot be written as a file
    caplog.set_level(logging.ERROR, logger="authdoctor")
    AuthDoctor().done()
    assert any("hook times not written" in r.getMessage() for r in caplog.records)
