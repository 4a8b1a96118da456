"""mitmweb / mitmdump as a child process: started, watched for its ports, stopped cleanly.

Shared by `authdoctor demo` and the end-to-end tests.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from pathlib import Path


class ProxyProcess:
    """mitmweb / mitmdump with the addon, on loopback, its output drained in a thread."""

    def __init__(
        self, command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd, env=env
        )
        self.port: int | None = None
        self.web_url: str | None = None
        self.lines: list[str] = []
        self.ended = threading.Event()  # its output ended: it exited
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if match := re.search(r"proxy listening at 127\.0\.0\.1:(\d+)", line):
                self.port = int(match.group(1))
            if match := re.search(r"Web server listening at (\S+)", line):
                self.web_url = match.group(1)
        self.ended.set()

    def wait_ready(self, web: bool, timeout: float) -> bool:
        """Until the proxy (and with `web` the UI) listens; False if it died or took too long.

        Watches the output, never the Popen, so that a Ctrl-C may break the wait: raised
        inside Popen.poll() it can leave Popen's waitpid lock taken, and stop() could then
        neither see the proxy end nor reap it.
        """
        deadline = time.monotonic() + timeout
        while not self.ended.wait(0.05) and time.monotonic() < deadline:
            if self.port is not None and (self.web_url is not None or not web):
                return True
        return False

    def wait_ended(self) -> None:
        """Until the proxy exits. Woken twice a second: a Ctrl-C that the kernel handed to
        another thread runs its Python handler when the main thread next runs bytecode."""
        while not self.ended.wait(0.5):
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def log(self) -> str:
        return "".join(self.lines)
