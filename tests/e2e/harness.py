"""Real parts for end-to-end tests: a mitmdump with the addon, clients that go through it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
