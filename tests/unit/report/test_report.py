"""`authdoctor report` end to end: what holds for both formats, and the command's errors."""

from __future__ import annotations

import html
from pathlib import Path

from tests.unit.report.ticket import SCRIPT
from tests.unit.report.ticket import run_report


def test_a_script_from_a_server_is_text(reports) -> None:
    page, md = reports[".html"], reports[".md"]
    assert html.escape(SCRIPT, quote=False) in page
    assert SCRIPT not in page
    assert "\\<script\\>alert(1)\\</script\\>" in md and SCRIPT not in md


def test_no_token_or_secret_in_either_report(reports, ticket) -> None:
    _, tokens = ticket
    for text in reports.values():
        for token in tokens:
            _, payload, signature = token.split(".")
            assert token not in text and payload not in text and signature not in text
        assert "s3cret" not in text
        assert "access_token=REDACTED" in text  # the query-string token, redacted


def test_an_unknown_output_suffix_exits_2(ticket, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.txt"
    code, _, err = run_report(capsys, str(ticket[0]), "-o", str(out))
    assert code == 2
    assert f"{out}: the report file must end in .html or .md" in err
    assert not out.exists()


def test_an_unreadable_file_exits_2_naming_it(ticket, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing.mitm"
    out = tmp_path / "report.html"
    code, _, err = run_report(capsys, str(ticket[0]), str(missing), "-o", str(out))
    assert code == 2 and f"{missing}: cannot read" in err
    assert not out.exists()  # no half-written report
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    code, _, err = run_report(capsys, str(junk), "-o", str(out))
    assert code == 2 and f"{junk}: not a mitmproxy flow file or HAR" in err
