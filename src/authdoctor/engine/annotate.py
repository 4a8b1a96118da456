"""Write a diagnosis onto the flow: comment, marker and metadata.

The comment is what people read in mitmweb and the console: the cause in plain words, the
values that prove it and numbered fix steps. A user's own comment and marker are kept.
"""

from __future__ import annotations

from mitmproxy import http

from authdoctor.engine.diagnosis import Diagnosis
from authdoctor.util import valid_unicode

METADATA_KEY = "authdoctor"
MARKERS = {"error": ":no_entry:", "warning": ":warning:", "info": ":information_source:"}
PROVISIONAL_MARKER = ":hourglass:"
_OUR_MARKERS = frozenset({*MARKERS.values(), PROVISIONAL_MARKER})
_BLOCK_STARTS = ("authdoctor: ", "authdoctor (before the response): ")


def render_comment(diagnosis: Diagnosis) -> str:
    """Title, explanation and numbered fix steps of the primary finding; the rest listed."""
    primary = diagnosis.primary
    if primary is None:
        return ""
    prefix = _BLOCK_STARTS[1] if diagnosis.provisional else _BLOCK_STARTS[0]
    lines = [f"{prefix}{primary.title} [{primary.cause} · {primary.rule}]", primary.explain, "Fix:"]
    for number, step in enumerate(primary.fix, 1):
        first, *rest = step.split("\n")
        lines.append(f"  {number}. {first}")
        lines.extend(f"     {more}" for more in rest)
    for other in diagnosis.findings[1:]:
        lines.append(f"Also ({other.severity}): {other.title} [{other.cause} · {other.rule}]")
        lines.append(f"  {other.explain}")
    return "\n".join(lines)


def user_comment(comment: str) -> str:
    """The part of a comment that is not ours (ours always starts a line with 'authdoctor')."""
    for start in _BLOCK_STARTS:
        if comment.startswith(start):
            return ""
        index = comment.find("\n\n" + start)
        if index >= 0:
            return comment[:index]
    return comment


def annotate(flow: http.HTTPFlow, diagnosis: Diagnosis, token: dict | None = None) -> None:
    """Replace our previous annotation of this flow with this diagnosis."""
    # Valid Unicode: a value from the wire may hold lone surrogates, which would make the
    # flow impossible to save.
    flow.metadata[METADATA_KEY] = valid_unicode(diagnosis.as_metadata(token))
    own = user_comment(flow.comment)
    block = valid_unicode(render_comment(diagnosis))
    flow.comment = "\n\n".join(part for part in (own, block) if part)
    if flow.marked and flow.marked not in _OUR_MARKERS:
        return
    if diagnosis.severity is None:
        flow.marked = ""
    else:
        flow.marked = PROVISIONAL_MARKER if diagnosis.provisional else MARKERS[diagnosis.severity]
