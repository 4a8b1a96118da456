"""`authdoctor demo --no-web --port 0` that sends itself Ctrl-C at a chosen moment of its
start-up, and says so on stdout (`ctrl-c: <moment>`); run by test_demo.py."""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from typing import Any

from authdoctor.cli import demo_command
from authdoctor.cli.demo_scenarios import Client
from authdoctor.cli.main import main
from authdoctor.cli.proxy_process import ProxyProcess
from authdoctor.sandbox import Sandbox


def _ctrl_c(moment: str, delay: float) -> None:
    """SIGINT to this process: at once, or a moment later from a thread (during a wait)."""

    def send() -> None:
        print(f"ctrl-c: {moment}", flush=True)
        os.kill(os.getpid(), signal.SIGINT)

    if delay:
        timer = threading.Timer(delay, send)
        timer.daemon = True
        timer.start()
    else:
        send()


def _on_call(owner: Any, name: str, moment: str, *, after: bool, nth: int = 1,
             delay: float = 0.0) -> None:  # fmt: skip
    """owner.name sends Ctrl-C on its nth call, before it runs or once it has returned."""
    original = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and not after:
            _ctrl_c(moment, delay)
        result = original(*args, **kwargs)
        if calls == nth and after:
            _ctrl_c(moment, delay)
        return result

    setattr(owner, name, wrapper)


MOMENTS = {
    # the production sandbox listens, and is not yet on the demo's exit stack
    "sandbox started": lambda m: _on_call(Sandbox, "start", m, after=True),
    # mitmdump runs, and its stop is not yet registered
    "proxy spawned": lambda m: _on_call(ProxyProcess, "__init__", m, after=True),
    # mitmdump loads the addon: the demo waits for it to listen
    "proxy starting": lambda m: _on_call(ProxyProcess, "wait_ready", m, after=False, delay=0.2),
    # the third call of the scripted client
    "scenarios": lambda m: _on_call(Client, "send", m, after=False, nth=3),
    # the flows are read for the summary
    "summary": lambda m: _on_call(demo_command, "summarize", m, after=False),
    # a second Ctrl-C while the first one stops the proxy
    "stopping": lambda m: (
        _on_call(demo_command, "summarize", "summary", after=False),
        _on_call(ProxyProcess, "stop", m, after=False),
    ),
}

if __name__ == "__main__":
    MOMENTS[sys.argv[1]](sys.argv[1])
    sys.exit(main(["demo", "--no-web", "--port", "0"]))
