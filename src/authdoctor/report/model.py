"""What a report knows about a recording: counts, failures by cause, session patterns, events and
the timeline. No words here: wording.py says it, html.py and markdown.py lay it out.

A `ReportBuilder` takes the judged flows one at a time and keeps only what the report shows,
within fixed bounds whatever the recording's size: a few failures in full per cause and counts
for the rest, one example per session pattern, the earliest token issuances and failures for
the event table, and the timeline as buckets that widen as the recording grows. What it keeps
comes from what the analysis already made (findings, redacted URLs, response facts), never from
raw headers or bodies, so no token or secret reaches the report.
"""

from __future__ import annotations

import heapq
import itertools
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path

from mitmproxy.version import VERSION as MITMPROXY_VERSION

from authdoctor import __version__
from authdoctor.engine import PRECEDENCE_RANK
from authdoctor.engine import Finding
from authdoctor.engine import Ruleset
from authdoctor.engine import SessionStore
from authdoctor.recordings import Judged
from authdoctor.recordings import ReadReport

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
    """The failures of one cause: how many, when, and the first few in full."""

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
    """A row of the issuance-and-failure table: a request that failed, or a token issued."""

    time: float
    method: str
    url: str
    status: int | None
    cause: str | None  # the failure's cause; None for a token issued
    finding: Finding | None = None  # the rule that explains the failure, if one does
    expires_in: int | None = None  # of the token issued, in seconds
    scopes: tuple[str, ...] | None = None  # granted with the token issued

    @property
    def failed(self) -> bool:
        return self.cause is not None


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
        when = flow.request.timestamp_start
        failed = bool(facts.get("response.auth_failed"))
        issued = _token_issued(judged)
        self._count(when, answered=flow.response is not None)
        self.timeline.add(when, failed, issued)
        explained = _explained(judged) if failed else None
        if failed:
            self._failure(judged, explained)
        elif issued:
            self._event(_event(judged, None))
        self._patterns(judged, explained)

    def _count(self, when: float, answered: bool) -> None:
        self.requests += 1
        self.unanswered += not answered
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)

    def _failure(self, judged: Judged, explained: Finding | None) -> None:
        """Count the failure under its cause; keep it in full while the cause has few."""
        when = judged.flow.request.timestamp_start
        self.failures += 1
        cause = judged.analysis.diagnosis.cause or UNEXPLAINED
        group = self.groups.setdefault(cause, CauseGroup(cause))
        group.count += 1
        group.first, group.last = min(group.first, when), max(group.last, when)
        if len(group.examples) < EXAMPLES_PER_CAUSE:
            group.examples.append(_example(judged, explained, self._also(judged)))
        self._event(_event(judged, cause, explained))

    def _also(self, judged: Judged) -> tuple[Finding, ...]:
        """The request's other errors, the session patterns left out: they have their own."""
        return tuple(
            f
            for f in judged.analysis.diagnosis.findings[1:]
            if f.severity == "error" and not self._is_pattern(f)
        )

    def _is_pattern(self, finding: Finding) -> bool:
        return finding.rule in self.pattern_rule_ids or finding.cause in PATTERN_CAUSES

    def _patterns(self, judged: Judged, explained: Finding | None) -> None:
        """Count each session pattern and warning by rule, keeping the first as the example."""
        for finding in judged.analysis.diagnosis.findings:
            if finding is explained:
                continue
            if self._is_pattern(finding):
                seen = self.patterns
            elif finding.severity != "error":
                seen = self.warnings
            else:
                continue  # a second error of a failure: shown with its example
            if (pattern := seen.get(finding.rule)) is None:
                pattern = seen[finding.rule] = Pattern(
                    finding.rule,
                    finding.cause,
                    finding.severity,
                    finding.title,
                    _example(judged, finding),
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
        return Report(
            files=[str(f) for f in files],
            requests=self.requests,
            failures=self.failures,
            unanswered=self.unanswered,
            first=self.first,
            last=self.last,
            groups=sorted(self.groups.values(), key=_by_count),
            patterns=sorted(self.patterns.values(), key=_by_count),
            warnings=sorted(self.warnings.values(), key=_by_count),
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


def _by_count(item: CauseGroup | Pattern) -> tuple[int, int, str]:
    """The most frequent first; a tie goes to the cause that decides first."""
    return (-item.count, PRECEDENCE_RANK.get(item.cause, len(PRECEDENCE_RANK)), item.cause)


def _token_issued(judged: Judged) -> bool:
    """A successful token-endpoint answer that carried an access token."""
    flow, facts = judged.flow, judged.analysis.facts
    return (
        facts.get("request.kind") == "token_endpoint"
        and flow.response is not None
        and 200 <= flow.response.status_code < 300
        and "oauth.refresh_issued" in facts  # the answer carried an access token
    )


def _explained(judged: Judged) -> Finding | None:
    """The error that explains a failed request, if a rule found one."""
    primary = judged.analysis.diagnosis.primary
    return primary if primary is not None and primary.severity == "error" else None


def _status(judged: Judged) -> int | None:
    response = judged.flow.response
    return response.status_code if response is not None else None


def _example(judged: Judged, finding: Finding | None, also: tuple[Finding, ...] = ()) -> Example:
    flow, facts = judged.flow, judged.analysis.facts
    request_id = facts.get("response.request_id")
    return Example(
        time=flow.request.timestamp_start,
        file=judged.file.name,
        method=flow.request.method,
        url=str(facts["request.url"]),
        status=_status(judged),
        request_id=None if request_id is None else str(request_id),
        finding=finding,
        also=also,
    )


def _event(judged: Judged, cause: str | None, finding: Finding | None = None) -> Event:
    """A failure's row (its cause and what explains it), or a token issued (cause None)."""
    flow, facts = judged.flow, judged.analysis.facts
    scopes = facts.get("oauth.scope_granted") if cause is None else None
    return Event(
        time=flow.request.timestamp_start,
        method=flow.request.method,
        url=str(facts["request.url"]),
        status=_status(judged),
        cause=cause,
        finding=finding,
        expires_in=facts.get("oauth.expires_in") if cause is None else None,
        scopes=None if scopes is None else tuple(scopes),
    )
