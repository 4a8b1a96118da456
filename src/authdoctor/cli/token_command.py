"""`authdoctor token [FILE]`: decode and check one token offline, read from stdin or a file so
it never lands in shell history; the same facts and rules as the proxy, token never printed."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mitmproxy import connection
from mitmproxy import http

from authdoctor.cli.arguments import Commands
from authdoctor.cli.arguments import add_command
from authdoctor.cli.command_error import CommandError
from authdoctor.config import add_analysis_options
from authdoctor.config import configuration_from_args
from authdoctor.engine import Analyzer
from authdoctor.live import render_token_view

MAX_TOKEN = 64 * 1024


ABOUT = """decode and check one token, read from stdin or a file

Decode a token (JWT or opaque) and check it as the proxy would for a request sent now: expiry,
not-before, issuer and environment, audience, and, with --url, the scopes the endpoint needs.
Read from a file or stdin, so it stays out of shell history; the token itself is never
printed."""


def add_parser(commands: Commands) -> None:
    parser = add_command(commands, "token", ABOUT, run)
    parser.add_argument(
        "file", nargs="?", type=Path, help="file holding the token (default: stdin)"
    )
    parser.add_argument(
        "--url", default="https://api.example/", help="the API URL the token is meant for"
    )
    parser.add_argument("--method", default="GET", help="the HTTP method of that call")
    add_analysis_options(parser)


def _read(path: Path | None) -> str:
    raw = (
        sys.stdin.read(MAX_TOKEN) if path is None else path.read_text(errors="replace")[:MAX_TOKEN]
    )
    value = raw.strip()
    return value.removeprefix("Bearer ").removeprefix("bearer ").strip()


def _request_flow(token: str, method: str, url: str) -> http.HTTPFlow:
    """The call the token is meant for, sent now, with no answer yet."""
    now = time.time()
    client = connection.Client(peername=("127.0.0.1", 0), sockname=("127.0.0.1", 0))
    server = connection.Server(address=None)
    flow = http.HTTPFlow(client, server)
    flow.request = http.Request.make(
        method.upper(), url, headers={"Authorization": f"Bearer {token}"}
    )
    flow.request.timestamp_start = flow.request.timestamp_end = now
    return flow


def run(args: argparse.Namespace) -> int:
    _, settings, ruleset = configuration_from_args(args)
    try:
        token = _read(args.file)
        flow = _request_flow(token, args.method, args.url)
    except (OSError, ValueError) as e:  # a file it cannot read, text that is no URL
        raise CommandError(str(e)) from None
    if not token:
        raise CommandError("no token given (pipe it in, or name a file)")
    diagnosis = Analyzer(ruleset, settings).analyze(flow).diagnosis
    print(render_token_view(flow.request, None))
    if not diagnosis.findings:
        print("\nNo problem found for a request sent now.")
        return 0
    print("\nIf the API rejects it, this is why:" if diagnosis.provisional else "")
    for finding in diagnosis.findings:
        print(f"- {finding.severity}: {finding.title} [{finding.cause} · {finding.rule}]")
        print(f"  {finding.explain}")
    return 1 if any(f.severity == "error" for f in diagnosis.findings) else 0
