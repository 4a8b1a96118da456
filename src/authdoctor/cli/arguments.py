"""What the offline commands declare alike, one call each: the subcommand itself, the
recordings it reads, the file it writes and the extra patterns to redact. The analysis options
shared with the addon are config's (add_analysis_options), next to the code that reads them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

type Commands = argparse._SubParsersAction[argparse.ArgumentParser]
type Run = Callable[[argparse.Namespace], int]


def add_command(commands: Commands, name: str, about: str, run: Run) -> argparse.ArgumentParser:
    """A subcommand that runs `run`. `about` is its one-line help, a blank line, then its
    description (argparse rewraps it, so it is written as prose)."""
    summary, _, description = about.partition("\n\n")
    parser = commands.add_parser(name, help=summary, description=description)
    parser.set_defaults(run=run)
    return parser


def add_recordings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, help=".mitm flow files or .har files")


def add_output(parser: argparse.ArgumentParser, about: str) -> None:
    parser.add_argument("-o", "--output", type=Path, required=True, help=about)


def add_patterns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pattern", action="append", default=[], help="extra regular expression to redact"
    )
