"""`authdoctor demo`: every runbook cause shown within seconds, and nothing left listening."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

AUTHDOCTOR = str(Path(sys.executable).with_name("authdoctor"))
EXPECTED = {
    "healthy: list devices": "ok",
    "missing Authorization header": "error: missing_authorization",
    "token without 'Bearer '": "error: bad_scheme",
    "lowercase 'bearer'": "error: bad_scheme",
    "'Authentication' header": "error: wrong_header_name",
    "line break in the token": "error: malformed_token",
    "truncated token": "error: malformed_token",
    "expired token": "error: token_expired",
    "not yet valid": "error: token_not_yet_valid",
    "missing scope": "error: insufficient_scope",
    "staging token on production": "error: wrong_environment",
    "wrong audience": "error: audience_mismatch",
    "revoked token": "error: token_revoked",
    "clock skew": "error: clock_skew",
    "revoked client credentials": "error: client_credentials_invalid",
    "rotated refresh token replayed": "error: refresh_token_invalid",
    "token about to expire": "warning: token_expiring_soon",
    "ID token sent as the access token": "error: wrong_token_type",
    "refresh token used as access token": "error: wrong_token_type",
}


def _ports(output: str) -> list[int]:
    return [int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", output)]


def _closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_demo_shows_every_runbook_cause_and_stops(tmp_path: Path) -> None:
    result = subprocess.run(
        [AUTHDOCTOR, "demo", "--no-web", "--port", "0", "--exit"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for scenario, verdict in EXPECTED.items():
        (line,) = [line for line in lines if line.startswith(scenario + "  ")]
        assert verdict in line, line
    assert re.search(r"ready in \d+\.\d s", result.stdout)
    ports = _ports(result.stdout)
    assert len(ports) == 3 and all(_closed(p) for p in ports)


@pytest.mark.parametrize("web", [False, True])
def test_ctrl_c_stops_everything_it_started(web: bool, tmp_path: Path) -> None:
    command = [AUTHDOCTOR, "demo", "--port", "0"] + (
        ["--web-port", str(_free_port())] if web else ["--no-web"]
    )
    demo = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    output = ""
    deadline = time.monotonic() + 60
    assert demo.stdout is not None
    while "Ctrl-C stops" not in output and time.monotonic() < deadline:
        output += demo.stdout.readline()
    assert "Ctrl-C stops" in output
    if web:
        assert re.search(r"open http://127\.0\.0\.1:\d+/\?token=[0-9a-f]+ and filter", output)
    demo.send_signal(signal.SIGINT)
    assert demo.wait(30) == 0
    assert all(_closed(p) for p in _ports(output))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
