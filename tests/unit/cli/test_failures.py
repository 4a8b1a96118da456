"""Commands raise; the command line catches once. Bad input (a recording it cannot read, a
profile that does not exist, an option value out of shape) ends with exit status 2 and one
line on stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mitmproxy import io
from mitmproxy.test import tflow

from authdoctor.cli.main import build_parser
from authdoctor.cli.main import main
from authdoctor.errors import AuthDoctorError

# (arguments, with {rec} an existing recording and {tmp} a fresh folder; what stderr says)
FAILURES = [
    (["analyze", "{tmp}/missing.mitm"], "{tmp}/missing.mitm: cannot read"),
    (["report", "{tmp}/missing.mitm", "-o", "{tmp}/r.html"], "{tmp}/missing.mitm: cannot read"),
    (["redact", "{tmp}/missing.mitm", "{tmp}/out.har"], "{tmp}/missing.mitm: cannot read"),
    (["bundle", "{tmp}/missing.mitm", "-o", "{tmp}/b.zip"], "{tmp}/missing.mitm: cannot read"),
    (["analyze", "{rec}", "--profile", "company-y"], "no bundled profile 'company-y'"),
    (["token", "{rec}", "--profile", "company-y"], "no bundled profile 'company-y'"),
    (["report", "{rec}", "-o", "{tmp}/r.md", "--leeway", "soon"], "authdoctor_leeway must be"),
    (["redact", "{rec}", "{tmp}/out.mitm", "--leeway", "-1"], "authdoctor_leeway must be"),
    (["bundle", "{rec}", "-o", "{tmp}/b.zip", "--pattern", "("], "invalid extra pattern '('"),
    (["redact", "{rec}", "{rec}"], "refusing to overwrite the input with its redacted copy"),
    (["report", "{rec}", "-o", "{tmp}/r.txt"], "{tmp}/r.txt: the report file must end in"),
    (["bundle", "{rec}", "-o", "{tmp}/b.tar"], "{tmp}/b.tar: the bundle must be a .zip file"),
    (["token", "{tmp}/missing.txt"], "No such file or directory"),
]
IDS = [" ".join(argv) for argv, _ in FAILURES]


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    recording = tmp_path / "recording.mitm"
    with recording.open("wb") as handle:
        io.FlowWriter(handle).add(tflow.tflow(resp=True))
    return {"rec": str(recording), "tmp": str(tmp_path)}


def _filled(words: list[str], places: dict[str, str]) -> list[str]:
    return [word.format(**places) for word in words]


@pytest.mark.parametrize(("argv", "message"), FAILURES, ids=IDS)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], places: dict[str, str], argv: list[str], message: str
) -> None:
    assert main(_filled(argv, places)) == 2
    out, err = capsys.readouterr()
    assert err.startswith("authdoctor: ") and err.count("\n") == 1, err
    assert message.format(**places) in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(("argv", "message"), FAILURES, ids=IDS)
def test_commands_raise_instead_of_printing(
    capsys: pytest.CaptureFixture[str], places: dict[str, str], argv: list[str], message: str
) -> None:
    """Only main() turns an error into text and an exit status: a command raises."""
    args = build_parser().parse_args(_filled(argv, places))
    with pytest.raises(AuthDoctorError, match=r".") as caught:
        args.run(args)
    assert message.format(**places) in str(caught.value)
    assert capsys.readouterr().err == ""


def test_the_installed_command_exits_2_without_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "missing.mitm"
    result = subprocess.run(
        [sys.executable, "-m", "authdoctor", "analyze", str(missing)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"authdoctor: {missing}: cannot read"), lines
