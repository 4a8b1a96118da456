"""Signature checks end to end: a profile naming the sandbox's published keys (its JWKS)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import yaml

from authdoctor.sandbox import Sandbox
from authdoctor.sandbox.profile import sandbox_profile
from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl


def test_foreign_key_and_unknown_kid(tmp_path: Path, production: Sandbox, staging: Sandbox) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(production.url + "/.well-known/jwks.json", timeout=10) as answer:
        (tmp_path / "jwks.json").write_bytes(answer.read())
    profile = sandbox_profile(production.port, staging.port)
    profile["environments"]["production"]["keys"] = "jwks.json"  # type: ignore[index]
    (tmp_path / "keyed.yaml").write_text(yaml.safe_dump(profile))
    proxy = Proxy(tmp_path, ["--set", f"authdoctor_profile={tmp_path / 'keyed.yaml'}"]).start()
    try:
        cases = {
            # another key under the published kid: the signature cannot verify
            "signed-elsewhere": production.mint(key="foreign", headers={"kid": production.key.kid}),
            "rotated-kid": production.mint(headers={"kid": "retired-2025"}),
            "good": production.mint(),
        }
        for case, token in cases.items():
            curl(proxy, production.url + "/v2/devices", "-H", f"Authorization: Bearer {token}",
                 "-H", f"{CASE_HEADER}: {case}")  # fmt: skip
        causes = {c: proxy.flow_for(c).metadata["authdoctor"]["findings"] for c in cases}
        assert causes["signed-elsewhere"][0]["rule"] == "signature-invalid"
        assert causes["rotated-kid"][0]["rule"] == "signing-key-unknown"
        assert causes["good"] == []
    finally:
        proxy.stop()
