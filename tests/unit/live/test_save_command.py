"""authdoctor.save: the current session saved redacted, from the console or mitmweb."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mitmproxy import io
from mitmproxy.addons import view
from mitmproxy.test import taddons

from authdoctor.live.addon import AuthDoctor
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response


@pytest.mark.parametrize("name", ["session.mitm", "session.har"])
def test_save_writes_the_session_redacted(name: str, issuer: Issuer, tmp_path: Path) -> None:
    addon, flows_view = AuthDoctor(), view.View()
    token = issuer.token(issued=-7200, expires=-3600)
    with taddons.context(addon, flows_view) as tctx:
        tctx.configure(addon, authdoctor_profile=["company-x"])
        f = flow("https://api.xxx.com/v2/devices", headers=[bearer(token)], resp=response(401))
        addon.request(f)
        addon.response(f)
        flows_view.add([f])
        target = tmp_path / name
        tctx.master.commands.execute(f"authdoctor.save @all {target}")
    data = target.read_bytes()
    assert token.split(".")[2].encode() not in data
    assert b"[redacted:" in data
    assert b"token-expired" in data  # the diagnosis travels with the recording
    if name.endswith(".har"):
        entry = json.loads(data)["log"]["entries"][0]
        assert entry["_authdoctor"]["cause"] == "token_expired"
    else:
        (saved,) = list(io.FlowReader(target.open("rb")).stream())
        assert saved.metadata["authdoctor"]["cause"] == "token_expired"
    assert f.request.headers["Authorization"] == f"Bearer {token}"  # the live flow is untouched
