"""Session fixtures: two Company X sandboxes (production, staging) and a real mitmdump."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from authdoctor.sandbox import Sandbox
from authdoctor.sandbox.profile import write_sandbox_profile
from tests.e2e.harness import Proxy


@pytest.fixture(scope="session")
def production() -> Iterator[Sandbox]:
    with Sandbox("production") as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def staging() -> Iterator[Sandbox]:
    with Sandbox("staging") as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def proxy(
    tmp_path_factory: pytest.TempPathFactory, production: Sandbox, staging: Sandbox
) -> Iterator[Proxy]:
    workdir: Path = tmp_path_factory.mktemp("proxy")
    profile = write_sandbox_profile(workdir / "sandbox.yaml", production.port, staging.port)
    running = Proxy(workdir, ["--set", f"authdoctor_profile={profile}"]).start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _clock_reset(production: Sandbox, staging: Sandbox) -> Iterator[None]:
    """Tests that skew a sandbox clock must not leak it into the next test."""
    yield
    production.clock_offset = 0.0
    staging.clock_offset = 0.0
