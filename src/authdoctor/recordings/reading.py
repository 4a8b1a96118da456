"""Offline analysis of recordings: mitmproxy flow files and HAR, the same diagnosis as live.

Flows are read one at a time: mitmproxy's FlowReader streams .mitm files; HAR documents
(detected by their leading brace) are parsed incrementally with ijson and each entry converted
by mitmproxy's own HAR code, since mitmproxy itself loads a whole HAR at once. They are judged
in order with a session store of their own, "now" being each request's own send time.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import BinaryIO

import ijson
from mitmproxy import http
from mitmproxy import io
from mitmproxy.exceptions import FlowReadException
from mitmproxy.io.har import request_to_flow

from authdoctor.engine import Analysis
from authdoctor.engine import Analyzer
from authdoctor.engine import Ruleset
from authdoctor.engine import SessionStore
from authdoctor.engine import Settings
from authdoctor.errors import AuthDoctorError
from authdoctor.util import valid_unicode


class RecordingError(AuthDoctorError):
    """A recording cannot be read; the message names the file."""


@dataclass(frozen=True, slots=True)
class Judged:
    file: Path
    flow: http.HTTPFlow
    analysis: Analysis


@dataclass
class ReadReport:
    """What could not be read, for the closing line (HAR entries a converter refused)."""

    skipped_entries: int = 0


def read_flows(path: Path, report: ReadReport | None = None) -> Iterator[http.HTTPFlow]:
    """HTTP flows of one .mitm or HAR file, one at a time: constant memory for both."""
    try:
        with path.open("rb") as handle:
            if _is_json(handle):
                yield from _har_flows(path, handle, report or ReadReport())
                return
            for flow in io.FlowReader(handle).stream():
                if isinstance(flow, http.HTTPFlow):
                    yield flow
    except OSError as e:
        raise RecordingError(f"{path}: cannot read: {e.strerror or e}") from None
    except FlowReadException as e:
        raise RecordingError(f"{path}: not a mitmproxy flow file or HAR: {e}") from None


def _is_json(handle: BinaryIO) -> bool:
    """A HAR starts with '{', perhaps after a UTF-8 BOM (Fiddler) or white space."""
    start = handle.peek(64)[:64] if hasattr(handle, "peek") else b""
    return start.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{")


_ENTRIES = "log.entries.item"


def _har_entries(handle: BinaryIO) -> Iterator[Any]:
    """HAR entries one by one: ijson's fast C parser, and where a tool wrote text that is not
    valid Unicode (lone surrogates from binary bodies) or an integer past 64 bits (which the C
    parser refuses), its pure-Python parser from there on, with such characters replaced."""
    start = handle.tell()
    done = 0
    try:
        for entry in ijson.items(handle, _ENTRIES, use_float=True):
            done += 1
            yield entry
        return
    except (UnicodeDecodeError, ijson.JSONError):  # JSON that is broken fails again below
        handle.seek(start)
    slow = ijson.get_backend("python")
    for index, entry in enumerate(slow.items(handle, _ENTRIES, use_float=True)):
        if index >= done:
            yield valid_unicode(entry)


def _har_flows(path: Path, handle: BinaryIO, report: ReadReport) -> Iterator[http.HTTPFlow]:
    """Entries of a HAR 1.2 document, parsed incrementally (ijson), converted by mitmproxy."""
    if handle.peek(3)[:3] == b"\xef\xbb\xbf":  # type: ignore[attr-defined]
        handle.read(3)
    try:
        for entry in _har_entries(handle):
            try:
                flow = request_to_flow(entry)
            except Exception:
                report.skipped_entries += 1
                continue
            yield flow
    except ijson.JSONError as e:
        raise RecordingError(f"{path}: not valid HAR JSON: {e}") from None


def judge(
    paths: Iterable[Path],
    settings: Settings,
    ruleset: Ruleset,
    store: SessionStore,
    report: ReadReport | None = None,
) -> Iterator[Judged]:
    """Every relevant flow of the recordings, diagnosed in the order recorded."""
    analyzer = Analyzer(ruleset, settings, store)
    for path in paths:
        for flow in read_flows(path, report):
            if (result := analyzer.judge(flow)) is not None:
                yield Judged(path, flow, result)
