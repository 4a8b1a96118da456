"""The `authdoctor` command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from authdoctor.cli import analyze_command
from authdoctor.cli import bundle_command
from authdoctor.cli import demo_command
from authdoctor.cli import launch_command
from authdoctor.cli import redact_command
from authdoctor.cli import report_command
from authdoctor.cli import token_command
from authdoctor.engine import lint
from authdoctor.errors import AuthDoctorError
from authdoctor.util import default_rule_packs


def _rules_lint(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or default_rule_packs()
    report = lint(paths)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    verdict = "FAILED" if report.problems else "ok"
    print(f"{verdict}: {report.rules} rules, {report.cases} cases, {len(report.problems)} problems")
    return 1 if report.problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authdoctor",
        description="Explains why an OAuth 2.0 / bearer-token API answered 401 or 403.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    rules = commands.add_parser("rules", help="work with rule packs")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True)
    lint_parser = rules_commands.add_parser(
        "lint", help="check rule files and run the cases beside them"
    )
    lint_parser.add_argument("paths", nargs="*", help="rule files or folders (default: shipped)")
    lint_parser.set_defaults(run=_rules_lint)
    analyze_command.add_parser(commands)
    redact_command.add_parser(commands)
    report_command.add_parser(commands)
    bundle_command.add_parser(commands)
    launch_command.add_parsers(commands)
    token_command.add_parser(commands)
    demo_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Commands raise AuthDoctorError for input they cannot use; it is caught
    here, once, and printed as one line without a traceback (as mitmproxy's own main does
    with OptionsError), with exit status 2."""
    args, rest = build_parser().parse_known_args(argv)
    if getattr(args, "tool", None) is not None:
        args.passthrough = rest  # mitmweb / mitmdump take everything else
    elif rest:
        build_parser().error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return int(args.run(args))
    except AuthDoctorError as e:
        print(f"authdoctor: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `authdoctor analyze ... | head`: the reader has had enough
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
