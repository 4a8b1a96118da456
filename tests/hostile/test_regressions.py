"""One example for each bug the hostile-input suite found, fixed in src/authdoctor; each test
failed before its fix (the linear-time fixes are proven in test_time_budget.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy import io as mitm_io
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.cli.bundle_command import leaks
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import annotate
from authdoctor.engine.facts.request import redacted_url
from authdoctor.keys.fetch import FetchError
from authdoctor.keys.fetch import FetchLimits
from authdoctor.keys.fetch import RemoteKeys
from authdoctor.keys.fetch import fetch_key_set
from authdoctor.keys.fetch import url_problem
from authdoctor.recordings.reading import ReadReport
from authdoctor.recordings.reading import read_flows
from authdoctor.recordings.writing import write_har
from authdoctor.redaction.redactor import Redactor
from tests.hostile import shipped
from tests.hostile.strategies import b64url
from tests.keyserver import Answer
from tests.keyserver import KeyServer

SECRET = "zQ7fK2pLm9XvB4nR8tYw"


def test_a_host_mitmproxy_cannot_parse_leaves_the_query_unread() -> None:
    """request.query raised ValueError ('Invalid IPv6 URL') out of analyze for host '[x'."""
    request = tutils.treq(host="[x", path=b"/v2/devices?access_token=abc")
    result = Analyzer(shipped.rules(), shipped.settings()).analyze(
        tflow.tflow(req=request, resp=tutils.tresp(status_code=401))
    )
    assert result.facts["request.credential_location"] == "none"
    assert "request.secret_query_params" not in result.facts


def test_a_query_that_is_not_utf8_keeps_its_bytes_in_the_redacted_url() -> None:
    """urlencode raised UnicodeEncodeError on the surrogate escapes of bytes that are not
    UTF-8, when an explanation showed request.url."""
    request = tutils.treq(path=b"/v2/devices?q=\xff\xfe&access_token=abc")
    assert redacted_url(request).endswith("/v2/devices?q=%FF%FE&access_token=REDACTED")


def test_an_annotated_flow_with_bytes_that_are_not_utf8_can_still_be_saved() -> None:
    """A path with bytes that are not UTF-8 and a claim with a lone surrogate reached the
    comment and metadata, and mitmproxy's flow writer then refused the flow."""
    claims = b64url(b'{"sub": "\\ud800", "exp": 1}')
    token = f"{b64url(b'{"alg": "none"}')}.{claims}."
    request = tutils.treq(
        host="api.xxx.com",
        port=443,
        path=b"/v2/\xff\xfe",
        headers=http.Headers([(b"Authorization", b"Bearer " + token.encode())]),
    )
    flow = tflow.tflow(req=request, resp=tutils.tresp(status_code=401))
    result = Analyzer(shipped.rules(), shipped.settings()).analyze(flow)
    annotate(flow, result.diagnosis, result.token_summary())
    assert flow.comment
    buffer = io.BytesIO()
    mitm_io.FlowWriter(buffer).add(flow)
    buffer.seek(0)
    (read,) = mitm_io.FlowReader(buffer).stream()
    assert read.comment == flow.comment


@pytest.mark.parametrize(
    ("where", "header"),
    [("challenge error", "WWW-Authenticate"), ("request id", "X-Request-Id")],
)
def test_a_key_the_server_echoes_outside_the_description_is_not_shown(
    where: str, header: str
) -> None:
    """Only error_description was masked: a key quoted in error=, realm=, a request id, an
    error code or the Server header reached the comment whole."""
    key = "sk_live_" + SECRET
    value = f'Bearer error="{key} is revoked"' if header == "WWW-Authenticate" else key
    request = tutils.treq(
        host="api.xxx.com",
        port=443,
        headers=http.Headers([(b"Authorization", f"Bearer {key}".encode())]),
    )
    response = tutils.tresp(
        status_code=401, headers=http.Headers([(header.encode(), value.encode())])
    )
    flow = tflow.tflow(req=request, resp=response)
    result = Analyzer(shipped.rules(), shipped.settings()).analyze(flow)
    annotate(flow, result.diagnosis, result.token_summary())
    assert flow.comment and SECRET not in flow.comment
    assert SECRET not in json.dumps(flow.metadata["authdoctor"])


def test_a_credential_echoed_before_it_is_sent_is_redacted_too() -> None:
    """Redactor.flow read the URL before the headers: a token echoed in the query, or in a
    header before Authorization, was met before the redactor knew it was a secret."""
    request = tutils.treq(
        path=f"/v1?q={SECRET}".encode(),
        headers=http.Headers(
            [(b"X-Echo", SECRET.encode()), (b"Authorization", f"Bearer {SECRET}".encode())]
        ),
    )
    redacted = Redactor(key=b"k" * 32).flow(tflow.tflow(req=request))
    assert SECRET not in redacted.request.path
    assert SECRET.encode() not in b"".join(v for _, v in redacted.request.headers.fields)


def test_a_har_with_an_integer_past_64_bits_is_read(tmp_path: Path) -> None:
    """ijson's C parser refuses integers past 64 bits ('integer overflow'), and the whole HAR
    was refused as not valid JSON; valid JSON now goes on with the pure-Python parser."""
    entry = {
        "startedDateTime": "2000-01-01T00:00:00Z",
        "time": 1,
        "_transferSize": 2**64,
        "request": {"method": "GET", "url": "https://api.xxx.com/v2/devices",
                    "httpVersion": "HTTP/1.1", "headers": [], "cookies": [], "queryString": []},
        "response": {"status": 401, "statusText": "", "httpVersion": "HTTP/1.1", "headers": [],
                     "content": {"size": 0, "mimeType": "text/plain"}},
    }  # fmt: skip
    path = tmp_path / "big.har"
    path.write_text(json.dumps({"log": {"entries": [entry, entry]}}))
    report = ReadReport()
    assert len(list(read_flows(path, report))) == 2 and report.skipped_entries == 0


@pytest.mark.parametrize(
    ("body", "discovery"),
    [(b"[" * 100_000, False), (b'{"jwks_uri": "https://[x"}', True)],
    ids=["nested-json", "bracket-jwks-uri"],
)
def test_a_hostile_key_document_is_a_fetch_error(body: bytes, discovery: bool) -> None:
    """RecursionError (deep JSON) and ValueError (urlsplit of 'https://[x') escaped
    fetch_key_set, which promises FetchError; the fetcher logged them as internal errors."""
    with KeyServer() as server:
        server.answers["/doc"] = Answer(body=body)
        with pytest.raises(FetchError):
            fetch_key_set(RemoteKeys(server.url + "/doc", discovery), FetchLimits(timeout_s=5))
    assert url_problem("https://[x") == "not a valid URL"


def test_a_flow_mitmproxy_cannot_write_as_har_is_left_out(tmp_path: Path) -> None:
    """mitmproxy's HAR export raised ValueError for a host such as 'x]', and `redact x.har`
    and `bundle` died with it."""
    flows = [
        tflow.tflow(req=tutils.treq(host=host), resp=tutils.tresp(status_code=401))
        for host in ("x]", "api.xxx.com")
    ]
    path = tmp_path / "out.har"
    assert write_har(path, flows, Redactor(key=b"k" * 32)) == 1
    assert len(json.loads(path.read_text())["log"]["entries"]) == 1


def test_the_leak_check_reads_secrets_that_are_not_utf8() -> None:
    """A cookie or header value with bytes that are not UTF-8 became a replaced secret with
    surrogate escapes, and the bundle's leak check raised UnicodeEncodeError on it."""
    secret = "zQ7fK2pL\udcff\udcfe"
    assert leaks(b"... zQ7fK2pL\xff\xfe ...", [secret]) == ["a redacted secret (10 characters)"]
    assert leaks(b"nothing here", [secret, "lone \ud800 surrogate"]) == []
