"""`authdoctor bundle FILE... -o ticket.zip`: one file to attach to a support ticket.

It packs the recording redacted (flows and HAR), the report built from the redacted copy, and
a manifest. Before writing the zip it searches every member for each secret the redaction
replaced and for secret-shaped text; if anything is found it refuses and writes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import tempfile
import zipfile
from datetime import UTC
from datetime import datetime
from itertools import chain
from pathlib import Path

from mitmproxy import version

from authdoctor import __version__
from authdoctor.cli.arguments import Commands
from authdoctor.cli.arguments import add_command
from authdoctor.cli.arguments import add_output
from authdoctor.cli.arguments import add_patterns
from authdoctor.cli.arguments import add_recordings
from authdoctor.cli.command_error import CommandError
from authdoctor.config import add_analysis_options
from authdoctor.config import configuration_from_args
from authdoctor.engine import SessionStore
from authdoctor.recordings import ReadReport
from authdoctor.recordings import annotated
from authdoctor.recordings import judge
from authdoctor.recordings import read_flows
from authdoctor.recordings import write_flows
from authdoctor.recordings import write_har
from authdoctor.redaction import Redactor
from authdoctor.report import build_report
from authdoctor.report import render_html
from authdoctor.report import render_markdown
from authdoctor.report import summary

# Shapes that must not survive redaction: a signed JWT, Basic credentials, a bare bearer token.
LEAK_SHAPES = (
    re.compile(  # starting a base64url run: "eyJeyJeyJ…" would otherwise be quadratic
        rb"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.(?!A{16})[A-Za-z0-9_-]{16,}"
    ),
    re.compile(rb"(?i)authorization\W{1,6}basic [A-Za-z0-9+/]{12,}={0,2}"),
)


ABOUT = """pack a redacted recording, its report and a manifest into one zip

Redact the recordings, build the report from the redacted copy, and pack both with a manifest
into one zip for a support ticket. Refuses to pack anything that still holds a secret."""


def add_parser(commands: Commands) -> None:
    parser = add_command(commands, "bundle", ABOUT, run)
    add_recordings(parser)
    add_output(parser, "the .zip to write")
    add_analysis_options(parser)
    add_patterns(parser)


# A JWT's header and claims are kept on purpose; a fragment of them (a token split across
# lines) that the redaction also met elsewhere is evidence, not a secret.
_JWT_CLAIMS_PART = re.compile(r"eyJ[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?")


def _raw(secret: str) -> bytes:
    """The bytes a secret was read from: header bytes that are not UTF-8 come back as they
    were (surrogateescape), a lone surrogate from a JSON escape as itself (surrogatepass)."""
    try:
        return secret.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return secret.encode("utf-8", "surrogatepass")


def leaks(data: bytes, secrets: list[str]) -> list[str]:
    """What in `data` should not be there: replaced secrets or secret-shaped text."""
    checked = [s for s in secrets if not _JWT_CLAIMS_PART.fullmatch(s)]
    found = [f"a redacted secret ({len(s)} characters)" for s in checked if _raw(s) in data]
    found += [
        f"text shaped like {shape.pattern[:24]!r}…" for shape in LEAK_SHAPES if shape.search(data)
    ]
    return found


def run(args: argparse.Namespace) -> int:
    if args.output.suffix.lower() != ".zip":
        raise CommandError(f"{args.output}: the bundle must be a .zip file")
    _, settings, ruleset = configuration_from_args(args)
    redactor = Redactor(extra_patterns=args.pattern)
    with tempfile.TemporaryDirectory(prefix="authdoctor-bundle-") as folder:
        members = _build(args.files, Path(folder), settings, ruleset, redactor)
        secrets = redactor.replaced()
        for name, path in members.items():
            if problems := leaks(path.read_bytes(), secrets):
                raise CommandError(
                    f"refusing to bundle: {name} still holds {problems[0]}; nothing written"
                )
        _write_zip(args.output, members, args.files)
    print(f"{args.output}: {', '.join(sorted(members))} and manifest.json")
    return 0


def _build(files, work: Path, settings, ruleset, redactor: Redactor) -> dict[str, Path]:
    """Redacted flows and HAR, then reports made from the redacted flows only."""
    flows_path, har_path = work / "recording.redacted.mitm", work / "recording.redacted.har"

    def all_flows():
        return annotated(chain.from_iterable(read_flows(f) for f in files), settings, ruleset,
                         SessionStore())  # fmt: skip

    write_flows(flows_path, all_flows(), redactor)
    write_har(har_path, all_flows(), redactor)
    store = SessionStore()
    read = ReadReport()
    report = build_report(
        judge([flows_path], settings, ruleset, store, read), store, ruleset, [flows_path], read
    )
    (work / "report.html").write_text(render_html(report), encoding="utf-8")
    (work / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (work / "summary.txt").write_text(summary(report) + "\n", encoding="utf-8")
    return {p.name: p for p in (flows_path, har_path, work / "report.html", work / "report.md",
                                 work / "summary.txt")}  # fmt: skip


def _write_zip(output: Path, members: dict[str, Path], inputs: list[Path]) -> None:
    manifest = {
        "tool": {"authdoctor": __version__, "mitmproxy": version.VERSION,
                 "python": platform.python_version()},
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inputs": [p.name for p in inputs],
        "redaction": "secrets replaced by keyed fingerprints [redacted:…]; the key is not kept, "
        "so fingerprints cannot be reversed or compared with other bundles",
        "members": {
            name: {"bytes": path.stat().st_size,
                   "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            for name, path in sorted(members.items())
        },
    }  # fmt: skip
    partial = output.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(members.items()):
            archive.write(path, name)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    partial.replace(output)
