"""The support-ticket report: what a recording shows, in one self-contained HTML or Markdown file.

A `ReportBuilder` takes the judged flows one at a time and keeps only what the report shows,
within fixed bounds whatever the recording's size: a few failures in full per cause and counts
for the rest, one example per session pattern, the earliest token issuances and failures for
the event table, and the timeline as buckets that widen as the recording grows. The texts come
from what the analysis already renders (findings, redacted URLs, response facts), never from
raw headers or bodies, so no token or secret reaches the report. Every value is escaped: they
come from servers and recordings.
"""

from __future__ import annotations

import heapq
import html
import itertools
import platform
import re
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from mitmproxy import http
from mitmproxy.version import VERSION as MITMPROXY_VERSION

from authdoctor import __version__
from authdoctor.engine.causes import ALL_CAUSES
from authdoctor.engine.causes import PRECEDENCE_RANK
from authdoctor.engine.rules.ruleset import Finding
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.sessions import SessionStore
from authdoctor.recordings.reading import Judged
from authdoctor.recordings.reading import ReadReport
from authdoctor.util.timefmt import human_duration
from authdoctor.util.timefmt import iso_utc
from authdoctor.util.unicode_text import valid_unicode

EXAMPLES_PER_CAUSE = 3  # failures shown in full per cause; the rest are counted
MAX_EVENTS = 200  # rows of the issuance-and-failure table: the earliest ones
MAX_BUCKETS = 96  # bars of the timeline chart
# Bucket widths in seconds, each a multiple of the one before, so buckets merge exactly;
# past a day the width doubles.
BUCKET_STEPS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400)
PATTERN_PACK = "session"  # rules/session: causes that only show across requests
PATTERN_CAUSES = frozenset({"clock_skew"})  # a clock offset is a session pattern too
UNEXPLAINED = "unknown"


def pattern_rules(ruleset: Ruleset) -> frozenset[str]:
    """Ids of the rules whose findings are session patterns: those of the session pack."""
    return frozenset(r.id for r in ruleset.rules if Path(r.file).parent.name == PATTERN_PACK)


@dataclass(frozen=True, slots=True)
class Example:
    """One analysed request as the report shows it, with the finding it illustrates."""

    time: float
    file: str
    method: str
    url: str
    status: int | None
    request_id: str | None
    finding: Finding | None
    also: tuple[Finding, ...] = ()  # other error findings of the same request


@dataclass(slots=True)
class CauseGroup:
    cause: str
    count: int = 0
    first: float = float("inf")
    last: float = float("-inf")
    examples: list[Example] = field(default_factory=list)


@dataclass(slots=True)
class Pattern:
    """A session pattern or another warning: how often its rule matched, and the first time."""

    rule: str
    cause: str
    severity: str
    title: str
    example: Example
    count: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    time: float
    method: str
    url: str
    status: int | None
    cause: str  # the failure's cause, or "token issued"
    detail: str
    failed: bool


@dataclass(frozen=True, slots=True)
class Bucket:
    start: float
    requests: int
    failures: int
    issued: int


class Timeline:
    """Requests per time bucket; the buckets widen (and merge) to stay at most MAX_BUCKETS."""

    def __init__(self, limit: int = MAX_BUCKETS) -> None:
        self.limit = limit
        self.width = BUCKET_STEPS[0]
        self.counts: dict[int, list[int]] = {}  # index -> [requests, failures, issued]
        self.low = self.high = 0  # the first and last index in use

    def add(self, when: float, failed: bool, issued: bool) -> None:
        index = int(when // self.width)
        if not self.counts:
            self.low = self.high = index
        self.low, self.high = min(self.low, index), max(self.high, index)
        counts = self.counts.setdefault(index, [0, 0, 0])
        counts[0] += 1
        counts[1] += failed
        counts[2] += issued
        while self.high - self.low >= self.limit:
            self._widen()

    def _widen(self) -> None:
        wider = next((w for w in BUCKET_STEPS if w > self.width), self.width * 2)
        merged: dict[int, list[int]] = {}
        for index, counts in self.counts.items():
            into = merged.setdefault(index * self.width // wider, [0, 0, 0])
            for n, value in enumerate(counts):
                into[n] += value
        self.low = self.low * self.width // wider
        self.high = self.high * self.width // wider
        self.width, self.counts = wider, merged

    def buckets(self) -> list[Bucket]:
        """Every bucket from the first to the last request, the empty ones included."""
        if not self.counts:
            return []
        return [
            Bucket(index * self.width, *self.counts.get(index, (0, 0, 0)))
            for index in range(self.low, self.high + 1)
        ]


@dataclass
class Report:
    """Everything the report shows, bounded; rendered by render_html or render_markdown."""

    files: list[str]
    requests: int
    failures: int
    unanswered: int
    first: float | None
    last: float | None
    groups: list[CauseGroup]
    patterns: list[Pattern]
    warnings: list[Pattern]
    events: list[Event]
    events_total: int
    timeline: list[Bucket]
    bucket_width: int
    clock: tuple[int, int, int] | None
    skipped_entries: int = 0
    generated: float = field(default_factory=lambda: datetime.now(UTC).timestamp())
    versions: dict[str, str] = field(
        default_factory=lambda: {
            "authdoctor": __version__,
            "mitmproxy": MITMPROXY_VERSION,
            "Python": platform.python_version(),
        }
    )


class ReportBuilder:
    """Takes judged flows one by one and keeps what the report needs, bounded."""

    def __init__(self, pattern_rule_ids: Iterable[str] = ()) -> None:
        self.pattern_rule_ids = frozenset(pattern_rule_ids)
        self.requests = self.failures = self.unanswered = 0
        self.first: float | None = None
        self.last: float | None = None
        self.groups: dict[str, CauseGroup] = {}
        self.patterns: dict[str, Pattern] = {}
        self.warnings: dict[str, Pattern] = {}
        # a heap on (-time, -order): its top is the latest event, the first to go
        self.events: list[tuple[float, int, Event]] = []
        self.events_total = 0
        self.order = itertools.count()
        self.timeline = Timeline()

    def add(self, judged: Judged) -> None:
        flow, facts = judged.flow, judged.analysis.facts
        diagnosis = judged.analysis.diagnosis
        when = flow.request.timestamp_start
        self.requests += 1
        self.unanswered += flow.response is None
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)
        failed = bool(facts.get("response.auth_failed"))
        issued = (
            facts.get("request.kind") == "token_endpoint"
            and flow.response is not None
            and 200 <= flow.response.status_code < 300
            and "oauth.refresh_issued" in facts  # the answer carried an access token
        )
        self.timeline.add(when, failed, issued)
        primary = diagnosis.primary
        is_failure_cause = failed and primary is not None and primary.severity == "error"

        def example(finding: Finding | None, also: tuple[Finding, ...] = ()) -> Example:
            return Example(
                time=when,
                file=judged.file.name,
                method=flow.request.method,
                url=str(facts["request.url"]),
                status=flow.response.status_code if flow.response else None,
                request_id=_text_or_none(facts.get("response.request_id")),
                finding=finding,
                also=also,
            )

        if failed:
            self.failures += 1
            cause = diagnosis.cause or UNEXPLAINED
            group = self.groups.setdefault(cause, CauseGroup(cause))
            group.count += 1
            group.first, group.last = min(group.first, when), max(group.last, when)
            explained = primary if is_failure_cause else None
            if len(group.examples) < EXAMPLES_PER_CAUSE:
                also = tuple(
                    f
                    for f in diagnosis.findings[1:]
                    if f.severity == "error"
                    and f.rule not in self.pattern_rule_ids
                    and f.cause not in PATTERN_CAUSES
                )
                group.examples.append(example(explained, also))
            self._event(Event(when, *_line(flow, facts), cause, _title(explained), True))
        elif issued:
            self._event(Event(when, *_line(flow, facts), "token issued", _grant(facts), False))
        for finding in diagnosis.findings:
            if finding is primary and is_failure_cause:
                continue
            if finding.rule in self.pattern_rule_ids or finding.cause in PATTERN_CAUSES:
                seen = self.patterns
            elif finding.severity != "error":
                seen = self.warnings
            else:
                continue  # a second error of a failure: shown with its example
            if (pattern := seen.get(finding.rule)) is None:
                pattern = seen[finding.rule] = Pattern(
                    finding.rule, finding.cause, finding.severity, finding.title, example(finding)
                )
            pattern.count += 1

    def _event(self, event: Event) -> None:
        self.events_total += 1
        heapq.heappush(self.events, (-event.time, -next(self.order), event))
        if len(self.events) > MAX_EVENTS:
            heapq.heappop(self.events)  # the latest goes: the table keeps the earliest

    def build(
        self, store: SessionStore, files: Iterable[Path | str], skipped_entries: int = 0
    ) -> Report:
        def by_count(item: CauseGroup | Pattern) -> tuple[int, int, str]:
            return (-item.count, PRECEDENCE_RANK.get(item.cause, len(PRECEDENCE_RANK)), item.cause)

        return Report(
            files=[str(f) for f in files],
            requests=self.requests,
            failures=self.failures,
            unanswered=self.unanswered,
            first=self.first,
            last=self.last,
            groups=sorted(self.groups.values(), key=by_count),
            patterns=sorted(self.patterns.values(), key=by_count),
            warnings=sorted(self.warnings.values(), key=by_count),
            events=[e for _, _, e in sorted(self.events, key=lambda k: (-k[0], -k[1]))],
            events_total=self.events_total,
            timeline=self.timeline.buckets(),
            bucket_width=self.timeline.width,
            clock=store.clock_offset(),
            skipped_entries=skipped_entries,
        )


def build_report(
    results: Iterable[Judged],
    store: SessionStore,
    ruleset: Ruleset,
    files: Iterable[Path | str],
    read: ReadReport | None = None,
) -> Report:
    """Stream `results` (offline.judge's, with the same store and read report) into a Report."""
    builder = ReportBuilder(pattern_rules(ruleset))
    for judged in results:
        builder.add(judged)
    return builder.build(store, files, read.skipped_entries if read else 0)


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _line(flow: http.HTTPFlow, facts: dict[str, Any]) -> tuple[str, str, int | None]:
    status = flow.response.status_code if flow.response is not None else None
    return flow.request.method, str(facts["request.url"]), status


def _title(finding: Finding | None) -> str:
    return finding.title if finding is not None else "no rule explains this failure"


def _grant(facts: dict[str, Any]) -> str:
    parts = []
    if (expires := facts.get("oauth.expires_in")) is not None:
        parts.append(f"expires in {human_duration(expires)}")
    if (scopes := facts.get("oauth.scope_granted")) is not None:
        parts.append("scope " + (" ".join(scopes) or "(none)"))
    return "; ".join(parts)


# --- words --------------------------------------------------------------------------------


def _plural(count: int, one: str) -> str:
    return f"{count} {one if count == 1 else one + 's'}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def describe(cause: str) -> str:
    return ALL_CAUSES.get(cause, "no rule explains this failure")


def summary(report: Report) -> str:
    """The paragraph at the top, in plain words: counts, causes, and what to fix first."""
    if report.requests == 0:
        return (
            "No requests to analyse were found in the recording (none carried credentials, "
            "got 401 or 403, or went to a profiled API)."
        )
    failed = "none" if report.failures == 0 else str(report.failures)
    words = [f"{_plural(report.requests, 'request')}, {failed} failed on authentication."]
    if report.groups:
        top = report.groups[0]
        what = f"{top.cause}: {describe(top.cause)}"
        if report.failures == 1:
            words.append(f"The failure is {what}.")
        elif top.count == report.failures:
            words.append(f"All {report.failures} failures are {what}.")
        else:
            words.append(f"Most failures ({top.count}) are {what}.")
        others = ", ".join(f"{g.cause} ({g.count})" for g in report.groups[1:])
        if others:
            words.append(f"Other causes: {others}.")
        finding = next((e.finding for e in top.examples if e.finding is not None), None)
        if finding is not None and finding.fix:
            step = finding.fix[0].split("\n$ ", 1)[0].rstrip(".:")
            words.append(f"Fix this first: {step}.")
    if report.patterns:
        found = ", ".join(f"{p.cause} ({p.count})" for p in report.patterns)
        words.append(f"Session patterns: {found}.")
    if report.unanswered:
        words.append(f"{_plural(report.unanswered, 'request')} got no response.")
    return " ".join(words)


def clock_text(clock: tuple[int, int, int] | None) -> str:
    if clock is None:
        return "no Date headers"
    median, spread, samples = clock
    if median == 0:
        stands = "in step with the recording machine's"
    else:
        side = "ahead of" if median > 0 else "behind"
        stands = f"{human_duration(median)} {side} the recording machine's"
    return (
        f"the server's clock was {stands} (median {median} s of {_plural(samples, 'answer')}, "
        f"spread between quartiles {spread} s)"
    )


def _time(when: float | None) -> str:
    return "-" if when is None else iso_utc(when)


def _short(when: float) -> str:
    return iso_utc(when)[:19]


def _environment(report: Report) -> list[tuple[str, str]]:
    rows = [(name, version) for name, version in report.versions.items()]
    rows.append(("Files analysed", ", ".join(report.files) or "-"))
    rows.append(("First request", _time(report.first)))
    rows.append(("Last request", _time(report.last)))
    if report.first is not None and report.last is not None:
        rows.append(("Span", human_duration(report.last - report.first)))
    rows.append(("Clock offset", clock_text(report.clock)))
    if report.skipped_entries:
        rows.append(("Unreadable HAR entries", str(report.skipped_entries)))
    rows.append(("Generated", iso_utc(report.generated)))
    return rows


def _fix_parts(step: str) -> tuple[str, str | None]:
    """A rendered fix step is its text, then "\n$ command" when it has one."""
    text, _, command = step.partition("\n$ ")
    return text, command or None


def _status(status: int | None) -> str:
    return "no response" if status is None else str(status)


def _more(group: CauseGroup) -> str | None:
    rest = group.count - len(group.examples)
    if rest <= 0:
        return None
    return (
        f"and {rest} more (between {iso_utc(group.first)} and {iso_utc(group.last)}; "
        "see the table above for the earliest)"
    )


# --- HTML ---------------------------------------------------------------------------------


def _h(value: object) -> str:
    """Text content: escaped, quotes left readable."""
    return html.escape(str(value), quote=False)


def _attr(value: object) -> str:
    return html.escape(str(value), quote=True)


def _link(url: str) -> str:
    """A reference as a link, when it is a web address; anything else stays text."""
    if re.match(r"https?://", url, re.IGNORECASE):
        return f'<a href="{_attr(url)}">{_h(url)}</a>'
    return _h(url)


STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e;
  --line: #d1d9e0; --soft: #f6f8fa; --error: #b42318; --warning: #9a6700; --info: #0969da;
  --ok: #8c959f; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1;
  --line: #3d444d; --soft: #161b22; --error: #ff7b72; --warning: #d29922; --info: #4493f8;
  --ok: #6e7681; } }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; color: var(--fg); background: var(--bg); max-width: 60rem;
  margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: .3rem; }
h2 { font-size: 1.35rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem;
  margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
h4 { font-size: 1rem; margin: 1rem 0 .3rem; }
.summary { font-size: 1.08rem; background: var(--soft); border-left: 4px solid var(--error);
  padding: .8rem 1rem; border-radius: 4px; }
.summary.clean { border-left-color: var(--ok); }
.muted, .meta { color: var(--muted); font-size: .92rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .92rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--soft); }
td.url, .url { word-break: break-all; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .88rem; }
pre { background: var(--soft); padding: .6rem .8rem; border-radius: 4px; overflow-x: auto;
  white-space: pre-wrap; word-break: break-all; }
article { border: 1px solid var(--line); border-radius: 6px; padding: .2rem 1rem .6rem;
  margin: .8rem 0; }
.sev { display: inline-block; font-size: .78rem; font-weight: 600; padding: 0 .45rem;
  border-radius: 999px; color: #fff; vertical-align: middle; }
.sev.error { background: var(--error); } .sev.warning { background: var(--warning); }
.sev.info { background: var(--info); }
tr.failed td:first-child { border-left: 3px solid var(--error); }
tr.issued td:first-child { border-left: 3px solid var(--info); }
svg { width: 100%; height: auto; display: block; }
svg text { fill: var(--muted); font-size: 11px; font-family: inherit; }
svg .ok { fill: var(--ok); } svg .failed { fill: var(--error); }
svg .issued { fill: var(--info); } svg .axis { stroke: var(--line); }
.legend span { margin-right: 1rem; } .swatch { display: inline-block; width: .8rem;
  height: .8rem; border-radius: 2px; margin-right: .3rem; vertical-align: -1px; }
footer { margin-top: 3rem; }
"""


def _svg(report: Report) -> str:
    buckets = report.timeline
    if not buckets:
        return '<p class="muted">No requests to chart.</p>'
    width, height, left, right, top, bottom = 720, 190, 36, 12, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    tallest = max(b.requests for b in buckets)
    slot = plot_w / len(buckets)
    bar = max(min(slot * 0.8, 40.0), 1.0)
    scale = plot_h / tallest
    base = top + plot_h
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">Requests over time, failures in red; each bar '
        f"{_h(human_duration(report.bucket_width))}</title>",
        f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" '
        'stroke="#d1d9e0"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" '
        'stroke="#d1d9e0" stroke-dasharray="3 3"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{tallest}</text>',
        f'<text x="{left - 6}" y="{base + 4}" text-anchor="end">0</text>',
    ]
    for n, b in enumerate(buckets):
        if not b.requests:
            continue
        x = left + n * slot + (slot - bar) / 2
        ok_h, failed_h = (b.requests - b.failures) * scale, b.failures * scale
        tip = f"{_short(b.start)} UTC: {_plural(b.requests, 'request')}, {b.failures} failed" + (
            f", {_plural(b.issued, 'token')} issued" if b.issued else ""
        )
        parts.append(f"<g><title>{_h(tip)}</title>")
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
        if b.issued:
            cx, cy = x + bar / 2, base + 8
            parts.append(
                f'<path class="issued" d="M{cx:.1f} {cy - 5:.1f} L{cx + 5:.1f} {cy:.1f} '
                f'L{cx:.1f} {cy + 5:.1f} L{cx - 5:.1f} {cy:.1f} Z" fill="#0969da"/>'
            )
        parts.append("</g>")
    end = buckets[-1].start + report.bucket_width
    parts.append(f'<text x="{left}" y="{height - 4}">{_h(_short(buckets[0].start))}</text>')
    parts.append(
        f'<text x="{width - right}" y="{height - 4}" text-anchor="end">{_h(_short(end))}</text>'
    )
    parts.append("</svg>")
    legend = (
        '<p class="legend muted"><span><i class="swatch" style="background:var(--ok)"></i>'
        'requests</span><span><i class="swatch" style="background:var(--error)"></i>'
        'failed on authentication</span><span><i class="swatch" style="background:var(--info)">'
        f"</i>token issued</span><span>each bar: {_h(human_duration(report.bucket_width))}, "
        "times in UTC</span></p>"
    )
    return "\n".join(parts) + "\n" + legend


def _html_events(report: Report) -> list[str]:
    if not report.events:
        return ['<p class="muted">No tokens were issued and no request failed.</p>']
    out = [
        "<table>",
        "<thead><tr><th>time (UTC)</th><th>method</th><th>URL</th><th>status</th>"
        "<th>cause</th></tr></thead>",
        "<tbody>",
    ]
    for e in report.events:
        css = "failed" if e.failed else "issued"
        cause = f"<code>{_h(e.cause)}</code>" if e.failed else _h(e.cause)
        detail = f'<br><span class="muted">{_h(e.detail)}</span>' if e.detail else ""
        out.append(
            f'<tr class="{css}"><td>{_h(_short(e.time))}</td><td>{_h(e.method)}</td>'
            f'<td class="url">{_h(e.url)}</td><td>{_h(_status(e.status))}</td>'
            f"<td>{cause}{detail}</td></tr>"
        )
    out.append("</tbody></table>")
    if report.events_total > len(report.events):
        hidden = report.events_total - len(report.events)
        out.append(f'<p class="muted">and {hidden} more later events not listed.</p>')
    return out


def _html_meta(example: Example) -> str:
    bits = [
        f"{_h(iso_utc(example.time))}",
        f'<span class="url">{_h(example.method)} {_h(example.url)}</span>',
        f"status {_h(_status(example.status))}",
    ]
    if example.request_id:
        bits.append(f"request id <code>{_h(example.request_id)}</code>")
    bits.append(f"file {_h(example.file)}")
    return '<p class="meta">' + " · ".join(bits) + "</p>"


def _html_finding(finding: Finding) -> list[str]:
    out = [f"<p>{_h(finding.explain)}</p>"]
    if finding.fix:
        out.append("<p><strong>Fix</strong></p><ol>")
        for step in finding.fix:
            text, command = _fix_parts(step)
            pre = f"<pre><code>{_h(command)}</code></pre>" if command else ""
            out.append(f"<li>{_h(text)}{pre}</li>")
        out.append("</ol>")
    if finding.references:
        out.append('<p class="muted">References: ')
        out.append(", ".join(_link(r) for r in finding.references))
        out.append("</p>")
    return out


def _sev(severity: str) -> str:
    return f'<span class="sev {_attr(severity)}">{_h(severity)}</span>'


def _html_failures(report: Report) -> list[str]:
    if not report.groups:
        return ['<p class="muted">No request failed on authentication.</p>']
    out: list[str] = []
    for group in report.groups:
        out.append(
            f'<h3 id="cause-{_attr(group.cause)}"><code>{_h(group.cause)}</code>: '
            f"{_h(_plural(group.count, 'failure'))}</h3>"
        )
        out.append(f'<p class="muted">{_h(describe(group.cause))}</p>')
        for example in group.examples:
            finding = example.finding
            out.append("<article>")
            if finding is None:
                out.append("<h4>No rule explains this failure</h4>")
                out.append(_html_meta(example))
            else:
                out.append(f"<h4>{_h(finding.title)} {_sev(finding.severity)}</h4>")
                out.append(_html_meta(example))
                out.append(
                    f'<p class="meta">cause <code>{_h(finding.cause)}</code> · rule '
                    f"<code>{_h(finding.rule)}</code> · confidence {_h(finding.confidence)}</p>"
                )
                out.extend(_html_finding(finding))
            if example.also:
                also = "; ".join(
                    f"{_h(f.title)} (<code>{_h(f.cause)}</code>)" for f in example.also
                )
                out.append(f'<p class="muted">Also found on this request: {also}</p>')
            out.append("</article>")
        if more := _more(group):
            out.append(f'<p class="muted">{_h(more)}</p>')
    return out


def _html_patterns(patterns: list[Pattern], empty: str) -> list[str]:
    if not patterns:
        return [f'<p class="muted">{_h(empty)}</p>']
    out: list[str] = []
    for p in patterns:
        out.append(
            f"<h3>{_h(p.title)} {_sev(p.severity)}</h3>"
            f'<p class="meta">cause <code>{_h(p.cause)}</code> · rule <code>{_h(p.rule)}</code> · '
            f"seen {_h(_times(p.count))}; the first:</p>"
        )
        out.append("<article>")
        out.append(_html_meta(p.example))
        if p.example.finding is not None:
            out.extend(_html_finding(p.example.finding))
        out.append("</article>")
    return out


def render_html(report: Report) -> str:
    clean = "" if report.failures else " clean"
    env = "".join(f"<tr><th>{_h(k)}</th><td>{_h(v)}</td></tr>" for k, v in _environment(report))
    body = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="referrer" content="no-referrer">',
        "<title>authdoctor report</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header><h1>authdoctor report</h1></header>",
        "<main>",
        f'<p class="summary{clean}" id="summary">{_h(summary(report))}</p>',
        "<h2>Environment</h2>",
        f"<table>{env}</table>",
        "<h2>Timeline</h2>",
        _svg(report),
        "<h3>Token issuance and failures</h3>",
        *_html_events(report),
        "<h2>Failures</h2>",
        *_html_failures(report),
        "<h2>Session patterns</h2>",
        *_html_patterns(report.patterns, "No session patterns found."),
    ]
    if report.warnings:
        body += ["<h2>Other warnings</h2>", *_html_patterns(report.warnings, "")]
    body += [
        "</main>",
        f'<footer class="muted">Generated by authdoctor {_h(__version__)} on '
        f"{_h(iso_utc(report.generated))}. URLs are shown with credentials redacted; "
        "no token, header or body is included.</footer>",
        "</body>",
        "</html>",
    ]
    return valid_unicode("\n".join(body) + "\n")  # wire values may hold lone surrogates


# --- Markdown -----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*<>\[\]])")


def _md(value: object) -> str:
    """Inline Markdown text: one line, with the characters that would start markup escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _cell(value: object) -> str:
    return _md(value).replace("|", "\\|")


def _fence(text: str, indent: str = "") -> list[str]:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return [f"{indent}{ticks}", *(indent + line for line in text.splitlines()), f"{indent}{ticks}"]


def _md_meta(example: Example) -> str:
    bits = [iso_utc(example.time), f"{example.method} {example.url}", _status(example.status)]
    if example.request_id:
        bits.append(f"request id {example.request_id}")
    bits.append(f"file {example.file}")
    return "*" + " · ".join(_md(b) for b in bits) + "*"


def _md_finding(finding: Finding) -> list[str]:
    out = [_md(finding.explain), ""]
    if finding.fix:
        out.append("**Fix**")
        out.append("")
        for n, step in enumerate(finding.fix, 1):
            text, command = _fix_parts(step)
            out.append(f"{n}. {_md(text)}")
            if command:
                out.append("")
                out.extend(_fence(command, "   "))
        out.append("")
    if finding.references:
        refs = (f"<{r}>" if _safe_ref(r) else _md(r) for r in finding.references)
        out.append("References: " + ", ".join(refs))
        out.append("")
    return out


def _safe_ref(url: str) -> bool:
    return re.fullmatch(r"https?://[^\s<>]+", url, re.IGNORECASE) is not None


def _md_patterns(patterns: list[Pattern]) -> list[str]:
    out: list[str] = []
    for p in patterns:
        out += [
            f"### {_md(p.title)}",
            "",
            f"`{p.cause}` ({p.severity}, rule `{p.rule}`), seen {_times(p.count)}; the first:",
            "",
            _md_meta(p.example),
            "",
        ]
        if p.example.finding is not None:
            out += _md_finding(p.example.finding)
    return out


def render_markdown(report: Report) -> str:
    out = ["# authdoctor report", "", _md(summary(report)), "", "## Environment", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| {_cell(k)} | {_cell(v)} |" for k, v in _environment(report)]
    out += ["", "## Timeline", ""]
    busy = [b for b in report.timeline if b.requests]
    if busy:
        width = human_duration(report.bucket_width)
        out.append(f"Requests per {width} (UTC; empty spans left out):")
        out += ["", "| from (UTC) | requests | failed | tokens issued |", "|---|---:|---:|---:|"]
        out += [f"| {_short(b.start)} | {b.requests} | {b.failures} | {b.issued} |" for b in busy]
    else:
        out.append("No requests to chart.")
    out += ["", "### Token issuance and failures", ""]
    if report.events:
        out += ["| time (UTC) | method | URL | status | cause |", "|---|---|---|---|---|"]
        for e in report.events:
            cause = f"`{e.cause}`" if e.failed else e.cause
            detail = f" ({_cell(e.detail)})" if e.detail else ""
            out.append(
                f"| {_short(e.time)} | {_cell(e.method)} | {_cell(e.url)} | "
                f"{_status(e.status)} | {cause}{detail} |"
            )
        if report.events_total > len(report.events):
            out += ["", f"and {report.events_total - len(report.events)} more later events."]
    else:
        out.append("No tokens were issued and no request failed.")
    out += ["", "## Failures", ""]
    if not report.groups:
        out += ["No request failed on authentication.", ""]
    for group in report.groups:
        out += [f"### `{group.cause}`: {_plural(group.count, 'failure')}", ""]
        out += [f"_{_md(describe(group.cause))}_", ""]
        for n, example in enumerate(group.examples, 1):
            finding = example.finding
            title = "No rule explains this failure" if finding is None else finding.title
            out += [f"#### {n}. {_md(title)}", "", _md_meta(example), ""]
            if finding is not None:
                out += [
                    f"{finding.severity} · cause `{finding.cause}` · rule `{finding.rule}` · "
                    f"confidence {finding.confidence}",
                    "",
                    *_md_finding(finding),
                ]
            if example.also:
                also = "; ".join(f"{_md(f.title)} (`{f.cause}`)" for f in example.also)
                out += [f"Also found on this request: {also}", ""]
        if more := _more(group):
            out += [_md(more), ""]
    out += ["## Session patterns", ""]
    out += _md_patterns(report.patterns) if report.patterns else ["No session patterns found.", ""]
    if report.warnings:
        out += ["## Other warnings", "", *_md_patterns(report.warnings)]
    out += [
        "---",
        "",
        f"Generated by authdoctor {__version__} on {iso_utc(report.generated)}. URLs are shown "
        "with credentials redacted; no token, header or body is included.",
    ]
    return valid_unicode("\n".join(out) + "\n")


FORMATS: dict[str, Callable[[Report], str]] = {".html": render_html, ".md": render_markdown}
