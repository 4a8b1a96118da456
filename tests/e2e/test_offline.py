"""Offline analysis of what the end-to-end run recorded gives the causes the live proxy gave."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl

AUTHDOCTOR = Path(sys.executable).with_name("authdoctor")


def test_offline_analysis_of_the_recording_matches_the_live_causes(
    proxy: Proxy, production
) -> None:
    # make sure the recording holds at least one failure and one healthy flow of its own
    curl(proxy, production.url + "/v2/devices", "-H", f"{CASE_HEADER}: offline-missing")
    healthy = production.mint()
    curl(proxy, production.url + "/v2/devices", "-H", f"Authorization: Bearer {healthy}",
         "-H", f"{CASE_HEADER}: offline-healthy")  # fmt: skip
    proxy.flow_for("offline-healthy")
    live = proxy.flows()
    profile = proxy.workdir / "sandbox.yaml"
    copy = proxy.workdir / "recording.mitm"
    copy.write_bytes(proxy.flows_file.read_bytes())
    result = subprocess.run(
        [str(AUTHDOCTOR), "analyze", str(copy), "--format", "json", "--profile", str(profile)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # the recording holds errors
    offline = [json.loads(line) for line in result.stdout.splitlines()]
    judged_live = [f for f in live if "authdoctor" in f.metadata]
    assert len(offline) == len(judged_live) >= 30
    for flow, record in zip(judged_live, offline, strict=True):
        case = flow.request.headers.get(CASE_HEADER, flow.request.path)
        assert record["method"] == flow.request.method
        assert record["status"] == flow.response.status_code
        assert record["cause"] == flow.metadata["authdoctor"]["cause"], case
        live_rules = [f["rule"] for f in flow.metadata["authdoctor"]["findings"]]
        assert [f["rule"] for f in record["findings"]] == live_rules, case
