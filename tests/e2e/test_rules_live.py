"""Rule files and a running proxy: broken ones stop start-up, edits reload, broken edits don't."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from authdoctor.sandbox import Sandbox
from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import MITMDUMP
from tests.e2e.harness import REPO
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl

RULE = """\
id: policies-read
title: {title}
cause: insufficient_scope
severity: warning
confidence: low
when:
  all:
    - request.path: /v2/policies
    - token.present: true
explain: Policies were read with token {{{{ token.fingerprint }}}}.
fix:
  - Nothing to fix; this rule exists for a test.
references:
  - https://www.rfc-editor.org/rfc/rfc6750
"""


def test_broken_rule_file_stops_startup_with_file_line_and_field(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    broken = RULE.format(title="Policies read").replace("token.present", "token.presnt")
    (rules / "policies-read.yaml").write_text(broken)
    result = subprocess.run(
        [str(MITMDUMP), "--listen-host", "127.0.0.1", "-p", "0",
         "-s", str(REPO / "addons" / "authdoctor.py"), "--set", f"confdir={tmp_path / 'conf'}",
         "--set", f"authdoctor_rules={rules}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        f"{rules / 'policies-read.yaml'}:9: 'policies-read': when.all[1]: "
        "unknown fact 'token.presnt'; did you mean 'token.present'?"
    ) in result.stdout + result.stderr


def _reload_seen(proxy: Proxy, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in proxy.log():
        assert time.monotonic() < deadline, f"never logged {text!r}:\n{proxy.log()[-2000:]}"
        time.sleep(0.1)


def test_edited_rules_reload_and_a_broken_edit_keeps_the_old_rules(
    tmp_path: Path, production: Sandbox
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    rule_file = rules / "policies-read.yaml"
    rule_file.write_text(RULE.format(title="Policies read, version one"))
    proxy = Proxy(tmp_path, ["--set", f"authdoctor_rules={rules}"]).start()
    try:
        token = production.mint()

        def title_for(case: str) -> str:
            curl(proxy, production.url + "/v2/policies", "-H", f"Authorization: Bearer {token}",
                 "-H", f"{CASE_HEADER}: {case}")  # fmt: skip
            return proxy.flow_for(case).metadata["authdoctor"]["findings"][0]["title"]

        assert title_for("v1") == "Policies read, version one"
        time.sleep(1.1)  # a new modification time, whatever the file system's resolution
        rule_file.write_text(RULE.format(title="Policies read, version two"))
        _reload_seen(proxy, "rules reloaded after an edit")
        assert title_for("v2") == "Policies read, version two"
        time.sleep(1.1)
        rule_file.write_text(
            RULE.format(title="Policies read").replace("severity: warning", "severity: urgent")
        )
        _reload_seen(proxy, "rules not reloaded, the previous rules stay active")
        assert "severity: 'urgent' is not one of" in proxy.log()
        assert title_for("v3") == "Policies read, version two"
    finally:
        proxy.stop()
