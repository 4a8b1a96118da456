"""The offline commands on recordings of hostile flows: each one finishes with its documented
exit code, prints only text a UTF-8 terminal takes and writes files that can be read back."""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import example
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy import io as mitm_io
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.cli.main import main
from tests.hostile.strategies import b64url
from tests.hostile.strategies import flows
from tests.hostile.strategies import json_bytes
from tests.hostile.strategies import scaled


def _surrogate_flow() -> http.HTTPFlow:
    """Bytes that are not UTF-8 in the path and the answer, lone surrogates in the claims."""
    header = b64url(json_bytes({"alg": "RS256", "kid": "\ud800"}))
    claims = b64url(json_bytes({"iss": "https://auth.xxx.com/\ud800", "sub": "\udcff", "exp": 1}))
    request = tutils.treq(
        host="api.xxx.com",
        port=443,
        path=b"/v2/\xff?q=\xfe",
        headers=http.Headers(
            [(b"Authorization", f"Bearer {header}.{claims}.{'A' * 342}".encode())]
        ),
    )
    challenge = b'Bearer error="invalid_token", error_description="\xff\xfe"'
    response = tutils.tresp(
        status_code=401, headers=http.Headers([(b"WWW-Authenticate", challenge)])
    )
    return tflow.tflow(req=request, resp=response)


def _run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    printed = out.getvalue() + err.getvalue()
    printed.encode("utf-8")  # what a UTF-8 terminal would refuse raises here
    return code, printed


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("commands")


@scaled(0.05)
@given(recording=st.lists(flows(), min_size=1, max_size=3))
@example(recording=[_surrogate_flow()])
def test_every_offline_command_on_any_recording(folder: Path, recording: list) -> None:
    """Regression: a lone surrogate in a claim or a path byte that is not UTF-8 made
    `analyze --format json`, `report` and `bundle` die with UnicodeEncodeError. `bundle`
    runs what `redact` and `report` run (both writers, both renderers), so it stands for them.
    """
    source = folder / "hostile.mitm"
    with source.open("wb") as handle:
        writer = mitm_io.FlowWriter(handle)
        for flow in recording:
            writer.add(flow)
    for fmt in ("json", "markdown"):
        code, _ = _run("analyze", str(source), "--format", fmt, "--profile", "company-x")
        assert code in (0, 1)
    bundle = folder / "bundle.zip"
    bundle.unlink(missing_ok=True)
    code, printed = _run("bundle", str(source), "-o", str(bundle))
    assert code == 0 or (code == 2 and "secret" in printed), printed
    if code == 0:
        with zipfile.ZipFile(bundle) as archive:
            assert archive.testzip() is None
            redacted = folder / "redacted.har"
            redacted.write_bytes(archive.read("recording.redacted.har"))
            archive.read("report.md").decode("utf-8")
        assert _run("analyze", str(redacted))[0] in (0, 1)
