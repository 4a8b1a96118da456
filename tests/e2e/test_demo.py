"""`authdoctor demo`: every runbook cause shown within seconds, and nothing left listening."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import demo_process
from tests.e2e.harness import group_alive
from tests.e2e.harness import read_until

AUTHDOCTOR = str(Path(sys.executable).with_name("authdoctor"))
INTERRUPTED_DEMO = Path(__file__).with_name("interrupted_demo.py")
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
    output = _ctrl_c_when_serving(command, tmp_path)
    if web:
        assert re.search(r"open http://127\.0\.0\.1:\d+/\?token=[0-9a-f]+ and filter", output)


def test_ctrl_c_stops_it_when_started_with_sigint_ignored(tmp_path: Path) -> None:
    """A script's background job (bash without job control) starts with SIGINT ignored, and
    so does every child of a test suite started that way: the demo keeps its word anyway."""
    ignoring = ["sh", "-c", 'trap "" INT; exec "$0" "$@"', AUTHDOCTOR, "demo", "--port", "0",
                "--no-web"]  # fmt: skip
    _ctrl_c_when_serving(ignoring, tmp_path)


@pytest.mark.parametrize(
    "moment",
    ["sandbox started", "proxy spawned", "proxy starting", "scenarios", "summary", "stopping"],
)
def test_ctrl_c_at_any_moment_of_start_up_stops_everything(moment: str, tmp_path: Path) -> None:
    with demo_process([sys.executable, str(INTERRUPTED_DEMO), moment], tmp_path) as demo:
        output = read_until(demo, "ctrl-c: ")
        assert "ctrl-c: " in output, output
        assert demo.wait(30) == 0
        assert not group_alive(demo.pid)  # no proxy left behind
        assert demo.stdout is not None
        assert f"ctrl-c: {moment}" in output + demo.stdout.read()


def _ctrl_c_when_serving(command: list[str], cwd: Path) -> str:
    """Ctrl-C once the demo says that it stops so: it exits 0 and leaves nothing running."""
    with demo_process(command, cwd) as demo:
        output = read_until(demo, "Ctrl-C stops")
        assert "Ctrl-C stops" in output
        demo.send_signal(signal.SIGINT)
        assert demo.wait(30) == 0
        assert not group_alive(demo.pid)  # no proxy left behind
    assert all(_closed(p) for p in _ports(output))
    return output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
