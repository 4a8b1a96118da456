"""The authdoctor.summary command, as mitmproxy's command line and mitmweb call it."""

from __future__ import annotations

from mitmproxy.test import taddons

from authdoctor.live.addon import AuthDoctor
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response


def test_summary_command_reports_the_session(issuer: Issuer) -> None:
    addon = AuthDoctor()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, authdoctor_profile=["company-x"])
        expired = issuer.token(issued=-7200, expires=-3600)
        for status in (401, 200):
            f = flow(
                "https://api.xxx.com/v2/devices",
                headers=[bearer(expired)],
                resp=response(status, date_offset=40),
            )
            addon.request(f)
            addon.response(f)
        text = tctx.master.commands.execute("authdoctor.summary")
    assert text.splitlines()[0] == "authdoctor session summary"
    assert "  flows analysed: 2; failures with a cause: 1" in text
    assert "  by cause: token_expired 1" in text
    assert "tokens in use: 1 distinct access tokens seen, 1 clients" in text
    # Date is request start + 40 s; the offset is measured from the middle of tflow's request
    # end (start + 1 s) and response start (start + 2 s), so 40 + 0.5 - 1.5 = 39.
    assert "clock offset: server 39 s ahead (median of 2 answers, spread 0 s)" in text


def test_summary_of_an_empty_session() -> None:
    addon = AuthDoctor()
    with taddons.context(addon) as tctx:
        text = tctx.master.commands.execute("authdoctor.summary")
    assert "flows analysed: 0; failures with a cause: 0" in text
    assert "clock offset: no Date headers seen" in text
    assert "by cause" not in text
