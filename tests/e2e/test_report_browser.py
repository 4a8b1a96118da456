"""The HTML report in a real browser: headless Chromium renders it offline and shows the causes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl

AUTHDOCTOR = Path(sys.executable).with_name("authdoctor")
# No background networking: this machine has no network, and the report needs none.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "headless Chromium is needed (Debian package chromium; .ci/run installs it)"
    return path


def test_report_renders_in_chromium_with_the_causes(
    proxy: Proxy, production, tmp_path: Path
) -> None:
    curl(proxy, production.url + "/v2/devices", "-H", f"{CASE_HEADER}: browser-missing")
    expired = production.mint(claims={"exp": 1_700_000_000, "iat": 1_699_996_400})
    curl(proxy, production.url + "/v2/devices", "-H", f"Authorization: Bearer {expired}",
         "-H", f"{CASE_HEADER}: browser-expired")  # fmt: skip
    proxy.flow_for("browser-expired")
    report = tmp_path / "report.html"
    made = subprocess.run(
        [str(AUTHDOCTOR), "report", str(proxy.flows_file), "-o", str(report),
         "--profile", str(proxy.workdir / "sandbox.yaml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    browser = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*browser, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=60
    ).stdout
    for text in ("missing_authorization", "token_expired", "Fix this first", "<svg"):
        assert text in dom, text
    shot = tmp_path / "report.png"
    subprocess.run(
        [*browser, "--window-size=1200,1600", f"--screenshot={shot}", report.as_uri()],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
