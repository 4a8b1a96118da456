"""Write recordings that explain themselves and leak nothing: annotated, then redacted.

Flows are annotated with authdoctor's diagnosis first (so the comment and metadata travel with
them), then passed through a Redactor, then written as mitmproxy flows or as HAR 1.2 (entry
`comment` and an `_authdoctor` field carry the diagnosis). Both writers stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

from mitmproxy import http
from mitmproxy import io
from mitmproxy import version
from mitmproxy.addons.savehar import SaveHar
from mitmproxy.connection import Server

from authdoctor.engine import METADATA_KEY
from authdoctor.engine import Analyzer
from authdoctor.engine import Ruleset
from authdoctor.engine import SessionStore
from authdoctor.engine import Settings
from authdoctor.engine import annotate
from authdoctor.redaction import Redactor


def annotated(
    flows: Iterable[http.HTTPFlow], settings: Settings, ruleset: Ruleset, store: SessionStore
) -> Iterator[http.HTTPFlow]:
    """Every flow, the relevant ones carrying a fresh diagnosis."""
    analyzer = Analyzer(ruleset, settings, store)
    for flow in flows:
        if (result := analyzer.judge(flow)) is not None:
            annotate(flow, result.diagnosis, result.token_summary())
        yield flow


def write_flows(path: Path, flows: Iterable[http.HTTPFlow], redactor: Redactor) -> int:
    """A redacted mitmproxy flow file; returns how many flows were written."""
    count = 0
    with path.open("wb") as handle:
        writer = io.FlowWriter(handle)
        for flow in flows:
            writer.add(redactor.flow(flow))
            count += 1
    return count


def write_har(path: Path, flows: Iterable[http.HTTPFlow], redactor: Redactor) -> int:
    """A redacted HAR 1.2 file with authdoctor's diagnosis on each entry; streamed. A flow
    whose URL mitmproxy cannot parse (a host such as 'x]') has no HAR entry and is left out."""
    maker = SaveHar()
    servers: set[Server] = set()
    creator = {"name": "authdoctor (mitmproxy HAR export)", "version": version.VERSION}
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"log": {"version": "1.2", "creator": ' + json.dumps(creator))
        handle.write(', "pages": [], "entries": [')
        for flow in flows:
            try:
                entry = maker.flow_entry(flow, servers)
            except ValueError:  # urlsplit: "Invalid IPv6 URL"
                continue
            if METADATA_KEY in flow.metadata:
                entry["comment"] = flow.comment
                entry["_authdoctor"] = flow.metadata[METADATA_KEY]
            document = redactor.har({"log": {"entries": [entry]}})
            handle.write(("," if count else "") + json.dumps(document["log"]["entries"][0]))
            count += 1
        handle.write("]}}")
    return count


def write_redacted(path: Path, flows: Iterable[http.HTTPFlow], redactor: Redactor) -> int:
    """By the file name: .har gets HAR, anything else mitmproxy flows."""
    if path.suffix.lower() == ".har":
        return write_har(path, flows, redactor)
    return write_flows(path, flows, redactor)
