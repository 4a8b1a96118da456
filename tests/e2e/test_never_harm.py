"""Never harm: a few thousand hostile exchanges through a real mitmdump with authdoctor (every
shipped rule, the Company X profile on the test servers, plus one rule that raises) and the
same exchanges through a mitmdump without it. Every exchange must reach the server and come
back to the client byte for byte the same in both runs, and the proxy must stay up.

HTTP/1.1 is compared as raw bytes on both sockets (the request as the server read it, the
answer as the client read it); HTTP/2 as the header list and body of each stream. No header
is excluded: the servers send no Date of their own and the ports are the same in both runs.
The seed can be changed with NEVER_HARM_SEED to explore.
"""

from __future__ import annotations

import os
from collections import Counter
from urllib.parse import parse_qsl

import pytest

from authdoctor.sandbox.profile import write_sandbox_profile
from tests.e2e import wire_h1
from tests.e2e import wire_h2
from tests.e2e.harness import REPO
from tests.e2e.hostile_plan import Exchange
from tests.e2e.hostile_plan import h1_response
from tests.e2e.hostile_plan import h2_response
from tests.e2e.hostile_plan import plan
from tests.e2e.hostile_requests import KEY_HEADERS
from tests.e2e.never_harm_run import NORMAL_ID
from tests.e2e.never_harm_run import Run
from tests.e2e.never_harm_run import drive
from tests.e2e.never_harm_run import proxy_for

SEED = int(os.environ.get("NEVER_HARM_SEED", "20250607"))
H1_EXCHANGES = 2600
H2_EXCHANGES = 400
FAILING_SCRIPT = REPO / "tests" / "e2e" / "failing_rule.py"
READY = "never-harm: rule never-harm-failing added"
INTERNAL_ERROR = "authdoctor: internal error"
SECRET_PREFIX = 16


def _status_of(answer: object) -> int | None:
    """The status the client saw: from the raw HTTP/1.1 bytes or the HTTP/2 header list."""
    if isinstance(answer, bytes) and answer.startswith(b"HTTP/1.1 "):
        return int(answer[9:12])
    if isinstance(answer, tuple):
        return next((int(v) for n, v in answer[0] if n == b":status"), None)
    return None


def _differences(exchanges: list[Exchange], bare: Run, doctored: Run) -> list[str]:
    problems = []
    for ex in exchanges:
        where = f"{ex.id} ({ex.request_kind} -> {ex.response_kind}, {ex.framing})"
        for run, name in ((bare, "without"), (doctored, "with")):
            if ex.id not in run.upstream:
                problems.append(f"{where}: never reached the server {name} the addon")
            if _status_of(run.client.get(ex.id)) != ex.status:
                problems.append(f"{where}: the client did not get {ex.status} {name} the addon")
        if bare.upstream.get(ex.id) != doctored.upstream.get(ex.id):
            problems.append(f"{where}: the server received different bytes with the addon")
        if bare.client.get(ex.id) != doctored.client.get(ex.id):
            problems.append(f"{where}: the client received different bytes with the addon")
    return problems


def _secrets(ex: Exchange) -> set[str]:
    """The credentials an exchange carries (Authorization, API-key headers, query values),
    whole and word by word, where long enough to be unmistakable."""
    values = [
        v.decode("latin-1")
        for n, v in ex.headers
        if n.lower() in (b"authorization", b"dpop") or n in KEY_HEADERS
    ]
    if "?" in ex.target:
        values += [v for _, v in parse_qsl(ex.target.split("?", 1)[1])]
    return {w for v in values for w in (v, *v.split()) if len(w) >= SECRET_PREFIX}


def _leaked(secrets: set[str], text: str) -> list[str]:
    """Secrets whose first SECRET_PREFIX characters appear anywhere in text (in one pass)."""
    windows = {text[i : i + SECRET_PREFIX] for i in range(len(text) - SECRET_PREFIX + 1)}
    return sorted(s for s in secrets if s[:SECRET_PREFIX] in windows)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Exchange], Run, Run]:
    tmp = tmp_path_factory.mktemp("never-harm")
    exchanges = plan(SEED, H1_EXCHANGES, H2_EXCHANGES)
    h1 = wire_h1.Http1Upstream({e.id: h1_response(e) for e in exchanges if e.protocol == "h1"})
    h2 = wire_h2.Http2Upstream(
        {e.id: h2_response(e) for e in exchanges if e.protocol == "h2"}, wire_h2.self_signed(tmp)
    )
    with h1.running(), h2.running():
        # production is the HTTP/1.1 server, staging the HTTP/2 one: Company X rules apply
        profile = write_sandbox_profile(tmp / "profile.yaml", h1.port, h2.port)
        common = ["--set", "ssl_insecure=true", "--set", "flow_detail=0"]
        bare = drive(proxy_for(tmp / "bare", common, with_addon=False), exchanges, h1, h2)
        doctored_options = [
            *common,
            "--set",
            f"authdoctor_profile={profile}",
            "-s",
            str(FAILING_SCRIPT),
        ]
        doctored_proxy = proxy_for(tmp / "doctored", doctored_options, with_addon=True)
        doctored = drive(doctored_proxy, exchanges, h1, h2, ready_line=READY)
    return exchanges, bare, doctored


def test_every_exchange_passes_byte_identical(runs: tuple[list[Exchange], Run, Run]) -> None:
    exchanges, bare, doctored = runs
    problems = _differences(exchanges, bare, doctored)
    assert not problems, f"seed {SEED}, {len(problems)} problems:\n" + "\n".join(problems[:30])
    counts = Counter((e.protocol, e.request_kind) for e in exchanges)
    assert len(exchanges) == H1_EXCHANGES + H2_EXCHANGES and len(counts) == 14, counts
    versions = {f.request.headers["x-nh-id"][:2]: f.request.http_version for f in doctored.flows}
    assert versions == {"h1": "HTTP/1.1", "h2": "HTTP/2.0", NORMAL_ID[:2]: "HTTP/1.1"}


def test_the_proxy_stays_up(runs: tuple[list[Exchange], Run, Run]) -> None:
    _, bare, doctored = runs
    for run in (bare, doctored):
        assert run.alive
        assert run.final_answer == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"
        assert NORMAL_ID in run.upstream
        assert "Traceback" not in run.log, run.log[run.log.index("Traceback") :][:3000]
    assert INTERNAL_ERROR not in bare.log


def test_a_failing_rule_leaves_the_flow_alone_and_is_logged_once_without_the_token(
    runs: tuple[list[Exchange], Run, Run],
) -> None:
    exchanges, _, doctored = runs
    failing = [e for e in exchanges if e.fails]
    assert len(failing) >= 30 and {e.protocol for e in failing} == {"h1", "h2"}
    errors = [line for line in doctored.log.splitlines() if INTERNAL_ERROR in line]
    assert len(errors) == 1, errors  # only the deliberately failing rule, and only once
    assert f"{FAILING_SCRIPT}:" in errors[0] and "in when" in errors[0]
    secrets = set().union(*(_secrets(e) for e in failing))
    assert len(secrets) >= 20
    assert len(_leaked(secrets, errors[0])) == 0  # a count: pytest would print a list
    by_id = {f.request.headers["x-nh-id"]: f for f in doctored.flows}
    assert all("authdoctor" not in by_id[e.id].metadata for e in failing)


def test_no_credential_reaches_the_log(runs: tuple[list[Exchange], Run, Run]) -> None:
    exchanges, _, doctored = runs
    secrets = set().union(*(_secrets(e) for e in exchanges))
    assert len(secrets) > len(exchanges)
    leaked = _leaked(secrets, doctored.log)
    assert len(leaked) == 0, f"{len(leaked)} credentials in the log"


def test_the_addon_was_active(runs: tuple[list[Exchange], Run, Run]) -> None:
    exchanges, bare, doctored = runs
    flows = doctored.flows
    assert len(flows) == len(exchanges) + 1 == len(bare.flows)
    assert not any("authdoctor" in f.metadata for f in bare.flows)
    annotated = [f for f in flows if "authdoctor" in f.metadata]
    diagnosed = [f for f in annotated if f.metadata["authdoctor"].get("findings")]
    causes = Counter(f.metadata["authdoctor"]["findings"][0]["cause"] for f in diagnosed)
    expected = len(exchanges) + 1 - sum(e.fails for e in exchanges)
    assert len(annotated) == expected, (len(annotated), expected)
    assert len(diagnosed) > len(exchanges) // 2 and len(causes) >= 10, causes
