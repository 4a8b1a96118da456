"""Real parts for end-to-end tests: a mitmdump with the addon, clients that go through it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mitmproxy import http
from mitmproxy import io

from authdoctor.cli.proxy_process import ProxyProcess

REPO = Path(__file__).resolve().parents[2]
MITMDUMP = Path(sys.executable).with_name("mitmdump")
CASE_HEADER = "X-Test-Case"


@dataclass
class Proxy:
    """mitmdump -s addons/authdoctor.py on a loopback port, writing every flow to a file
    (with_addon=False: the same mitmdump without it, to compare against)."""

    workdir: Path
    options: list[str]
    port: int = 0
    process: ProxyProcess | None = None
    with_addon: bool = True

    @property
    def flows_file(self) -> Path:
        return self.workdir / "flows.mitm"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        addon = ["-s", str(REPO / "addons" / "authdoctor.py")] if self.with_addon else []
        return [
            str(MITMDUMP), "--listen-host", "127.0.0.1", "-p", "0", *addon,
            "--set", f"confdir={self.workdir / 'confdir'}",
            "-w", str(self.flows_file), *self.options,
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> Proxy:
        self.process = ProxyProcess(self.command(), cwd=self.workdir)
        if not self.process.wait_ready(web=False, timeout=timeout):
            self.stop()
            raise RuntimeError("mitmdump did not start:\n" + self.log())
        self.port = self.process.port or 0
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def log(self) -> str:
        return self.process.log() if self.process else ""

    def client_env(self) -> dict[str, str]:
        """Environment for a client that goes through the proxy (curl needs lower case)."""
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(http_proxy=self.url, HTTP_PROXY=self.url, no_proxy="", NO_PROXY="")
        return env

    def flows(self) -> list[http.HTTPFlow]:
        """Every flow written so far (mitmdump flushes the file after each flow)."""
        if not self.flows_file.exists():
            return []
        with self.flows_file.open("rb") as handle:
            try:
                return [f for f in io.FlowReader(handle).stream() if isinstance(f, http.HTTPFlow)]
            except Exception:  # a flow half-written at this instant: read again later
                return []

    def flow_for(self, case: str, timeout: float = 10.0) -> http.HTTPFlow:
        """The flow whose request carried `X-Test-Case: case`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for flow in self.flows():
                if flow.request.headers.get(CASE_HEADER) == case:
                    return flow
            time.sleep(0.05)
        raise AssertionError(f"no flow for case {case!r}; proxy log:\n{self.log()[-3000:]}")


def curl(proxy: Proxy, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """curl through the proxy via the http_proxy environment variable."""
    command = [
        "curl",
        "-sS",
        "--max-time",
        "10",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        *args,
        url,
    ]
    return subprocess.run(
        command, env=proxy.client_env(), capture_output=True, text=True, timeout=20
    )


def raw_request(proxy: Proxy, head: bytes) -> bytes:
    """Send raw bytes as a proxy request; for header shapes no HTTP library will produce."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(head)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


@contextmanager
def demo_process(command: list[str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """`authdoctor demo` in a process group of its own: whatever it leaves running, even
    after a failed assertion, is found by group_alive() and killed here."""
    demo = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=cwd, process_group=0)
    try:
        yield demo
    finally:
        if group_alive(demo.pid):
            os.killpg(demo.pid, signal.SIGKILL)
        demo.wait()
        assert demo.stdout is not None
        demo.stdout.close()


def group_alive(group: int) -> bool:
    """Whether a process of the group is still there (the demo's proxy, say)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def read_until(demo: subprocess.Popen[str], text: str, timeout: float = 60.0) -> str:
    """The demo's output up to the line that holds `text`, or up to its end or the timeout."""
    output = ""
    deadline = time.monotonic() + timeout
    assert demo.stdout is not None
    while text not in output and time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        output += line
    return output
