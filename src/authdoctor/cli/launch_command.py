"""`authdoctor web` and `authdoctor dump`: mitmweb / mitmdump with authdoctor preloaded.

The addon goes in as a script (-s), as mitmproxy's own loader places scripts before its Save
addon, so annotations reach -w files. Every other argument is mitmproxy's.
"""

from __future__ import annotations

import argparse

from mitmproxy.tools import main as mitmproxy_main

from authdoctor.cli.arguments import Commands
from authdoctor.util import addon_script

TOOLS = {"web": mitmproxy_main.mitmweb, "dump": mitmproxy_main.mitmdump}


def add_parsers(commands: Commands) -> None:
    for name, tool in (("web", "mitmweb"), ("dump", "mitmdump")):
        parser = commands.add_parser(
            name,
            help=f"run {tool} with authdoctor loaded (other arguments go to {tool})",
            description=f"Run {tool} with authdoctor preloaded, listening on 127.0.0.1 unless "
            f"--listen-host says otherwise. Every other argument is passed to {tool}, e.g. "
            "--set authdoctor_profile=company-x -w session.mitm.",
            add_help=False,
        )
        parser.set_defaults(run=run, tool=name)


def mitmproxy_arguments(passed: list[str]) -> list[str]:
    """Loopback by default (an open proxy on every interface serves the whole network)."""
    return ["--listen-host", "127.0.0.1", "-s", str(addon_script()), *passed]


def run(args: argparse.Namespace) -> int:
    TOOLS[args.tool](mitmproxy_arguments(args.passthrough))
    return 0
