"""`authdoctor dump` starts mitmdump with the addon: a request through it gets annotated."""

from __future__ import annotations

import sys
from pathlib import Path

from authdoctor.sandbox import Sandbox
from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl


class LauncherProxy(Proxy):
    """The harness's proxy, started through `authdoctor dump` instead of mitmdump -s."""

    def command(self) -> list[str]:
        return [str(Path(sys.executable).with_name("authdoctor")), "dump", "-p", "0",
                "--set", f"confdir={self.workdir / 'confdir'}", "-w", str(self.flows_file),
                *self.options]  # fmt: skip


def test_authdoctor_dump_annotates(tmp_path: Path, production: Sandbox) -> None:
    proxy = LauncherProxy(tmp_path, ["--set", "authdoctor_leeway=30"]).start()
    try:
        assert "127.0.0.1" in proxy.url
        curl(proxy, production.url + "/v2/devices", "-H", f"{CASE_HEADER}: launcher")
        flow = proxy.flow_for("launcher")
        assert flow.metadata["authdoctor"]["cause"] == "missing_authorization"
    finally:
        proxy.stop()
