"""`authdoctor analyze`: flow files and HAR in, table / JSON lines / Markdown out, exit status."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from mitmproxy import io
from mitmproxy.addons.savehar import SaveHar
from mitmproxy.test import taddons

from authdoctor.cli.main import main
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response

DEVICES = "https://api.xxx.com/v2/devices"


def _flows(issuer: Issuer) -> list:
    expired = issuer.token(issued=-7200, expires=-3600)
    soon = issuer.token(issued=-3480, expires=120)
    return [
        flow(DEVICES, headers=[bearer(issuer.token())], resp=response(200)),
        flow(DEVICES, headers=[bearer(expired)], resp=response(401)),
        flow(DEVICES, headers=[bearer(soon)], resp=response(200)),
        flow("https://example.com/public", resp=response(200)),  # nothing to judge
    ]


@pytest.fixture
def recording(tmp_path: Path, issuer: Issuer) -> Path:
    path = tmp_path / "session.mitm"
    with path.open("wb") as handle:
        writer = io.FlowWriter(handle)
        for f in _flows(issuer):
            writer.add(f)
    return path


@pytest.fixture
def har(tmp_path: Path, issuer: Issuer) -> Path:
    with taddons.context(SaveHar()):
        document = SaveHar().make_har(_flows(issuer))
    path = tmp_path / "session.har"
    path.write_text(json.dumps(document))
    return path


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["analyze", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("which", ["recording", "har"])
def test_json_lines_follow_the_contract(which: str, request, capsys) -> None:
    path = request.getfixturevalue(which)
    code, out, _ = _run(capsys, str(path), "--format", "json", "--profile", "company-x")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # an error-level finding exists
    assert [(r["method"], r["status"], r["cause"], r["severity"]) for r in records] == [
        ("GET", 200, None, None),
        ("GET", 401, "token_expired", "error"),
        ("GET", 200, None, "warning"),
    ]
    assert records[1]["url"] == DEVICES
    assert records[1]["findings"][0]["rule"] == "token-expired"
    assert set(records[1]["findings"][0]) >= {
        "rule",
        "cause",
        "severity",
        "title",
        "explain",
        "fix",
    }


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 1), ("warning", 1), ("never", 0)])
def test_fail_on(fail_on: str, expected: int, recording: Path, capsys) -> None:
    assert _run(capsys, str(recording), "--fail-on", fail_on)[0] == expected


def test_only_warnings_fail_only_with_fail_on_warning(
    tmp_path: Path, issuer: Issuer, capsys
) -> None:
    path = tmp_path / "warnings.mitm"
    with path.open("wb") as handle:
        io.FlowWriter(handle).add(_flows(issuer)[2])
    assert _run(capsys, str(path))[0] == 0
    assert _run(capsys, str(path), "--fail-on", "warning")[0] == 1


def test_table_and_summary(recording: Path, capsys) -> None:
    code, out, _ = _run(capsys, str(recording), "--profile", "company-x")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("time (UTC)")
    assert "error: token_expired [token-expired]" in lines[2]
    assert "warning: token_expiring_soon [token-expiring-soon]" in lines[3]
    assert lines[-1] == "3 flows analysed: 1 with an error, 1 with warnings only"


def test_markdown_lists_the_finding_with_its_fix(recording: Path, capsys) -> None:
    _, out, _ = _run(capsys, str(recording), "--format", "markdown", "--profile", "company-x")
    assert "| time (UTC) | status | cause | rule | request |" in out
    assert "| 401 | token_expired | token-expired | GET https://api.xxx.com/v2/devices |" in out
    assert "## Findings" in out and "1. Get a new access token" in out


def test_times_are_judged_at_each_request_not_today(recording: Path, capsys) -> None:
    """The recording is from the year 2000: a valid token then is not 'expired' now."""
    _, out, _ = _run(capsys, str(recording), "--format", "json", "--profile", "company-x")
    assert json.loads(out.splitlines()[0])["cause"] is None


def test_unreadable_and_unknown_files_name_the_file(tmp_path: Path, capsys) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    code, _, err = _run(capsys, str(junk))
    assert code == 2 and str(junk) in err and "not a mitmproxy flow file or HAR" in err
    missing = tmp_path / "missing.mitm"
    code, _, err = _run(capsys, str(missing))
    assert code == 2 and f"{missing}: cannot read" in err


def test_a_bad_profile_is_a_clear_error(recording: Path, capsys) -> None:
    code, _, err = _run(capsys, str(recording), "--profile", "company-y")
    assert code == 2
    assert "no bundled profile 'company-y'; did you mean 'company-x'?" in err


def _har_document(har_path: Path) -> dict:
    return json.loads(har_path.read_text())


def test_har_with_a_bom_an_odd_entry_and_extensions(har: Path, tmp_path: Path, capsys) -> None:
    document = _har_document(har)
    document["log"]["entries"].insert(0, {"_comment": "no request at all", "_x": 1})
    for entry in document["log"]["entries"][1:]:
        entry["_priority"] = "High"  # browser extensions start with an underscore
        entry["request"].pop("bodySize", None)  # optional fields left out
    path = tmp_path / "fiddler.har"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document).encode())
    code, out, err = _run(capsys, str(path), "--format", "json", "--profile", "company-x")
    assert [json.loads(line)["cause"] for line in out.splitlines()] == [None, "token_expired", None]
    assert "1 HAR entries could not be read" in err
    assert code == 1


def test_har_base64_error_body_is_read(har: Path, tmp_path: Path, capsys) -> None:
    document = _har_document(har)
    entry = document["log"]["entries"][1]  # the 401
    body = json.dumps(
        {
            "error": "invalid_token",
            "error_description": "Token has expired",
            "request_id": "req_b64",
        }
    ).encode()
    entry["response"]["content"] = {
        "size": len(body), "mimeType": "application/json", "encoding": "base64",
        "text": base64.b64encode(body).decode(),
    }  # fmt: skip
    path = tmp_path / "base64.har"
    path.write_text(json.dumps(document))
    _, out, _ = _run(capsys, str(path), "--format", "json", "--profile", "company-x")
    explain = json.loads(out.splitlines()[1])["findings"][0]["explain"]
    assert '"Token has expired", request id req_b64' in explain


def test_broken_har_json_names_the_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cut.har"
    path.write_text('{"log": {"entries": [{"request": ')
    code, _, err = _run(capsys, str(path))
    assert code == 2 and f"{path}: not valid HAR JSON" in err


def test_har_post_without_params_and_text_that_is_not_unicode(
    har: Path, tmp_path: Path, capsys
) -> None:
    document = _har_document(har)
    entry = document["log"]["entries"][1]
    entry["request"]["method"] = "POST"
    entry["request"]["postData"] = {"mimeType": "application/octet-stream", "text": "\udcff\x00raw"}
    entry["response"]["content"] = {"size": 4, "mimeType": "text/plain; charset=latin-1",
                                    "text": "caf\u00e9 \udcfe"}  # fmt: skip
    path = tmp_path / "odd.har"
    path.write_text(json.dumps(document), encoding="utf-8", errors="surrogatepass")
    code, out, err = _run(capsys, str(path), "--format", "json", "--profile", "company-x")
    causes = [json.loads(line)["cause"] for line in out.splitlines()]
    # ijson's C parser stops at the lone surrogate; the pure-Python one takes over from there
    assert (code, causes) == (1, [None, "token_expired", None]), err
