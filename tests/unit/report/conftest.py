"""Fixtures of the report tests: the ticket recording and both reports of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.authflows import Issuer
from tests.unit.report.ticket import run_report
from tests.unit.report.ticket import ticket_flows
from tests.unit.report.ticket import write


@pytest.fixture
def ticket(tmp_path: Path, issuer: Issuer) -> tuple[Path, list[str]]:
    flows, tokens = ticket_flows(issuer)
    return write(tmp_path / "ticket|42.mitm", flows), tokens


@pytest.fixture
def reports(ticket, tmp_path: Path, capsys) -> dict[str, str]:
    """Both reports of the recording, by suffix."""
    path, _ = ticket
    texts = {}
    for suffix in (".html", ".md"):
        out = tmp_path / f"report{suffix}"
        code, stdout, err = run_report(capsys, str(path), "-o", str(out), "--profile", "company-x")
        assert (code, err) == (0, "")
        assert stdout.startswith(f"{out}: 11 requests")
        texts[suffix] = out.read_text(encoding="utf-8")
    return texts
