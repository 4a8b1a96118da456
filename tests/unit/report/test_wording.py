"""The report's words (wording.py): the summary at the top."""

from __future__ import annotations

import html
import re

from tests.unit.report.ticket import SUMMARY


def summary_of(page: str) -> str:
    match = re.search(r'<p class="summary[^"]*" id="summary">(.*?)</p>', page, re.S)
    assert match is not None
    return html.unescape(match.group(1))


def test_the_summary_says_what_failed_and_what_to_fix_first(reports) -> None:
    assert summary_of(reports[".html"]).startswith(SUMMARY)
    assert summary_of(reports[".html"]).endswith(
        "Session patterns: superseded_token (4), token_reused_after_401 (3), retry_loop (2)."
    )
