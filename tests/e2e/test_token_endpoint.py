"""Token-endpoint failures end to end: revoked client credentials, a replayed refresh token."""

from __future__ import annotations

import json
import urllib.request

from authdoctor.sandbox import Sandbox
from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl


def token_request(proxy: Proxy, sandbox: Sandbox, case: str, *fields: str) -> str:
    args = ["-X", "POST", "-H", f"{CASE_HEADER}: {case}"]
    for field in fields:
        args += ["-d", field]
    return curl(proxy, sandbox.url + "/oauth/token", *args).stdout


def test_revoked_client_credentials(proxy: Proxy, production: Sandbox) -> None:
    production.register_client("retired-app", "retired-secret", "read write")
    production.set_client_status("retired-app", "revoked")
    status = token_request(proxy, production, "client-revoked-token",
                           "grant_type=client_credentials", "client_id=retired-app",
                           "client_secret=retired-secret")  # fmt: skip
    assert status == "401"
    flow = proxy.flow_for("client-revoked-token")
    meta = flow.metadata["authdoctor"]
    assert meta["cause"] == "client_credentials_invalid"
    assert "did not accept client retired-app (authenticated by form)" in flow.comment
    assert "Settings > API > Applications" in flow.comment
    assert "retired-secret" not in flow.comment + json.dumps(meta)


def test_rotated_refresh_token_replayed(proxy: Proxy, production: Sandbox) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy.url}))
    form = b"grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret"
    with opener.open(production.url + "/oauth/token", data=form, timeout=10) as answer:
        refresh = json.load(answer)["refresh_token"]
    fields = ("grant_type=refresh_token", f"refresh_token={refresh}", "client_id=demo-client",
              "client_secret=demo-secret")  # fmt: skip
    assert token_request(proxy, production, "refresh-once", *fields) == "200"
    assert token_request(proxy, production, "refresh-again", *fields) == "400"
    healthy = proxy.flow_for("refresh-once").metadata["authdoctor"]
    assert healthy["cause"] is None and healthy["findings"] == []
    flow = proxy.flow_for("refresh-again")
    meta = flow.metadata["authdoctor"]
    assert meta["cause"] == "refresh_token_invalid"
    assert meta["findings"][0]["rule"] == "rotated-refresh-token-replayed"
    assert "exchanged this refresh token" in flow.comment
    assert all(f["rule"] != "refresh-storm" for f in meta["findings"])  # one after the other
    assert refresh not in flow.comment
