"""`authdoctor token`: one token checked offline, from stdin or a file, never printed."""

from __future__ import annotations

import io
import time
from pathlib import Path

import jwt
import pytest

from authdoctor.cli.launch_command import mitmproxy_arguments
from authdoctor.cli.main import main
from authdoctor.util.paths import addon_script

KEY = "k" * 32


def _token(**claims) -> str:
    now = int(time.time())
    base = {"iss": "https://auth.xxx.com/", "aud": "https://api.xxx.com", "scope": "read",
            "iat": now - 60, "exp": now + 3000}  # fmt: skip
    return jwt.encode({**base, **claims}, KEY, algorithm="HS256")


def test_expired_token_from_stdin(monkeypatch, capsys) -> None:
    now = int(time.time())
    token = _token(iat=now - 11600, exp=now - 8000)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"Bearer {token}\n"))
    code = main(["token", "--profile", "company-x", "--url", "https://api.xxx.com/v2/devices"])
    out = capsys.readouterr().out
    assert code == 1
    assert "token-expired" in out and "2 h 13 min before the request" in out
    assert token not in out and token.split(".")[2] not in out


def test_missing_scope_for_the_endpoint_from_a_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "token.txt"
    path.write_text(_token() + "\n")
    url = "https://api.xxx.com/v2/organizations/o1"
    code = main(["token", str(path), "--profile", "company-x", "--url", url, "--method", "DELETE"])
    out = capsys.readouterr().out
    assert code == 1 and "insufficient-scope" in out and "accepts any of [admin]" in out


def test_a_good_token_has_no_finding(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(_token()))
    url = "https://api.xxx.com/v2/devices"
    assert main(["token", "--profile", "company-x", "--url", url]) == 0
    assert "No problem found" in capsys.readouterr().out


def test_no_token_is_a_clear_error(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("   \n"))
    assert main(["token"]) == 2
    assert "no token given" in capsys.readouterr().err


@pytest.mark.parametrize("passed", [[], ["-p", "9090", "--set", "authdoctor_profile=company-x"]])
def test_launchers_preload_the_addon_on_loopback(passed: list[str]) -> None:
    assert mitmproxy_arguments(passed) == [
        "--listen-host", "127.0.0.1", "-s", str(addon_script()), *passed,
    ]  # fmt: skip
    assert addon_script().is_file()
