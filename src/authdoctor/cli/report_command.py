"""`authdoctor report FILE... -o OUT`: one self-contained HTML or Markdown file for a ticket."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from authdoctor.cli.arguments import Commands
from authdoctor.cli.arguments import add_command
from authdoctor.cli.arguments import add_output
from authdoctor.cli.arguments import add_recordings
from authdoctor.cli.command_error import CommandError
from authdoctor.config import add_analysis_options
from authdoctor.config import configuration_from_args
from authdoctor.engine import SessionStore
from authdoctor.recordings import ReadReport
from authdoctor.recordings import judge
from authdoctor.report import FORMATS
from authdoctor.report import build_report
from authdoctor.report import summary

ABOUT = """write an HTML or Markdown report of recordings for a support ticket

Diagnose recorded flows (mitmproxy .mitm files or HAR 1.2) and write one self-contained report:
a summary, the environment, a timeline, every failure with its fix, and the session patterns.
It holds no token, header or body."""


def add_parser(commands: Commands) -> None:
    parser = add_command(commands, "report", ABOUT, run)
    add_recordings(parser)
    add_output(parser, "the report file; its suffix picks the format: .html or .md")
    add_analysis_options(parser)


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    render = FORMATS.get(output.suffix.lower())
    if render is None:
        kinds = " or ".join(FORMATS)
        raise CommandError(f"{output}: the report file must end in {kinds}")
    if any(output.resolve() == Path(f).resolve() for f in args.files):
        raise CommandError(f"{output}: the report would overwrite a recording")
    parsed, settings, ruleset = configuration_from_args(args)
    store = SessionStore(parsed.session_tokens, parsed.session_clients)
    read = ReadReport()
    report = build_report(
        judge(args.files, settings, ruleset, store, read), store, ruleset, args.files, read
    )
    try:
        output.write_text(render(report), encoding="utf-8")
    except OSError as e:
        raise CommandError(f"{output}: cannot write: {e.strerror or e}") from None
    if read.skipped_entries:
        print(f"authdoctor: {read.skipped_entries} HAR entries could not be read", file=sys.stderr)
    print(f"{output}: {summary(report)}")
    return 0
