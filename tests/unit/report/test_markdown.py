"""The Markdown report (markdown.py): the same content as the page, escaped for Markdown."""

from __future__ import annotations

from pathlib import Path

from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response
from tests.unit.report.ticket import DEVICES
from tests.unit.report.ticket import SUMMARY
from tests.unit.report.ticket import at
from tests.unit.report.ticket import run_report
from tests.unit.report.ticket import write


def test_markdown_has_the_same_content(reports, ticket) -> None:
    md = reports[".md"]
    assert md.startswith("# authdoctor report\n\n")
    assert SUMMARY in md
    assert "### `token_expired`: 4 failures" in md
    assert "### `insufficient_scope`: 1 failure" in md
    assert "was 2 h 13 min before the request was sent" in md
    assert "and 1 more (between 1999-12-31 23:10:00 UTC" in md
    assert "1. Get a new access token with your refresh token (runbook step 4)" in md
    assert "   ```\n   curl -sS -X POST https://auth.xxx.com/oauth/token" in md
    assert "<https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4>" in md
    assert "## Session patterns" in md and "seen 3 times; the first:" in md
    assert "| 1999-12-31 23:00:00 | POST | https://auth.xxx.com/oauth/token | 200 |" in md
    # a | in a table cell (the file name) is escaped, so the table keeps its columns
    assert f"| Files analysed | {str(ticket[0]).replace('|', chr(92) + '|')} |" in md
    assert "<svg" not in md


def test_a_clean_recording_without_date_headers(tmp_path: Path, issuer: Issuer, capsys) -> None:
    token = issuer.token()
    path = write(
        tmp_path / "ok.mitm",
        [at(flow(DEVICES, headers=[bearer(token)], resp=response(200, date=False)), 0)],
    )
    out = tmp_path / "ok.md"
    code, _, _ = run_report(capsys, str(path), "-o", str(out), "--profile", "company-x")
    md = out.read_text()
    assert code == 0
    assert "1 request, none failed on authentication." in md
    assert "| Clock offset | no Date headers |" in md
    assert "No request failed on authentication." in md
