"""The report as one self-contained HTML page: inline style (report.css), an SVG timeline, no
script, nothing fetched. Every value is escaped: they come from servers and recordings.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from importlib.resources import files

from authdoctor.engine import Finding
from authdoctor.report.model import Bucket
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
from authdoctor.report.wording import bucket_text
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

STYLE = (files("authdoctor.report") / "report.css").read_text(encoding="utf-8")


def _h(value: object) -> str:
    """Text content: escaped, quotes left readable."""
    return html.escape(str(value), quote=False)


def _attr(value: object) -> str:
    return html.escape(str(value), quote=True)


def _muted(text: str) -> str:
    return f'<p class="muted">{_h(text)}</p>'


def _link(url: str) -> str:
    """A reference as a link, when it is a web address; anything else stays text."""
    if re.match(r"https?://", url, re.IGNORECASE):
        return f'<a href="{_attr(url)}">{_h(url)}</a>'
    return _h(url)


def _sev(severity: str) -> str:
    return f'<span class="sev {_attr(severity)}">{_h(severity)}</span>'


def _head() -> list[str]:
    """The document up to its content; no script, nothing fetched, no Referer sent."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_h(TITLE)}</title>",
        f"<style>\n{STYLE}</style>",
        "</head>",
        "<body>",
        f"<header><h1>{_h(TITLE)}</h1></header>",
    ]


def render_html(report: Report) -> str:
    """The whole page, valid UTF-8 to write as it is."""
    body = [*_head(), "<main>", *_overview(report), *_failures_and_patterns(report)]
    body += ["</main>", f'<footer class="muted">{_h(footer(report))}</footer>']
    body += ["</body>", "</html>"]
    return valid_unicode("\n".join(body) + "\n")  # wire values may hold lone surrogates


def _overview(report: Report) -> list[str]:
    """The summary, the environment, the timeline and the event table."""
    clean = "" if report.failures else " clean"
    rows = "".join(f"<tr><th>{_h(k)}</th><td>{_h(v)}</td></tr>" for k, v in environment(report))
    return [
        f'<p class="summary{clean}" id="summary">{_h(summary(report))}</p>',
        f"<h2>{_h(ENVIRONMENT)}</h2>",
        f"<table>{rows}</table>",
        f"<h2>{_h(TIMELINE)}</h2>",
        _svg(report),
        f"<h3>{_h(EVENTS)}</h3>",
        *_events(report),
    ]


def _failures_and_patterns(report: Report) -> list[str]:
    """The failures by cause, the session patterns, and other warnings if there are any."""
    out = [f"<h2>{_h(FAILURES)}</h2>", *_failures(report)]
    out += [f"<h2>{_h(PATTERNS)}</h2>", *_patterns(report.patterns, NO_PATTERNS)]
    if report.warnings:
        out += [f"<h2>{_h(WARNINGS)}</h2>", *_patterns(report.warnings, "")]
    return out


# --- the timeline chart ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Chart:
    """Where the bars go: a plot area inside fixed margins, one slot per bucket."""

    buckets: int
    tallest: int  # requests in the fullest bucket: the top of the scale
    width: int = 720
    height: int = 190
    left: int = 36
    right: int = 12
    top: int = 14
    bottom: int = 34

    @property
    def base(self) -> int:
        return self.height - self.bottom

    @property
    def slot(self) -> float:
        return (self.width - self.left - self.right) / self.buckets

    @property
    def bar(self) -> float:
        return max(min(self.slot * 0.8, 40.0), 1.0)

    @property
    def scale(self) -> float:
        return (self.height - self.top - self.bottom) / self.tallest


def _svg(report: Report) -> str:
    """Requests per bucket as stacked bars, failures in red, a diamond where tokens were issued."""
    buckets = report.timeline
    if not buckets:
        return _muted(NO_CHART)
    chart = _Chart(len(buckets), max(b.requests for b in buckets))
    parts = _svg_frame(chart, report.bucket_width)
    for n, bucket in enumerate(buckets):
        if bucket.requests:
            parts += _svg_bar(chart, n, bucket)
    parts += _svg_times(chart, buckets[0].start, buckets[-1].start + report.bucket_width)
    parts.append("</svg>")
    return "\n".join(parts) + "\n" + _legend(report.bucket_width)


def _svg_frame(chart: _Chart, bucket_width: int) -> list[str]:
    """The opening tag with its title, the axis at zero, the dashed top line and their labels."""
    left, top, base, right_end = chart.left, chart.top, chart.base, chart.width - chart.right
    return [
        f'<svg viewBox="0 0 {chart.width} {chart.height}" role="img" '
        'aria-labelledby="chart-title">',
        f'<title id="chart-title">Requests over time, failures in red; each bar '
        f"{_h(human_duration(bucket_width))}</title>",
        f'<line class="axis" x1="{left}" y1="{base}" x2="{right_end}" y2="{base}" '
        'stroke="#d1d9e0"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{right_end}" y2="{top}" '
        'stroke="#d1d9e0" stroke-dasharray="3 3"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{chart.tallest}</text>',
        f'<text x="{left - 6}" y="{base + 4}" text-anchor="end">0</text>',
    ]


def _svg_times(chart: _Chart, start: float, end: float) -> list[str]:
    """The times under the chart: where the first bucket starts and the last one ends."""
    y = chart.height - 4
    return [
        f'<text x="{chart.left}" y="{y}">{_h(short_time(start))}</text>',
        f'<text x="{chart.width - chart.right}" y="{y}" text-anchor="end">'
        f"{_h(short_time(end))}</text>",
    ]


def _svg_bar(chart: _Chart, n: int, bucket: Bucket) -> list[str]:
    """The n-th bucket's bar, answered requests on top of failures, with its tooltip."""
    x = chart.left + n * chart.slot + (chart.slot - chart.bar) / 2
    bar, base = chart.bar, chart.base
    ok_h = (bucket.requests - bucket.failures) * chart.scale
    failed_h = bucket.failures * chart.scale
    parts = [f"<g><title>{_h(bucket_text(bucket))}</title>"]
    if ok_h:
        parts.append(
            f'<rect class="ok" x="{x:.1f}" y="{base - ok_h - failed_h:.1f}" '
            f'width="{bar:.1f}" height="{ok_h:.1f}" fill="#8c959f"/>'
        )
    if failed_h:
        parts.append(
            f'<rect class="failed" x="{x:.1f}" y="{base - failed_h:.1f}" '
            f'width="{bar:.1f}" height="{failed_h:.1f}" fill="#b42318"/>'
        )
    if bucket.issued:
        cx, cy = x + bar / 2, base + 8
        parts.append(
            f'<path class="issued" d="M{cx:.1f} {cy - 5:.1f} L{cx + 5:.1f} {cy:.1f} '
            f'L{cx:.1f} {cy + 5:.1f} L{cx - 5:.1f} {cy:.1f} Z" fill="#0969da"/>'
        )
    parts.append("</g>")
    return parts


def _legend(bucket_width: int) -> str:
    return (
        '<p class="legend muted"><span><i class="swatch" style="background:var(--ok)"></i>'
        'requests</span><span><i class="swatch" style="background:var(--error)"></i>'
        'failed on authentication</span><span><i class="swatch" style="background:var(--info)">'
        f"</i>token issued</span><span>each bar: {_h(human_duration(bucket_width))}, "
        "times in UTC</span></p>"
    )


# --- the event table, failures and patterns --------------------------------------------------


def _events(report: Report) -> list[str]:
    """The earliest token issuances and failures, one row each, and how many more there were."""
    if not report.events:
        return [_muted(NO_EVENTS)]
    out = [
        "<table>",
        "<thead><tr><th>time (UTC)</th><th>method</th><th>URL</th><th>status</th>"
        "<th>cause</th></tr></thead>",
        "<tbody>",
    ]
    for e in report.events:
        css = "failed" if e.failed else "issued"
        label = event_label(e)
        cause = f"<code>{_h(label)}</code>" if e.failed else _h(label)
        detail = f'<br><span class="muted">{_h(text)}</span>' if (text := event_detail(e)) else ""
        out.append(
            f'<tr class="{css}"><td>{_h(short_time(e.time))}</td><td>{_h(e.method)}</td>'
            f'<td class="url">{_h(e.url)}</td><td>{_h(status_text(e.status))}</td>'
            f"<td>{cause}{detail}</td></tr>"
        )
    out.append("</tbody></table>")
    if report.events_total > len(report.events):
        hidden = report.events_total - len(report.events)
        out.append(f'<p class="muted">and {hidden} more later events not listed.</p>')
    return out


def _meta(example: Example) -> str:
    """When, what and where: the line under an example's title."""
    bits = [
        f"{_h(iso_utc(example.time))}",
        f'<span class="url">{_h(example.method)} {_h(example.url)}</span>',
        f"status {_h(status_text(example.status))}",
    ]
    if example.request_id:
        bits.append(f"request id <code>{_h(example.request_id)}</code>")
    bits.append(f"file {_h(example.file)}")
    return '<p class="meta">' + " · ".join(bits) + "</p>"


def _finding(finding: Finding) -> list[str]:
    """A finding's explanation, its fix as numbered steps with their commands, its references."""
    out = [f"<p>{_h(finding.explain)}</p>"]
    if finding.fix:
        out.append("<p><strong>Fix</strong></p><ol>")
        for step in finding.fix:
            text, command = fix_parts(step)
            pre = f"<pre><code>{_h(command)}</code></pre>" if command else ""
            out.append(f"<li>{_h(text)}{pre}</li>")
        out.append("</ol>")
    if finding.references:
        out.append('<p class="muted">References: ')
        out.append(", ".join(_link(r) for r in finding.references))
        out.append("</p>")
    return out


def _failures(report: Report) -> list[str]:
    if not report.groups:
        return [_muted(NO_FAILURES)]
    out: list[str] = []
    for group in report.groups:
        out += _group(group)
    return out


def _group(group: CauseGroup) -> list[str]:
    """One cause: its heading, what it means, its first failures, and how many more."""
    out = [
        f'<h3 id="cause-{_attr(group.cause)}"><code>{_h(group.cause)}</code>: '
        f"{_h(plural(group.count, 'failure'))}</h3>",
        _muted(describe(group.cause)),
    ]
    for example in group.examples:
        out += _example(example)
    if more := more_text(group):
        out.append(_muted(more))
    return out


def _example(example: Example) -> list[str]:
    """One failure in full: what explains it, with its fix, and the request's other errors."""
    finding = example.finding
    out = ["<article>"]
    if finding is None:
        out += [f"<h4>{_h(NO_RULE_TITLE)}</h4>", _meta(example)]
    else:
        out += [
            f"<h4>{_h(finding.title)} {_sev(finding.severity)}</h4>",
            _meta(example),
            f'<p class="meta">cause <code>{_h(finding.cause)}</code> · rule '
            f"<code>{_h(finding.rule)}</code> · confidence {_h(finding.confidence)}</p>",
            *_finding(finding),
        ]
    if example.also:
        also = "; ".join(f"{_h(f.title)} (<code>{_h(f.cause)}</code>)" for f in example.also)
        out.append(f'<p class="muted">{_h(ALSO_FOUND)} {also}</p>')
    out.append("</article>")
    return out


def _patterns(patterns: list[Pattern], empty: str) -> list[str]:
    """Each pattern: its title, how often it was seen, and its first occurrence in full."""
    if not patterns:
        return [_muted(empty)]
    out: list[str] = []
    for p in patterns:
        out.append(
            f"<h3>{_h(p.title)} {_sev(p.severity)}</h3>"
            f'<p class="meta">cause <code>{_h(p.cause)}</code> · rule <code>{_h(p.rule)}</code> · '
            f"{_h(seen_text(p.count))}</p>"
        )
        out.append("<article>")
        out.append(_meta(p.example))
        if p.example.finding is not None:
            out.extend(_finding(p.example.finding))
        out.append("</article>")
    return out
