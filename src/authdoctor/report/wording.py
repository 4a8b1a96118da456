"""The report's words, the same in HTML and Markdown: titles, sentences, labels and the summary.

Plain text, from the model only: html.py and markdown.py escape it and lay it out, so a
sentence is changed in one place for both.
"""

from __future__ import annotations

from authdoctor import __version__
from authdoctor.engine import ALL_CAUSES
from authdoctor.report.model import Bucket
from authdoctor.report.model import CauseGroup
from authdoctor.report.model import Event
from authdoctor.report.model import Report
from authdoctor.util import human_duration
from authdoctor.util import iso_utc

TITLE = "authdoctor report"
# The sections, in their order.
ENVIRONMENT = "Environment"
TIMELINE = "Timeline"
EVENTS = "Token issuance and failures"
FAILURES = "Failures"
PATTERNS = "Session patterns"
WARNINGS = "Other warnings"
# What a section says when it has nothing to show.
NO_CHART = "No requests to chart."
NO_EVENTS = "No tokens were issued and no request failed."
NO_FAILURES = "No request failed on authentication."
NO_PATTERNS = "No session patterns found."
NOTHING_ANALYSED = (
    "No requests to analyse were found in the recording (none carried credentials, "
    "got 401 or 403, or went to a profiled API)."
)
NO_RULE = "no rule explains this failure"
NO_RULE_TITLE = "No rule explains this failure"
ALSO_FOUND = "Also found on this request:"
ISSUED = "token issued"


def plural(count: int, one: str) -> str:
    return f"{count} {one if count == 1 else one + 's'}"


def times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def describe(cause: str) -> str:
    """A cause in plain words."""
    return ALL_CAUSES.get(cause, NO_RULE)


def summary(report: Report) -> str:
    """The paragraph at the top, in plain words: counts, causes, and what to fix first."""
    if report.requests == 0:
        return NOTHING_ANALYSED
    failed = "none" if report.failures == 0 else str(report.failures)
    words = [f"{plural(report.requests, 'request')}, {failed} failed on authentication."]
    if report.groups:
        words += _causes(report)
    if report.patterns:
        found = ", ".join(f"{p.cause} ({p.count})" for p in report.patterns)
        words.append(f"Session patterns: {found}.")
    if report.unanswered:
        words.append(f"{plural(report.unanswered, 'request')} got no response.")
    return " ".join(words)


def _causes(report: Report) -> list[str]:
    """The most frequent cause, the others, and the first step of the top cause's fix."""
    top = report.groups[0]
    what = f"{top.cause}: {describe(top.cause)}"
    if report.failures == 1:
        words = [f"The failure is {what}."]
    elif top.count == report.failures:
        words = [f"All {report.failures} failures are {what}."]
    else:
        words = [f"Most failures ({top.count}) are {what}."]
    if others := ", ".join(f"{g.cause} ({g.count})" for g in report.groups[1:]):
        words.append(f"Other causes: {others}.")
    finding = next((e.finding for e in top.examples if e.finding is not None), None)
    if finding is not None and finding.fix:
        step = finding.fix[0].split("\n$ ", 1)[0].rstrip(".:")
        words.append(f"Fix this first: {step}.")
    return words


def clock_text(clock: tuple[int, int, int] | None) -> str:
    """The server's clock against the recording machine's, from the Date headers."""
    if clock is None:
        return "no Date headers"
    median, spread, samples = clock
    if median == 0:
        stands = "in step with the recording machine's"
    else:
        side = "ahead of" if median > 0 else "behind"
        stands = f"{human_duration(median)} {side} the recording machine's"
    return (
        f"the server's clock was {stands} (median {median} s of {plural(samples, 'answer')}, "
        f"spread between quartiles {spread} s)"
    )


def time_text(when: float | None) -> str:
    return "-" if when is None else iso_utc(when)


def short_time(when: float) -> str:
    """A time to the second, without the zone: for table cells and the chart's labels."""
    return iso_utc(when)[:19]


def status_text(status: int | None) -> str:
    return "no response" if status is None else str(status)


def environment(report: Report) -> list[tuple[str, str]]:
    """The environment table's rows: versions, files, the span and the clock."""
    rows = [(name, version) for name, version in report.versions.items()]
    rows.append(("Files analysed", ", ".join(report.files) or "-"))
    rows.append(("First request", time_text(report.first)))
    rows.append(("Last request", time_text(report.last)))
    if report.first is not None and report.last is not None:
        rows.append(("Span", human_duration(report.last - report.first)))
    rows.append(("Clock offset", clock_text(report.clock)))
    if report.skipped_entries:
        rows.append(("Unreadable HAR entries", str(report.skipped_entries)))
    rows.append(("Generated", iso_utc(report.generated)))
    return rows


def fix_parts(step: str) -> tuple[str, str | None]:
    """A rendered fix step is its text, then "\n$ command" when it has one."""
    text, _, command = step.partition("\n$ ")
    return text, command or None


def more_text(group: CauseGroup) -> str | None:
    """What a cause's failures past its examples were, when there are more."""
    rest = group.count - len(group.examples)
    if rest <= 0:
        return None
    return (
        f"and {rest} more (between {iso_utc(group.first)} and {iso_utc(group.last)}; "
        "see the table above for the earliest)"
    )


def seen_text(count: int) -> str:
    """How often a session pattern or warning matched, before its first example."""
    return f"seen {times(count)}; the first:"


def event_label(event: Event) -> str:
    """The event table's cause column: the failure's cause, or that a token was issued."""
    return event.cause if event.cause is not None else ISSUED


def event_detail(event: Event) -> str:
    """A failure's title, or the token's lifetime and scope as the token endpoint granted."""
    if event.failed:
        return event.finding.title if event.finding is not None else NO_RULE
    parts = []
    if event.expires_in is not None:
        parts.append(f"expires in {human_duration(event.expires_in)}")
    if event.scopes is not None:
        parts.append("scope " + (" ".join(event.scopes) or "(none)"))
    return "; ".join(parts)


def bucket_text(bucket: Bucket) -> str:
    """A timeline bucket in one line: when, how many requests, failures and tokens issued."""
    issued = f", {plural(bucket.issued, 'token')} issued" if bucket.issued else ""
    return (
        f"{short_time(bucket.start)} UTC: {plural(bucket.requests, 'request')}, "
        f"{bucket.failures} failed{issued}"
    )


def footer(report: Report) -> str:
    return (
        f"Generated by authdoctor {__version__} on {iso_utc(report.generated)}. URLs are shown "
        "with credentials redacted; no token, header or body is included."
    )
