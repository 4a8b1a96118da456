"""Recordings from elsewhere: flow files and HAR documents of any content, read, judged and
redacted; a file is read or refused with RecordingError, never anything else."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import io as mitm_io

from authdoctor.engine.sessions import SessionStore
from authdoctor.recordings.reading import ReadReport
from authdoctor.recordings.reading import RecordingError
from authdoctor.recordings.reading import judge
from authdoctor.recordings.reading import read_flows
from authdoctor.redaction.redactor import Redactor
from tests.hostile import shipped
from tests.hostile.strategies import B64URL_CHARS
from tests.hostile.strategies import CONTENT_TYPES
from tests.hostile.strategies import assert_declared
from tests.hostile.strategies import authorization_values
from tests.hostile.strategies import challenges
from tests.hostile.strategies import flows
from tests.hostile.strategies import hostile_text
from tests.hostile.strategies import json_values
from tests.hostile.strategies import scaled
from tests.hostile.strategies import wire


def _maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly what HAR says, sometimes any JSON at all in its place."""
    return st.one_of(valid, valid, valid, json_values)


har_headers = st.lists(
    st.fixed_dictionaries(
        {
            "name": _maybe(st.sampled_from(["Authorization", "WWW-Authenticate", "Content-Type",
                                            "Content-Encoding", "X-Api-Key", "Cookie"])),
            "value": _maybe(authorization_values | challenges | hostile_text),
        }
    ),
    max_size=4,
)  # fmt: skip
har_content = st.fixed_dictionaries(
    {"size": _maybe(st.integers(0, 100)), "mimeType": _maybe(st.sampled_from(CONTENT_TYPES))},
    optional={
        "text": _maybe(hostile_text | st.text(alphabet=B64URL_CHARS + "+/=", max_size=40)),
        "encoding": _maybe(st.just("base64")),
    },
)
har_entries = st.fixed_dictionaries(
    {
        "startedDateTime": _maybe(st.sampled_from(["2000-01-01T00:00:00Z", "2000-01-01"])),
        "time": _maybe(st.floats(0, 1e6)),
        "request": _maybe(
            st.fixed_dictionaries(
                {
                    "method": _maybe(st.sampled_from(["GET", "POST"])),
                    "url": _maybe(st.sampled_from(["https://api.xxx.com/v2/devices",
                                                   "http://127.0.0.1:1/oauth/token?x=y"])),
                    "httpVersion": _maybe(st.just("HTTP/1.1")),
                    "headers": _maybe(har_headers),
                    "cookies": _maybe(st.lists(json_values, max_size=2)),
                    "queryString": _maybe(st.lists(json_values, max_size=2)),
                },
                optional={"postData": _maybe(st.fixed_dictionaries({"text": hostile_text}))},
            )
        ),
        "response": _maybe(
            st.fixed_dictionaries(
                {
                    "status": _maybe(st.sampled_from([200, 401, 403])),
                    "statusText": _maybe(st.just("")),
                    "httpVersion": _maybe(st.just("HTTP/1.1")),
                    "headers": _maybe(har_headers),
                    "content": _maybe(har_content),
                }
            )
        ),
    }
)  # fmt: skip
hars = st.fixed_dictionaries(
    {"log": st.fixed_dictionaries({"entries": st.lists(har_entries, max_size=4)})}
)


def _finite(value: Any) -> Any:
    """The value as valid JSON can carry it: NaN and the infinities become null."""
    if (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def har_bytes(har: dict) -> bytes:
    return wire(json.dumps(_finite(har)))


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("recordings")


def _flow_file(flows_: list[Any]) -> bytes:
    buffer = io.BytesIO()
    writer = mitm_io.FlowWriter(buffer)
    for f in flows_:
        writer.add(f)
    return buffer.getvalue()


recording_bytes = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=200).map(lambda b: b"{" + b),
    st.binary(max_size=200).map(lambda b: b'\xef\xbb\xbf {"log": {"entries": [' + b),
    hars.map(har_bytes),
    st.lists(flows(), max_size=2)
    .map(_flow_file)
    .flatmap(lambda data: st.sampled_from([data, data[: len(data) // 2], data + b"x", data[1:]])),
)


@scaled(0.5)
@given(data=recording_bytes)
def test_any_file_is_read_as_flows_or_refused_by_name(folder: Path, data: bytes) -> None:
    path = _write(folder, "any.rec", data)
    report = ReadReport()
    try:
        flows_ = list(read_flows(path, report))
    except RecordingError as e:
        assert str(path) in str(e)
        return
    assert report.skipped_entries >= 0
    assert all(f.request is not None for f in flows_)


@scaled(0.5)
@given(har=hars)
def test_every_har_entry_is_a_flow_or_counted_as_skipped(folder: Path, har: dict) -> None:
    path = _write(folder, "any.har", har_bytes(har))
    report = ReadReport()
    flows_ = list(read_flows(path, report))
    assert len(flows_) + report.skipped_entries == len(har["log"]["entries"])


@scaled(0.3)
@given(har=hars)
def test_any_har_is_judged_with_declared_facts(folder: Path, har: dict) -> None:
    path = _write(folder, "judged.har", har_bytes(har))
    for judged in judge([path], shipped.settings(), shipped.rules(), SessionStore(), ReadReport()):
        assert_declared(judged.analysis.facts)


@scaled(0.5)
@given(hars | st.dictionaries(hostile_text, json_values, max_size=3))
def test_any_har_document_is_redacted_without_changing_it(har: dict) -> None:
    before = copy.deepcopy(har)
    redacted = Redactor(key=b"k" * 32).har(har)
    assert isinstance(redacted, dict)
    assert json.dumps(har) == json.dumps(before)
