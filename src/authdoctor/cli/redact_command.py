"""`authdoctor redact IN OUT`: a recording fit for a support ticket (HAR or flows, either way)."""

from __future__ import annotations

import argparse
from pathlib import Path

from authdoctor.cli.arguments import Commands
from authdoctor.cli.arguments import add_command
from authdoctor.cli.arguments import add_patterns
from authdoctor.cli.command_error import CommandError
from authdoctor.config import add_analysis_options
from authdoctor.config import configuration_from_args
from authdoctor.engine import SessionStore
from authdoctor.recordings import ReadReport
from authdoctor.recordings import RecordingError
from authdoctor.recordings import annotated
from authdoctor.recordings import read_flows
from authdoctor.recordings import write_redacted
from authdoctor.redaction import Redactor

ABOUT = """write a recording with every secret replaced, keeping the evidence

Read a .mitm or HAR recording, diagnose it, and write it redacted: tokens, secrets, cookies and
passwords become keyed fingerprints (the same secret, the same fingerprint within the file);
JWTs keep their header and claims. OUT ending in .har is written as HAR, anything else as
mitmproxy flows."""


def add_parser(commands: Commands) -> None:
    parser = add_command(commands, "redact", ABOUT, run)
    parser.add_argument("input", type=Path, help=".mitm or .har recording")
    parser.add_argument("output", type=Path, help="where to write (.har or .mitm)")
    add_analysis_options(parser)
    add_patterns(parser)


def run(args: argparse.Namespace) -> int:
    if args.output.resolve() == args.input.resolve():
        raise CommandError("refusing to overwrite the input with its redacted copy")
    _, settings, ruleset = configuration_from_args(args)
    redactor = Redactor(extra_patterns=args.pattern)
    report = ReadReport()
    flows = annotated(read_flows(args.input, report), settings, ruleset, SessionStore())
    try:
        count = write_redacted(args.output, flows, redactor)
    except RecordingError:
        args.output.unlink(missing_ok=True)  # never leave a half-written file behind
        raise
    print(f"{count} flows written redacted to {args.output}")
    return 0
