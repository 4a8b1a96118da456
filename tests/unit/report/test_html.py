"""The HTML page (html.py): the environment, failures by cause, session patterns, the
chart and event table, and a page that is whole and fetches nothing."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from authdoctor.engine.rules.ruleset import Ruleset


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
