"""Offline analysis of recordings: mitmproxy flow files and HAR, the same diagnosis as live.

Flows are read one at a time (mitmproxy's FlowReader streams .mitm files; HAR documents are
detected by their leading brace and converted by mitmproxy's own HAR reader) and judged in
order with a session store of their own, "now" being each request's own send time.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mitmproxy import http
from mitmproxy import io
from mitmproxy.exceptions import FlowReadException

from authdoctor.analysis import Analysis
from authdoctor.analysis import analyze
from authdoctor.analysis import is_relevant
from authdoctor.ruleset import Ruleset
from authdoctor.session_record import record
from authdoctor.sessions import SessionStore
from authdoctor.settings import Settings


class RecordingError(Exception):
    """A recording cannot be read; the message names the file."""


@dataclass(frozen=True, slots=True)
class Judged:
    file: Path
    flow: http.HTTPFlow
    analysis: Analysis


def read_flows(path: Path) -> Iterator[http.HTTPFlow]:
    """HTTP flows of one .mitm or HAR file, one at a time."""
    try:
        with path.open("rb") as handle:
            for flow in io.FlowReader(handle).stream():
                if isinstance(flow, http.HTTPFlow):
                    yield flow
    except OSError as e:
        raise RecordingError(f"{path}: cannot read: {e.strerror or e}") from None
    except FlowReadException as e:
        raise RecordingError(f"{path}: not a mitmproxy flow file or HAR: {e}") from None


def judge(
    paths: Iterable[Path], settings: Settings, ruleset: Ruleset, store: SessionStore
) -> Iterator[Judged]:
    """Every relevant flow of the recordings, diagnosed in the order recorded."""
    for path in paths:
        for flow in read_flows(path):
            if not is_relevant(flow, settings, frozenset()):
                continue
            result = analyze(flow, ruleset, settings, None, store)
            record(store, flow, result.facts, result.diagnosis)
            yield Judged(path, flow, result)
