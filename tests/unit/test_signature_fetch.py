"""Signature verdicts with fetched keys, through the whole pipeline: a flow is never held up,
a token whose keys are not there yet is decoded, not verified (with a note saying why), and a
later flow gets the verdict. Keys are served by real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mitmproxy import http
from mitmproxy import io

from authdoctor.cli.main import main
from authdoctor.engine.analysis import Analysis
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import annotate
from authdoctor.engine.facts import request_side
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.settings import Settings
from authdoctor.keys.fetch import FetchLimits
from authdoctor.keys.fetch import KeyFetcher
from authdoctor.profiles.profile import load_profiles
from tests.keyserver import Answer
from tests.keyserver import KeyServer
from tests.keyserver import json_answer
from tests.keyserver import jwks_answer
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response

DEVICES = "https://api.xxx.com/v2/devices"
KID = "cx-2026-01"  # the kid the test issuer puts in its tokens
RETIRED = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def server() -> Iterator[KeyServer]:
    with KeyServer() as running:
        yield running


def _settings(
    tmp_path: Path, fields: str, *, option: bool = True, limits: FetchLimits | None = None
) -> Settings:
    path = tmp_path / "fetched.yaml"
    path.write_text(f"id: cx-fetched\ntitle: Company X REST API\nextends: company-x\n{fields}")
    fetcher = KeyFetcher(limits or FetchLimits(timeout_s=1))
    return Settings(profiles=load_profiles([str(path)]), fetch_keys=option, key_fetcher=fetcher)


def _rejected(token: str) -> http.HTTPFlow:
    """A bare 401: nothing in it singles out a cause, so unexplained-auth-failure speaks."""
    return flow(DEVICES, headers=[bearer(token)], resp=response(401))


def _run(f: http.HTTPFlow, ruleset: Ruleset, settings: Settings) -> Analysis:
    result = Analyzer(ruleset, settings).analyze(f)
    annotate(f, result.diagnosis, result.token_summary())
    return result


def test_decoded_not_verified_until_the_keys_arrive(
    tmp_path: Path, server: KeyServer, issuer: Issuer, ruleset: Ruleset
) -> None:
    server.answers["/jwks"] = jwks_answer((issuer.key.public_key(), KID))
    settings = _settings(tmp_path, f"jwks_uri: {server.url}/jwks\n")
    first = _rejected(issuer.token())
    result = _run(first, ruleset, settings)
    note = f" The signature was not checked: keys from {server.url}/jwks are being fetched."
    assert "token.signature" not in result.facts
    assert result.facts["token.signature_note"] == note
    assert result.diagnosis.primary is not None
    assert result.diagnosis.primary.rule == "unexplained-auth-failure"
    assert note in result.diagnosis.primary.explain and note in first.comment
    assert first.metadata["authdoctor"]["token"]["signature_note"] == note.strip()
    assert "signature" not in first.metadata["authdoctor"]["token"]

    assert settings.key_fetcher.wait(5)
    later = _rejected(issuer.token())
    result = _run(later, ruleset, settings)
    assert result.facts["token.signature"] == "valid"
    assert result.facts["token.signature_note"] == ""
    assert later.metadata["authdoctor"]["token"]["signature"] == "valid"
    assert "signature_note" not in later.metadata["authdoctor"]["token"]
    assert "signature_invalid" not in result.facts["analysis.open_causes"]


def test_the_request_hook_never_waits_for_a_slow_key_server(
    tmp_path: Path, server: KeyServer, issuer: Issuer
) -> None:
    server.answers["/jwks"] = Answer(delay_s=10, body=b"{}")
    settings = _settings(tmp_path, f"jwks_uri: {server.url}/jwks\n")
    f = flow(DEVICES, headers=[bearer(issuer.token())])
    started = time.monotonic()
    side = request_side(f, settings)
    assert time.monotonic() - started < 0.5  # the key server sleeps 10 s, the timeout is 1 s
    assert "are being fetched" in side.facts["token.signature_note"]
    assert settings.key_fetcher.wait(5)
    side = request_side(f, settings)
    assert side.facts["token.signature_note"] == (
        f" The signature was not checked: keys from {server.url}/jwks are not available "
        "(timed out after 1 s)."
    )
    assert "token.signature" not in side.facts


def test_the_response_hook_uses_keys_that_arrived_since_the_request(
    tmp_path: Path, server: KeyServer, issuer: Issuer, ruleset: Ruleset
) -> None:
    server.answers["/jwks"] = jwks_answer((issuer.key.public_key(), KID))
    settings = _settings(tmp_path, f"jwks_uri: {server.url}/jwks\n")
    f = flow(DEVICES, headers=[bearer(issuer.token())])
    side = request_side(f, settings)  # the request hook: keys not there yet
    assert "token.signature" not in side.facts
    assert settings.key_fetcher.wait(5)
    f.response = response(200)
    assert Analyzer(ruleset, settings).analyze(f, side).facts["token.signature"] == "valid"


def test_rotation_refetch_finds_the_new_key(
    tmp_path: Path, server: KeyServer, issuer: Issuer, ruleset: Ruleset
) -> None:
    server.answers["/jwks"] = jwks_answer((RETIRED.public_key(), "cx-2025-06"))
    settings = _settings(tmp_path, f"jwks_uri: {server.url}/jwks\n")
    token = issuer.token()
    request_side(flow(DEVICES, headers=[bearer(token)]), settings)
    assert settings.key_fetcher.wait(5)
    server.answers["/jwks"] = jwks_answer(
        (RETIRED.public_key(), "cx-2025-06"), (issuer.key.public_key(), KID)
    )
    side = request_side(flow(DEVICES, headers=[bearer(token)]), settings)
    assert side.facts["token.signature_note"] == (
        f' The signature was not checked: key "{KID}" is not among the keys from '
        f"{server.url}/jwks, fetched again now."
    )
    assert settings.key_fetcher.wait(5)
    assert _run(_rejected(token), ruleset, settings).facts["token.signature"] == "valid"
    assert server.hits["/jwks"] == 2

    # Another unknown kid within the minute: the set was just fetched, so no_key stands.
    unknown = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        issuer.key,
        algorithm="RS256",
        headers={"kid": "cx-2099-01"},
    )
    result = _run(_rejected(unknown), ruleset, settings)
    assert result.facts["token.signature"] == "no_key"
    assert result.diagnosis.primary.rule == "signing-key-unknown"  # type: ignore[union-attr]
    assert server.hits["/jwks"] == 2


def test_fetching_off_says_how_to_turn_it_on(
    tmp_path: Path, server: KeyServer, issuer: Issuer
) -> None:
    server.answers["/jwks"] = jwks_answer((issuer.key.public_key(), KID))
    settings = _settings(tmp_path, f"jwks_uri: {server.url}/jwks\n", option=False)
    side = request_side(flow(DEVICES, headers=[bearer(issuer.token())]), settings)
    assert side.facts["token.signature_note"] == (
        f" The signature was not checked: keys from {server.url}/jwks are not fetched (key "
        "fetching is off: set authdoctor_fetch_keys=true, or fetch_keys: true in the profile)."
    )
    assert server.hits["/jwks"] == 0


def test_the_profile_may_turn_fetching_on(
    tmp_path: Path, server: KeyServer, issuer: Issuer
) -> None:
    server.answers["/jwks"] = jwks_answer((issuer.key.public_key(), KID))
    fields = f"jwks_uri: {server.url}/jwks\nfetch_keys: true\n"
    settings = _settings(tmp_path, fields, option=False)
    f = flow(DEVICES, headers=[bearer(issuer.token())])
    request_side(f, settings)
    assert settings.key_fetcher.wait(5)
    assert request_side(f, settings).facts["token.signature"] == "valid"


def test_alg_none_needs_no_keys(
    tmp_path: Path, server: KeyServer, issuer: Issuer, ruleset: Ruleset
) -> None:
    settings = _settings(tmp_path, f"jwks_uri: {server.url}/jwks\n")
    claims = jwt.decode(issuer.token(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    result = _run(_rejected(unsigned), ruleset, settings)
    assert result.facts["token.signature"] == "alg_none"
    assert "alg-none-token" in {f.rule for f in result.diagnosis.findings}
    assert "insecure_token_alg" in {f.cause for f in result.diagnosis.findings}
    assert server.hits["/jwks"] == 0


def test_discovery_asks_only_the_issuers_the_profile_lists(tmp_path: Path, issuer: Issuer) -> None:
    with KeyServer() as listed, KeyServer() as claimed:
        for server in (listed, claimed):
            server.answers["/.well-known/openid-configuration"] = json_answer(
                {"issuer": server.url + "/", "jwks_uri": server.url + "/keys"}
            )
            server.answers["/keys"] = jwks_answer((issuer.key.public_key(), KID))
        fields = (
            "discovery: true\nenvironments:\n  production:\n    hosts: [api.xxx.com]\n"
            f"    issuers: [{listed.url}/]\n"
        )
        settings = _settings(tmp_path, fields)
        # The token claims another issuer: its discovery document is never fetched.
        f = flow(DEVICES, headers=[bearer(issuer.token(iss=claimed.url + "/"))])
        request_side(f, settings)
        assert settings.key_fetcher.wait(5)
        assert request_side(f, settings).facts["token.signature"] == "valid"
        assert listed.hits["/.well-known/openid-configuration"] == 1
        assert listed.hits["/keys"] == 1
        assert sum(claimed.hits.values()) == 0


def test_shared_secret_from_the_environment(
    tmp_path: Path, issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX_TEST_SECRET", "a-test-secret-of-thirty-two-bytes-or-more")
    settings = _settings(tmp_path, "hmac_secret_env: CX_TEST_SECRET\n", option=False)
    claims = jwt.decode(issuer.token(), options={"verify_signature": False})
    good = jwt.encode(claims, b"a-test-secret-of-thirty-two-bytes-or-more", algorithm="HS256")
    bad = jwt.encode(claims, b"another-secret-of-thirty-two-bytes-or-more", algorithm="HS256")
    for token, verdict in ((good, "valid"), (bad, "invalid"), (issuer.token(), "alg_not_allowed")):
        side = request_side(flow(DEVICES, headers=[bearer(token)]), settings)
        assert side.facts["token.signature"] == verdict


def test_offline_analysis_waits_for_the_keys(
    tmp_path: Path, server: KeyServer, issuer: Issuer, capsys
) -> None:
    server.answers["/jwks"] = jwks_answer((issuer.key.public_key(), KID))
    profile = tmp_path / "fetched.yaml"
    profile.write_text(
        f"id: cx-fetched\ntitle: Company X REST API\nextends: company-x\n"
        f"jwks_uri: {server.url}/jwks\n"
    )
    recording = tmp_path / "rejected.mitm"
    with recording.open("wb") as handle:
        io.FlowWriter(handle).add(_rejected(issuer.token()))
    explains = {}
    for fetch in ([], ["--fetch-keys"]):
        main(["analyze", str(recording), "--format", "json", "--profile", str(profile), *fetch])
        (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        explains[bool(fetch)] = record["findings"][0]["explain"]
    assert "signature_invalid" in explains[False] and "key fetching is off" in explains[False]
    assert "signature_invalid" not in explains[True] and "not checked" not in explains[True]
    assert server.hits["/jwks"] == 1
