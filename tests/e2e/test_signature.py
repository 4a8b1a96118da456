"""Signature checks end to end: a profile naming the sandbox's published keys (its JWKS), as a
file or fetched from a key server."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import yaml

from authdoctor.sandbox import Sandbox
from authdoctor.sandbox.profile import sandbox_profile
from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl
from tests.keyserver import Answer
from tests.keyserver import KeyServer


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


def _timed(proxy: Proxy, url: str, token: str, case: str) -> tuple[str, float]:
    started = time.monotonic()
    done = curl(proxy, url, "-H", f"Authorization: Bearer {token}", "-H", f"{CASE_HEADER}: {case}")
    return done.stdout, time.monotonic() - started


def _token_meta(proxy: Proxy, case: str) -> dict:
    return proxy.flow_for(case).metadata["authdoctor"]["token"]


def test_fetching_never_holds_up_a_flow(
    tmp_path: Path, production: Sandbox, staging: Sandbox, proxy: Proxy
) -> None:
    """A key server that hangs for 10 s: flows pass in their normal time, undecided; once the
    key server answers, a later flow gets its verdict."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(production.url + "/.well-known/jwks.json", timeout=10) as answer:
        published = answer.read()
    url = production.url + "/v2/devices"
    token = production.mint()
    with KeyServer() as keys:
        keys.answers["/jwks"] = Answer(delay_s=10, body=published)
        profile = sandbox_profile(production.port, staging.port)
        profile["environments"]["production"]["jwks_uri"] = keys.url + "/jwks"  # type: ignore[index]
        (tmp_path / "fetched.yaml").write_text(yaml.safe_dump(profile))
        fetching = Proxy(tmp_path, [
            "--set", f"authdoctor_profile={tmp_path / 'fetched.yaml'}",
            "--set", "authdoctor_fetch_keys=true",
            "--set", "authdoctor_fetch_keys_timeout=2",
            "--set", "authdoctor_fetch_keys_retry=1",
        ]).start()  # fmt: skip
        try:
            for warm in (proxy, fetching):  # no token: nothing to verify, nothing fetched
                curl(warm, url, "-H", f"{CASE_HEADER}: warm-up")
            status, plain = _timed(proxy, url, token, "fetching-off")
            assert status == "200"
            status, hanging = _timed(fetching, url, token, "key-server-hangs")
            assert status == "200"
            assert hanging < plain + 1.0, (hanging, plain)  # a blocking fetch would add 2 s
            meta = _token_meta(fetching, "key-server-hangs")
            assert "signature" not in meta
            assert meta["signature_note"] == (
                f"The signature was not checked: keys from {keys.url}/jwks are being fetched."
            )

            time.sleep(2.5)  # the fetch times out after 2 s
            _timed(fetching, url, token, "timed-out")
            assert "timed out after 2 s" in _token_meta(fetching, "timed-out")["signature_note"]

            keys.answers["/jwks"] = Answer(body=published)  # the key server works again
            verdict = None
            for attempt in range(30):
                case = f"later-{attempt}"
                _timed(fetching, url, token, case)
                verdict = _token_meta(fetching, case).get("signature")
                if verdict:
                    break
                time.sleep(0.5)
            assert verdict == "valid"
            foreign = production.mint(key="foreign", headers={"kid": production.key.kid})
            status, _ = _timed(fetching, url, foreign, "foreign-key")
            assert status == "401"
            findings = fetching.flow_for("foreign-key").metadata["authdoctor"]["findings"]
            assert findings[0]["rule"] == "signature-invalid"
            assert fetching.log().count("could not be fetched (timed out after 2 s)") == 1
        finally:
            fetching.stop()
