"""The report as Markdown, for a ticket system or a chat: the same content as the HTML page,
with a table where the page has its chart. Values are escaped so that no server's text turns
into markup, a link or an image.
"""

from __future__ import annotations

import re

from authdoctor.engine import Finding
from authdoctor.report.model import CauseGroup
from authdoctor.report.model import Example
from authdoctor.report.model import Pattern
from authdoctor.report.model import Report
from authdoctor.report.wording import ALSO_FOUND
from authdoctor.report.wording import ENVIRONMENT
from authdoctor.report.wording import EVENTS
from authdoctor.report.wording import FAILURES
from authdoctor.report.wording import NO_CHART
from authdoctor.report.wording import NO_EVENTS
from authdoctor.report.wording import NO_FAILURES
from authdoctor.report.wording import NO_PATTERNS
from authdoctor.report.wording import NO_RULE_TITLE
from authdoctor.report.wording import PATTERNS
from authdoctor.report.wording import TIMELINE
from authdoctor.report.wording import TITLE
from authdoctor.report.wording import WARNINGS
from authdoctor.report.wording import describe
from authdoctor.report.wording import environment
from authdoctor.report.wording import event_detail
from authdoctor.report.wording import event_label
from authdoctor.report.wording import fix_parts
from authdoctor.report.wording import footer
from authdoctor.report.wording import more_text
from authdoctor.report.wording import plural
from authdoctor.report.wording import seen_text
from authdoctor.report.wording import short_time
from authdoctor.report.wording import status_text
from authdoctor.report.wording import summary
from authdoctor.util import human_duration
from authdoctor.util import iso_utc
from authdoctor.util import valid_unicode

_MD_SPECIAL = re.compile(r"([\\`*<>\[\]])")


def _md(value: object) -> str:
    """Inline Markdown text: one line, with the characters that would start markup escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _cell(value: object) -> str:
    return _md(value).replace("|", "\\|")


def _fence(text: str, indent: str = "") -> list[str]:
    """A code block whose fence is longer than any run of backticks in the text."""
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return [f"{indent}{ticks}", *(indent + line for line in text.splitlines()), f"{indent}{ticks}"]


def _safe_ref(url: str) -> bool:
    return re.fullmatch(r"https?://[^\s<>]+", url, re.IGNORECASE) is not None


def render_markdown(report: Report) -> str:
    """The whole document, valid UTF-8 to write as it is."""
    out = [f"# {_md(TITLE)}", "", _md(summary(report)), ""]
    out += _environment(report) + _timeline(report) + _events(report) + _failures(report)
    out += [f"## {_md(PATTERNS)}", ""]
    out += _patterns(report.patterns) if report.patterns else [_md(NO_PATTERNS), ""]
    if report.warnings:
        out += [f"## {_md(WARNINGS)}", "", *_patterns(report.warnings)]
    out += ["---", "", footer(report)]
    return valid_unicode("\n".join(out) + "\n")  # wire values may hold lone surrogates


def _environment(report: Report) -> list[str]:
    rows = [f"| {_cell(k)} | {_cell(v)} |" for k, v in environment(report)]
    return [f"## {_md(ENVIRONMENT)}", "", "| | |", "|---|---|", *rows]


def _timeline(report: Report) -> list[str]:
    """The buckets that saw requests, as a table: Markdown has no chart."""
    out = ["", f"## {_md(TIMELINE)}", ""]
    busy = [b for b in report.timeline if b.requests]
    if not busy:
        return [*out, _md(NO_CHART)]
    out.append(f"Requests per {human_duration(report.bucket_width)} (UTC; empty spans left out):")
    out += ["", "| from (UTC) | requests | failed | tokens issued |", "|---|---:|---:|---:|"]
    out += [f"| {short_time(b.start)} | {b.requests} | {b.failures} | {b.issued} |" for b in busy]
    return out


def _events(report: Report) -> list[str]:
    """The earliest token issuances and failures, one row each, and how many more there were."""
    out = ["", f"### {_md(EVENTS)}", ""]
    if not report.events:
        return [*out, _md(NO_EVENTS)]
    out += ["| time (UTC) | method | URL | status | cause |", "|---|---|---|---|---|"]
    for e in report.events:
        label = event_label(e)
        cause = f"`{label}`" if e.failed else label
        detail = f" ({_cell(text)})" if (text := event_detail(e)) else ""
        out.append(
            f"| {short_time(e.time)} | {_cell(e.method)} | {_cell(e.url)} | "
            f"{status_text(e.status)} | {cause}{detail} |"
        )
    if report.events_total > len(report.events):
        out += ["", f"and {report.events_total - len(report.events)} more later events."]
    return out


def _failures(report: Report) -> list[str]:
    out = ["", f"## {_md(FAILURES)}", ""]
    if not report.groups:
        out += [_md(NO_FAILURES), ""]
    for group in report.groups:
        out += _group(group)
    return out


def _group(group: CauseGroup) -> list[str]:
    """One cause: its heading, what it means, its first failures, and how many more."""
    out = [f"### `{group.cause}`: {plural(group.count, 'failure')}", ""]
    out += [f"_{_md(describe(group.cause))}_", ""]
    for n, example in enumerate(group.examples, 1):
        out += _example(n, example)
    if more := more_text(group):
        out += [_md(more), ""]
    return out


def _example(n: int, example: Example) -> list[str]:
    """The n-th failure of a cause in full: what explains it, its fix, the other errors."""
    finding = example.finding
    title = NO_RULE_TITLE if finding is None else finding.title
    out = [f"#### {n}. {_md(title)}", "", _meta(example), ""]
    if finding is not None:
        out += [
            f"{finding.severity} · cause `{finding.cause}` · rule `{finding.rule}` · "
            f"confidence {finding.confidence}",
            "",
            *_finding(finding),
        ]
    if example.also:
        also = "; ".join(f"{_md(f.title)} (`{f.cause}`)" for f in example.also)
        out += [f"{_md(ALSO_FOUND)} {also}", ""]
    return out


def _meta(example: Example) -> str:
    """When, what and where: the line under an example's title, in italics."""
    bits = [iso_utc(example.time), f"{example.method} {example.url}", status_text(example.status)]
    if example.request_id:
        bits.append(f"request id {example.request_id}")
    bits.append(f"file {example.file}")
    return "*" + " · ".join(_md(b) for b in bits) + "*"


def _finding(finding: Finding) -> list[str]:
    """A finding's explanation, its fix as numbered steps with their commands, its references."""
    out = [_md(finding.explain), ""]
    if finding.fix:
        out += ["**Fix**", ""]
        for n, step in enumerate(finding.fix, 1):
            text, command = fix_parts(step)
            out.append(f"{n}. {_md(text)}")
            if command:
                out += ["", *_fence(command, "   ")]
        out.append("")
    if finding.references:
        refs = (f"<{r}>" if _safe_ref(r) else _md(r) for r in finding.references)
        out += ["References: " + ", ".join(refs), ""]
    return out


def _patterns(patterns: list[Pattern]) -> list[str]:
    """Each pattern: its title, how often it was seen, and its first occurrence in full."""
    out: list[str] = []
    for p in patterns:
        out += [
            f"### {_md(p.title)}",
            "",
            f"`{p.cause}` ({p.severity}, rule `{p.rule}`), {seen_text(p.count)}",
            "",
            _meta(p.example),
            "",
        ]
        if p.example.finding is not None:
            out += _finding(p.example.finding)
    return out
