"""`authdoctor analyze FILE...`: diagnose recordings offline, for people and for CI."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TextIO

from authdoctor.cli.analyze_output import FORMATS
from authdoctor.cli.analyze_output import json_lines
from authdoctor.cli.analyze_output import markdown
from authdoctor.cli.analyze_output import table
from authdoctor.cli.arguments import Commands
from authdoctor.cli.arguments import add_command
from authdoctor.cli.arguments import add_recordings
from authdoctor.config import add_analysis_options
from authdoctor.config import configuration_from_args
from authdoctor.engine import SessionStore
from authdoctor.recordings import Judged
from authdoctor.recordings import ReadReport
from authdoctor.recordings import judge

ABOUT = """diagnose mitmproxy flow files and HAR recordings offline

Diagnose recorded flows (mitmproxy .mitm files or HAR 1.2) exactly as the proxy does live; each
request is judged at its own time."""

FAIL_ON = ("error", "warning", "never")
PROGRESS_EVERY = 1000


def add_parser(commands: Commands) -> None:
    parser = add_command(commands, "analyze", ABOUT, run)
    add_recordings(parser)
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="error",
        help="exit 1 when a finding of this severity (or worse) exists; 'never' always exits 0",
    )
    add_analysis_options(parser)


class _Tally:
    """Counts what passes through, so the exit status can be decided after streaming."""

    def __init__(self, results: Iterator[Judged], progress: TextIO | None) -> None:
        self.results, self.progress = results, progress
        self.flows = self.errors = self.warnings = 0

    def __iter__(self) -> Iterator[Judged]:
        for judged in self.results:
            self.flows += 1
            severity = judged.analysis.diagnosis.severity
            self.errors += severity == "error"
            self.warnings += severity == "warning"
            if self.progress is not None and self.flows % PROGRESS_EVERY == 0:
                print(f"\ranalysed {self.flows} flows", end="", file=self.progress, flush=True)
            yield judged

    def failed(self, fail_on: str) -> bool:
        if fail_on == "error":
            return self.errors > 0
        if fail_on == "warning":
            return self.errors + self.warnings > 0
        return False


def run(args: argparse.Namespace) -> int:
    parsed, settings, ruleset = configuration_from_args(args)
    store = SessionStore(parsed.session_tokens, parsed.session_clients)
    progress = sys.stderr if sys.stderr.isatty() and args.format != "json" else None
    report = ReadReport()
    tally = _Tally(judge(args.files, settings, ruleset, store, report), progress)
    render = {"table": table, "json": json_lines, "markdown": markdown}[args.format]
    for line in render(tally):
        print(line)
    if progress is not None and tally.flows >= PROGRESS_EVERY:
        print(file=progress)
    if report.skipped_entries:
        print(
            f"authdoctor: {report.skipped_entries} HAR entries could not be read", file=sys.stderr
        )
    if args.format != "json":
        print(
            f"\n{tally.flows} flows analysed: {tally.errors} with an error, "
            f"{tally.warnings} with warnings only"
        )
    return 1 if tally.failed(args.fail_on) else 0
