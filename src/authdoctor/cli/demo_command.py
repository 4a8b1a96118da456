"""`authdoctor demo`: the built-in Company X sandbox, the proxy, and a scripted client that
reproduces every root cause of the runbook; then a summary and where to look."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

from mitmproxy import http
from mitmproxy import io

from authdoctor.cli.arguments import Commands
from authdoctor.cli.arguments import add_command
from authdoctor.cli.command_error import CommandError
from authdoctor.cli.ctrl_c import CtrlC
from authdoctor.cli.demo_scenarios import SCENARIO_HEADER
from authdoctor.cli.demo_scenarios import Client
from authdoctor.cli.demo_scenarios import run_scenarios
from authdoctor.cli.proxy_process import ProxyProcess
from authdoctor.sandbox import Sandbox
from authdoctor.sandbox.profile import write_sandbox_profile
from authdoctor.util import addon_script

START_TIMEOUT_S = 60


ABOUT = """see authdoctor diagnose every runbook failure against a built-in sandbox API

Start the built-in Company X sandbox (production and staging) and the proxy (mitmweb, or
mitmdump with --no-web), send a scripted client through it that reproduces every root cause of
the runbook plus healthy calls, and print what authdoctor found and where to look. Ctrl-C stops
everything it started."""


def add_parser(commands: Commands) -> None:
    parser = add_command(commands, "demo", ABOUT, run)
    parser.add_argument("--no-web", action="store_true", help="mitmdump instead of mitmweb")
    parser.add_argument("--port", type=int, default=8080, help="proxy port (0: any free one)")
    parser.add_argument("--web-port", type=int, default=8081, help="mitmweb UI port")
    parser.add_argument("--exit", action="store_true", help="stop after the summary")


def _command(args: argparse.Namespace, profile: Path, flows: Path, confdir: Path) -> list[str]:
    tool = Path(sys.executable).with_name("mitmdump" if args.no_web else "mitmweb")
    command = [str(tool), "--listen-host", "127.0.0.1", "-p", str(args.port),
               "-s", str(addon_script()), "--set", f"authdoctor_profile={profile}",
               "--set", f"confdir={confdir}", "-w", str(flows)]  # fmt: skip
    if not args.no_web:
        command += ["--web-host", "127.0.0.1", "--web-port", str(args.web_port),
                    "--no-web-open-browser"]  # fmt: skip
    return command


def summarize(flows_file: Path) -> list[str]:
    """One line per demo call: scenario, status, cause and the rule that found it."""
    lines = [f"{'scenario':36}  {'status':6}  diagnosis"]
    with flows_file.open("rb") as handle:
        for flow in io.FlowReader(handle).stream():
            if not isinstance(flow, http.HTTPFlow) or SCENARIO_HEADER not in flow.request.headers:
                continue
            meta = flow.metadata.get("authdoctor", {})
            findings = meta.get("findings", [])
            primary = findings[0] if findings else None
            verdict = (
                "ok"
                if primary is None
                else (f"{primary['severity']}: {primary['cause']} ({primary['rule']})")
            )
            status = flow.response.status_code if flow.response else "-"
            lines.append(f"{flow.request.headers[SCENARIO_HEADER]:36}  {status!s:6}  {verdict}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Ctrl-C at any moment stops what was started and is no error (see ctrl_c.py)."""
    ctrl_c = CtrlC()
    with ctrl_c.installed():
        try:
            return _demo(args, ctrl_c)
        except KeyboardInterrupt:  # from an interruptible wait; the exit stack stopped it all
            return 0


def _sandboxes(stack: contextlib.ExitStack, ctrl_c: CtrlC) -> tuple[Sandbox, Sandbox]:
    """Production and staging, listening, each stopped by the stack."""
    with ctrl_c.interruptible():  # generating their keys takes a moment; nothing listens yet
        production, staging = Sandbox("production"), Sandbox("staging")
    return stack.enter_context(production), stack.enter_context(staging)


def _demo(args: argparse.Namespace, ctrl_c: CtrlC) -> int:
    """Everything it starts is on the exit stack before the next interruptible wait."""
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="authdoctor-demo-") as folder,
        contextlib.ExitStack() as stack,
    ):
        work = Path(folder)
        production, staging = _sandboxes(stack, ctrl_c)
        profile = write_sandbox_profile(work / "sandbox.yaml", production.port, staging.port)
        flows = work / "demo.mitm"
        proxy = ProxyProcess(_command(args, profile, flows, work / "confdir"))
        stack.callback(proxy.stop)
        with ctrl_c.interruptible():
            ready = proxy.wait_ready(web=not args.no_web, timeout=START_TIMEOUT_S)
        if not ready:
            raise CommandError("the proxy did not start:\n" + "".join(proxy.lines[-20:]))
        with ctrl_c.interruptible():
            run_scenarios(Client(proxy.port or 0, production, staging))
            time.sleep(0.5)  # the last flow is written when its response hook has run
        print("\n".join(summarize(flows)))
        print(
            f"\nready in {time.monotonic() - started:.1f} s; proxy at http://127.0.0.1:{proxy.port}"
        )
        if proxy.web_url:
            print(f"open {proxy.web_url} and filter with ~marked (or ~comment token-expired)")
        print(f"sandbox API (production) at {production.url}, staging at {staging.url}")
        if args.exit:
            return 0
        print("Ctrl-C stops the proxy and the sandboxes.", flush=True)
        with ctrl_c.interruptible():
            proxy.wait_ended()
    return 0
