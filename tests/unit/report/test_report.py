"""`authdoctor report`: one self-contained HTML or Markdown file for a support ticket.

The recording: a token issued, healthy calls, a token sent in the query string, an older token
(superseded by the one issued) that expired 2 h 13 min before it was used and then sent again
three times after the 401, and a 403 insufficient_scope whose error_description is a script.
Flows are written out of time order (the 403 first), so the event table has to sort them.
"""

from __future__ import annotations

import argparse
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy import io

from authdoctor.cli.main import report_command
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.report import model
from authdoctor.report.model import MAX_BUCKETS
from authdoctor.report.model import Timeline
from tests.unit.authflows import SENT
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import company_x_error
from tests.unit.authflows import flow
from tests.unit.authflows import response

DEVICES = "https://api.xxx.com/v2/devices"
ACTIONS = "https://api.xxx.com/v2/devices/d1/actions"
TOKEN_URL = "https://auth.xxx.com/oauth/token"
FORM = ("Content-Type", "application/x-www-form-urlencoded")
SCRIPT = "<script>alert(1)</script>"
EXPIRED_AT = 600  # the first use of the expired token, seconds after SENT
EXPIRED_AGO = 8005  # 2 h 13 min


def build_parser() -> argparse.ArgumentParser:
    """The command line as cli.py wires it: `authdoctor report ...`."""
    parser = argparse.ArgumentParser(prog="authdoctor")
    commands = parser.add_subparsers(dest="command", required=True)
    report_command.add_parser(commands)
    return parser


def run_report(capsys, *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(["report", *argv])
    code = args.run(args)
    out, err = capsys.readouterr()
    return code, out, err


def at(f: http.HTTPFlow, t: float) -> http.HTTPFlow:
    """Send the flow t seconds after SENT; the answer arrives a second later."""
    f.request.timestamp_start = f.request.timestamp_end = SENT + t
    if f.response is not None:
        f.response.timestamp_start = f.response.timestamp_end = SENT + t + 1
    return f


def write(path: Path, flows: list[http.HTTPFlow]) -> Path:
    with path.open("wb") as handle:
        writer = io.FlowWriter(handle)
        for f in flows:
            writer.add(f)
    return path


def ticket_flows(issuer: Issuer) -> tuple[list[http.HTTPFlow], list[str]]:
    """The flows of the recording, and every token minted for it."""
    fresh = issuer.token(issued=-10, expires=3590)
    expired = issuer.token(issued=EXPIRED_AT - EXPIRED_AGO - 3600, expires=EXPIRED_AT - EXPIRED_AGO)
    narrow = issuer.token(scope="read")
    granted = {"access_token": fresh, "token_type": "Bearer", "expires_in": 3600}
    form = b"grant_type=client_credentials&client_id=cli_8f2a91&client_secret=s3cret"
    scope_error = company_x_error(
        403, error="insufficient_scope", description=SCRIPT, scope="write", date_offset=700
    )
    flows = [
        at(flow(ACTIONS, method="POST", headers=[bearer(narrow)], resp=scope_error), 700),
        at(
            flow(
                TOKEN_URL,
                method="POST",
                headers=[FORM],
                content=form,
                resp=response(200, body={**granted, "scope": "read write"}),
            ),
            0,
        ),
        *(
            at(flow(DEVICES, headers=[bearer(fresh)], resp=response(200, date_offset=t)), t)
            for t in (10, 20, 30)
        ),
        at(flow(f"{DEVICES}?access_token={fresh}", resp=response(200, date_offset=40)), 40),
        *(
            at(flow(DEVICES, headers=[bearer(expired)], resp=company_x_error(date_offset=t)), t)
            for t in (EXPIRED_AT, EXPIRED_AT + 10, EXPIRED_AT + 20, EXPIRED_AT + 30)
        ),
        at(flow(DEVICES, headers=[bearer(fresh)], resp=response(200, date_offset=900)), 900),
    ]
    return flows, [fresh, expired, narrow]


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


VOID = {"meta", "br", "line", "rect", "path", "hr", "img", "link", "input"}


def assert_balanced(page: str) -> None:
    """Every element is closed, in order: the structure browsers and validators expect."""
    open_tags: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag not in VOID:
                open_tags.append(tag)

        def handle_startendtag(self, tag: str, attrs: list) -> None:
            pass  # <line ... />: opened and closed at once

        def handle_endtag(self, tag: str) -> None:
            assert open_tags and open_tags.pop() == tag, (tag, open_tags[-3:])

    Checker().feed(page)
    assert open_tags == []


def summary_of(page: str) -> str:
    match = re.search(r'<p class="summary[^"]*" id="summary">(.*?)</p>', page, re.S)
    assert match is not None
    return html.unescape(match.group(1))


SUMMARY = (
    "11 requests, 5 failed on authentication. Most failures (4) are token_expired: the token's "
    "exp was before the request time. Other causes: insufficient_scope (1). Fix this first: "
    "Get a new access token with your refresh token (runbook step 4)."
)


def test_the_summary_says_what_failed_and_what_to_fix_first(reports) -> None:
    assert summary_of(reports[".html"]).startswith(SUMMARY)
    assert summary_of(reports[".html"]).endswith(
        "Session patterns: superseded_token (4), token_reused_after_401 (3), retry_loop (2)."
    )


def test_environment_names_versions_files_span_and_clock(reports, ticket) -> None:
    from mitmproxy.version import VERSION

    import authdoctor

    page = reports[".html"]
    assert f"<th>authdoctor</th><td>{authdoctor.__version__}</td>" in page
    assert f"<th>mitmproxy</th><td>{VERSION}</td>" in page
    assert f"<th>Files analysed</th><td>{html.escape(str(ticket[0]))}</td>" in page
    assert "<th>First request</th><td>1999-12-31 23:00:00 UTC</td>" in page
    assert "<th>Last request</th><td>1999-12-31 23:15:00 UTC</td>" in page
    assert "<th>Span</th><td>15 min</td>" in page
    assert "in step with the recording machine's (median 0 s of 11 answers" in page


def test_failures_are_grouped_by_cause_with_real_values_and_fixes(reports) -> None:
    page = reports[".html"]
    expired = page.index('<h3 id="cause-token_expired"><code>token_expired</code>: 4 failures')
    scope = page.index(
        '<h3 id="cause-insufficient_scope"><code>insufficient_scope</code>: 1 failure</h3>'
    )
    assert expired < scope  # the most frequent cause first
    group = page[expired:scope]
    assert group.count("<article>") == 3  # the first few in full ...
    assert "and 1 more (between 1999-12-31 23:10:00 UTC and 1999-12-31 23:10:30 UTC" in group
    assert "was 2 h 13 min before the request was sent (1999-12-31 23:10:00 UTC)" in group
    assert "request id <code>req_0123456789</code>" in group
    assert '<span class="sev error">error</span>' in group
    assert "<li>Get a new access token with your refresh token (runbook step 4)<pre><code>" in group
    assert "curl -sS -X POST https://auth.xxx.com/oauth/token" in group
    link = '<a href="https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4">'
    assert link in group
    assert "accepts any of [write, devices:manage]" in page[scope:]


def test_session_patterns_have_a_count_and_an_example(reports) -> None:
    page = reports[".html"]
    patterns = page[page.index("<h2>Session patterns</h2>") :]
    reused = patterns.index("The client sent a token the API had already rejected")
    retry = patterns.index("The same failing request is being repeated unchanged")
    assert reused < retry  # the more frequent first
    assert "<code>token_reused_after_401</code> · rule <code>token-reused-after-401</code>" in (
        patterns
    )
    assert "seen 3 times; the first:" in patterns[reused:retry]
    assert "seen 2 times; the first:" in patterns[retry:]
    assert "1999-12-31 23:10:10 UTC" in patterns[reused:retry]  # the first reuse
    # the query-string token is a warning, but not a session pattern
    others = patterns.index("<h2>Other warnings</h2>")
    assert "secret_in_url" not in patterns[:others]
    assert (
        "<code>secret_in_url</code> · rule <code>token-in-url</code> · seen once"
        in (patterns[others:])
    )


def test_timeline_chart_and_event_table(reports) -> None:
    page = reports[".html"]
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count('<rect class="failed"') == 5  # each failure in its own 10 s bar
    assert svg.count('<path class="issued"') == 1
    table = page[page.index("<h3>Token issuance and failures</h3>") : page.index("<h2>Failures")]
    rows = re.findall(r'<tr class="(failed|issued)"><td>([^<]+)</td>', table)
    assert [kind for kind, _ in rows] == ["issued", *["failed"] * 5]
    assert [when for _, when in rows] == sorted(when for _, when in rows)
    assert "expires in 1 h; scope read write" in table
    assert "<td><code>insufficient_scope</code>" in table


def test_the_html_is_self_contained(reports, ruleset: Ruleset) -> None:
    page = reports[".html"]
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert_balanced(page)
    for needle in ("<link", "<script", "src=", "url(", "@import", "<iframe", "<object"):
        assert needle not in page.lower(), needle
    references = {ref for rule in ruleset.rules for ref in rule.references}
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and {html.unescape(h) for h in hrefs} <= references
    allowed_hosts = ("https://api.xxx.com/", "https://auth.xxx.com/", "https://admin.xxx.com")
    for url in re.findall(r"https?://[^\s\"'<>)]+", page):
        assert url in references or url.startswith(allowed_hosts), url


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


def test_what_is_kept_is_bounded(tmp_path: Path, issuer: Issuer, capsys, monkeypatch) -> None:
    """Twelve failures: three in full, five rows in the event table (the earliest), the rest
    counted. Written latest first, so keeping the earliest events needs more than a prefix."""
    monkeypatch.setattr(model, "MAX_EVENTS", 5)
    expired = issuer.token(issued=-7200, expires=-3600)
    flows = [
        at(flow(DEVICES, headers=[bearer(expired)], resp=company_x_error(date_offset=t)), t)
        for t in range(110, -10, -10)
    ]
    path = write(tmp_path / "many.mitm", flows)
    out = tmp_path / "many.html"
    assert run_report(capsys, str(path), "-o", str(out), "--profile", "company-x")[0] == 0
    page = out.read_text()
    assert "12 requests, 12 failed on authentication. All 12 failures are token_expired" in page
    failures = page[page.index("<h2>Failures</h2>") : page.index("<h2>Session patterns</h2>")]
    assert failures.count("<article>") == 3
    assert "and 9 more" in page
    rows = re.findall(r'<tr class="failed"><td>([^<]+)</td>', page)
    assert rows == [f"1999-12-31 23:00:{s:02d}" for s in range(0, 50, 10)]
    assert "and 7 more later events not listed." in page


def test_timeline_buckets_widen_and_stay_bounded() -> None:
    timeline = Timeline()
    start = 1_700_000_000
    for n in range(1000):
        timeline.add(start + n * 259.2, failed=n % 4 == 0, issued=n % 100 == 0)  # three days
    buckets = timeline.buckets()
    assert len(buckets) <= MAX_BUCKETS
    assert timeline.width == 3600
    assert sum(b.requests for b in buckets) == 1000
    assert sum(b.failures for b in buckets) == 250
    assert sum(b.issued for b in buckets) == 10
    assert buckets[0].start <= start < buckets[0].start + timeline.width
    assert all(b.start % timeline.width == 0 for b in buckets)
