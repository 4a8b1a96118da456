"""`authdoctor report FILE... -o OUT`: one self-contained HTML or Markdown file for a ticket."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from authdoctor.configuration import load_configuration
from authdoctor.errors import AuthDoctorError
from authdoctor.offline import ReadReport
from authdoctor.offline import RecordingError
from authdoctor.offline import judge
from authdoctor.options import default_values
from authdoctor.options import parse_options
from authdoctor.report import FORMATS
from authdoctor.report import build_report
from authdoctor.report import summary
from authdoctor.sessions import SessionStore


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "report",
        help="write an HTML or Markdown report of recordings for a support ticket",
        description="Diagnose recorded flows (mitmproxy .mitm files or HAR 1.2) and write one "
        "self-contained report: a summary, the environment, a timeline, every failure with "
        "its fix, and the session patterns. It holds no token, header or body.",
    )
    parser.add_argument("files", nargs="+", type=Path, help=".mitm flow files or .har files")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="the report file; its suffix picks the format: .html or .md",
    )
    parser.add_argument(
        "--profile", action="append", default=[], help="API profile: bundled name or YAML path"
    )
    parser.add_argument("--rules", action="append", default=[], help="extra rule file or folder")
    parser.add_argument("--disable", action="append", default=[], help="rule id to switch off")
    parser.add_argument("--leeway", default=None, help="clock leeway in seconds (default 30)")
    parser.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"authdoctor: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    render = FORMATS.get(output.suffix.lower())
    if render is None:
        kinds = " or ".join(FORMATS)
        return _fail(f"{output}: the report file must end in {kinds}")
    if any(output.resolve() == Path(f).resolve() for f in args.files):
        return _fail(f"{output}: the report would overwrite a recording")
    values = default_values()
    values.update(
        authdoctor_profile=args.profile,
        authdoctor_rules=args.rules,
        authdoctor_disable=args.disable,
    )
    if args.leeway is not None:
        values["authdoctor_leeway"] = args.leeway
    try:
        parsed = parse_options(values)
        settings, ruleset = load_configuration(parsed)
    except (ValueError, AuthDoctorError) as e:
        return _fail(str(e))
    store = SessionStore(parsed.session_tokens, parsed.session_clients)
    read = ReadReport()
    try:
        report = build_report(
            judge(args.files, settings, ruleset, store, read), store, ruleset, args.files, read
        )
    except RecordingError as e:
        return _fail(str(e))
    try:
        output.write_text(render(report), encoding="utf-8")
    except OSError as e:
        return _fail(f"{output}: cannot write: {e.strerror or e}")
    if read.skipped_entries:
        print(f"authdoctor: {read.skipped_entries} HAR entries could not be read", file=sys.stderr)
    print(f"{output}: {summary(report)}")
    return 0
