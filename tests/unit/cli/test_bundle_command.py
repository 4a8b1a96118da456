"""The support bundle: a canary recording in, a zip out that holds no secret and still explains."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pytest
from mitmproxy import io

from authdoctor.cli.bundle_command import leaks
from authdoctor.cli.main import main
from authdoctor.redaction.redactor import Redactor
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response

API = "https://api.xxx.com"
TOKEN_ENDPOINT = "https://auth.xxx.com/oauth/token"


def _canary(issuer: Issuer) -> tuple[list, list[str]]:
    """Flows over HTTP/1.1 and HTTP/2 with secrets in every place a recording keeps them."""
    secrets: list[str] = []

    def secret(name: str) -> str:
        value = f"{name}-{len(secrets):02d}-c4n4ryV4lu3x9Q"
        secrets.append(value)
        return value

    expired = issuer.token(issued=-7200, expires=-3600)
    healthy = issuer.token()
    h2_token = issuer.token(scope="read")
    secrets += [expired.split(".")[2], healthy.split(".")[2], h2_token.split(".")[2]]
    basic = base64.b64encode(b"demo-client:basic-secret-c4n4ryV4lu3x9Q").decode()
    secrets.append(basic)  # Basic credentials are stored base64-encoded
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    json_type = {"Content-Type": "application/json"}
    grant = {
        "access_token": secret("opaque-access"),
        "refresh_token": secret("new-refresh"),
        "id_token": issuer.token(),
        "token_type": "Bearer",
        "expires_in": 3600,
    }
    query = f"client_secret={secret('query-secret')}&access_token={secret('query-token')}"
    refresh_form = f"grant_type=refresh_token&refresh_token={secret('refresh')}"
    client_form = (
        f"grant_type=client_credentials&client_id=demo-client&client_secret={secret('form')}"
        f"&password={secret('password')}"
    )
    json_body = {"password": secret("json-password"), "nested": {"api_key": secret("json-key")}}
    scope_challenge = 'Bearer error="insufficient_scope", scope="write devices:manage"'
    flows = [
        flow(
            f"{API}/v2/devices",
            headers=[bearer(expired), ("Cookie", f"sid={secret('cookie')}")],
            resp=response(401, headers=[("Set-Cookie", f"sid={secret('set-cookie')}; HttpOnly")]),
        ),
        flow(
            f"{API}/v2/devices?{query}",
            headers=[bearer(healthy), ("X-Api-Key", secret("sk_live_apikey"))],
            resp=response(200),
        ),
        flow(
            TOKEN_ENDPOINT,
            method="POST",
            headers=[*form.items(), ("Authorization", f"Basic {basic}")],
            content=refresh_form.encode(),
            resp=response(200, headers=list(json_type.items()), body=grant),
        ),
        flow(
            TOKEN_ENDPOINT,
            method="POST",
            headers=list(form.items()),
            content=client_form.encode(),
            resp=response(
                401,
                headers=[("WWW-Authenticate", 'Basic realm="Company X"')],
                body={"error": "invalid_client", "error_description": "Client authentication"},
            ),
        ),
        flow(
            f"{API}/v2/devices/d1/actions",
            method="POST",
            headers=[bearer(h2_token), *json_type.items()],
            content=json.dumps(json_body).encode(),
            resp=response(403, headers=[("WWW-Authenticate", scope_challenge)]),
        ),
    ]
    flows[-1].request.http_version = flows[-1].response.http_version = "HTTP/2.0"
    for _ in range(12):  # more places: header variants and cookies on healthy calls
        headers = [
            bearer(healthy),
            ("X-Auth-Token", secret("x-auth")),
            ("Cookie", f"a={secret('cookie-n')}"),
        ]
        flows.append(flow(f"{API}/v2/policies", headers=headers, resp=response(200)))
    assert len(set(secrets)) >= 25
    return flows, secrets


@pytest.fixture
def canary(tmp_path: Path, issuer: Issuer) -> tuple[Path, list[str]]:
    flows, secrets = _canary(issuer)
    path = tmp_path / "canary.mitm"
    with path.open("wb") as handle:
        writer = io.FlowWriter(handle)
        for f in flows:
            writer.add(f)
    raw = path.read_bytes()
    assert all(s.encode() in raw for s in secrets)  # the search can find them before redaction
    return path, secrets


def _causes(path: Path, capsys) -> list:
    main(["analyze", str(path), "--format", "json", "--profile", "company-x", "--fail-on", "never"])
    out = capsys.readouterr().out
    return [(json.loads(line)["method"], json.loads(line)["cause"]) for line in out.splitlines()]


def test_bundle_holds_no_secret_and_still_explains(canary, tmp_path: Path, capsys) -> None:
    recording, secrets = canary
    expected = _causes(recording, capsys)
    assert ("GET", "token_expired") in expected and ("POST", "insufficient_scope") in expected
    assert ("POST", "client_credentials_invalid") in expected
    bundle = tmp_path / "ticket.zip"
    assert main(["bundle", str(recording), "-o", str(bundle), "--profile", "company-x"]) == 0
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        assert sorted(archive.namelist()) == [
            "manifest.json", "recording.redacted.har", "recording.redacted.mitm",
            "report.html", "report.md", "summary.txt",
        ]  # fmt: skip
        archive.extractall(unpacked)
    everything = b"".join(p.read_bytes() for p in unpacked.iterdir())
    found = [s for s in secrets if s.encode() in everything]
    assert found == []
    assert b"[redacted:" in everything
    capsys.readouterr()
    assert _causes(unpacked / "recording.redacted.mitm", capsys) == expected
    assert _causes(unpacked / "recording.redacted.har", capsys) == expected
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert manifest["inputs"] == ["canary.mitm"]
    assert set(manifest["members"]) == {p.name for p in unpacked.iterdir()} - {"manifest.json"}


def test_bundle_refuses_what_redaction_missed(canary, tmp_path: Path, monkeypatch, capsys) -> None:
    recording, _ = canary
    monkeypatch.setattr(Redactor, "flow", lambda self, f: f)  # a redaction that does nothing
    bundle = tmp_path / "ticket.zip"
    assert main(["bundle", str(recording), "-o", str(bundle), "--profile", "company-x"]) == 2
    assert "refusing to bundle: recording.redacted.mitm still holds" in capsys.readouterr().err
    assert not bundle.exists() and not bundle.with_suffix(".zip.part").exists()


def test_leak_shapes(issuer: Issuer) -> None:
    token = issuer.token()
    assert leaks(token.encode(), []) != []
    assert leaks(b"Authorization: Basic ZGVtby1jbGllbnQ6c2VjcmV0", []) != []
    head, payload, _ = token.split(".")
    kept = f"{head}.{payload}.[redacted:0123456789ab]".encode()
    assert leaks(kept, [head[:40]]) == []  # claims kept on purpose are not a leak
    assert leaks(b"x s3cret-value-123 y", ["s3cret-value-123"]) == [
        "a redacted secret (16 characters)"
    ]


def test_bundle_needs_a_zip_name(canary, tmp_path: Path, capsys) -> None:
    recording, _ = canary
    assert main(["bundle", str(recording), "-o", str(tmp_path / "ticket.tar")]) == 2
    assert "must be a .zip file" in capsys.readouterr().err
