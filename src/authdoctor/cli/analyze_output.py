"""How `authdoctor analyze` prints its results: a table, JSON lines, or Markdown."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from authdoctor.recordings import Judged
from authdoctor.util import iso_utc
from authdoctor.util import valid_unicode

FORMATS = ("table", "json", "markdown")


def flow_record(judged: Judged) -> dict[str, Any]:
    """The JSON contract (docs/architecture.md, "Contracts"): one object per analysed flow."""
    flow, analysis = judged.flow, judged.analysis
    diagnosis = analysis.diagnosis
    # Valid Unicode: a URL or a claim from the wire may hold lone surrogates, unprintable.
    return valid_unicode(
        {
            "file": str(judged.file),
            "time": iso_utc(flow.request.timestamp_start),
            "method": flow.request.method,
            "url": str(analysis.facts["request.url"]),
            "status": flow.response.status_code if flow.response else None,
            "cause": diagnosis.cause,
            "severity": diagnosis.severity,
            "findings": [f.as_dict() for f in diagnosis.findings],
        }
    )


def json_lines(results: Iterable[Judged]) -> Iterator[str]:
    for judged in results:
        yield json.dumps(flow_record(judged), ensure_ascii=False)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(results: Iterable[Judged]) -> Iterator[str]:
    yield f"{'time (UTC)':19}  {'status':6}  {'cause / rule':58}  request"
    for judged in results:
        record = flow_record(judged)
        primary = judged.analysis.diagnosis.primary
        label = "ok" if primary is None else f"{primary.severity}: {primary.cause} [{primary.rule}]"
        status = str(record["status"] or "-")
        request = f"{record['method']} {_shorten(record['url'], 70)}"
        yield f"{record['time'][:19]}  {status:6}  {_shorten(label, 58):58}  {request}"


def markdown(results: Iterable[Judged]) -> Iterator[str]:
    yield "| time (UTC) | status | cause | rule | request |"
    yield "|---|---|---|---|---|"
    details: list[str] = []
    for judged in results:
        record = flow_record(judged)
        primary = judged.analysis.diagnosis.primary
        cause = primary.cause if primary else "ok"
        rule = primary.rule if primary else ""
        request = f"{record['method']} {record['url']}".replace("|", "\\|")
        status = record["status"] or "-"
        yield f"| {record['time'][:19]} | {status} | {cause} | {rule} | {request} |"
        if primary is not None:
            steps = "\n".join(
                f"{n}. " + step.replace("\n", "\n   ") for n, step in enumerate(primary.fix, 1)
            )
            details.append(
                f"### {record['method']} {record['url']}\n\n**{primary.title}** "
                f"({primary.severity}, `{primary.cause}`)\n\n{primary.explain}\n\n{steps}"
            )
    if details:
        yield ""
        yield "## Findings"
        for block in details:
            yield ""
            yield block
