"""Proxy overhead: the same load through mitmdump without and with authdoctor, alternating.

Run by hand:  .venv/bin/python bench/proxy_overhead.py [--requests 3000] [--runs 3]
A Company X sandbox (real RS256 validation, scopes, token endpoint) answers on 127.0.0.1
through an asyncio front (bench/loopback.py); a keep-alive client sends a mix of healthy and
failing calls through a fresh mitmdump per run: a b a b ..., (a) plain, (b) with
`-s addons/authdoctor.py` and a profile naming the sandbox's port, so every shipped rule is
loaded. Per run: CPU of the proxy process per request (/proc/<pid>/stat utime + stime, over
the measured load only), throughput, latencies, and for (b) the time spent inside the addon's
own hooks (AUTHDOCTOR_HOOK_TIMES, src/authdoctor/hook_times.py), measured in the same run.
A last, untimed run records the flows, and bench/by_kind.py replays the hooks on them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import by_kind
import loopback
from mitmproxy.certs import CertStore

from authdoctor.cli.proxy_process import ProxyProcess
from authdoctor.live.hook_times import ENV_VAR
from authdoctor.live.hook_times import HookTimes
from authdoctor.sandbox import Sandbox
from authdoctor.sandbox.profile import write_sandbox_profile
from authdoctor.sandbox.ratelimit import RateCounter

REPO = Path(__file__).resolve().parents[1]
MITMDUMP = Path(sys.executable).with_name("mitmdump")
VARIANTS = ("without", "with")
CLOCK_TICK_S = 1 / os.sysconf("SC_CLK_TCK")
# One cycle of the load: half healthy (calls and a token request), half failing, each with
# the status the sandbox must answer (checked, so a broken setup cannot pass as a result).
MIX: tuple[tuple[str, int], ...] = (
    ("healthy: list devices", 200),
    ("expired token", 401),
    ("healthy: list policies", 200),
    ("missing scope", 403),
    ("healthy: device action", 201),
    ("missing Authorization header", 401),
    ("healthy: list devices", 200),
    ("wrong scheme", 401),
    ("healthy: token request", 200),
    ("token request: wrong secret", 401),
    ("healthy: list devices", 200),
    ("token request: unknown scope", 400),
)
EXPECTED = dict(MIX)

Load = list[tuple[str, bytes]]


@dataclass
class Credentials:
    """A few tokens of the API's client, reused as a real client reuses its token, and the
    clients that ask the token endpoint: each at most a few times a minute, since one that
    asks more often is rightly a refresh_storm, and a newly issued token for the API's own
    client would rightly make its older ones superseded_token."""

    valid: list[str]
    expired: list[str]
    read_only: list[str]
    token_clients: list[tuple[str, str]]

    @classmethod
    def make(cls, sandbox: Sandbox, token_clients: int, count: int = 8) -> Credentials:
        now = int(sandbox.now())
        old = {"iat": now - 4200, "nbf": now - 4200, "exp": now - 600}
        clients = [(f"bench-job-{i}", f"bench-secret-{i}") for i in range(token_clients)]
        for client_id, secret in clients:
            sandbox.register_client(client_id, secret, "read write")
        return cls(
            valid=[sandbox.mint() for _ in range(count)],
            expired=[sandbox.mint(claims=old) for _ in range(count // 2)],
            read_only=[sandbox.mint(scope="read") for _ in range(count // 2)],
            token_clients=clients,
        )


def _raw(
    method: str, port: int, path: str, headers: dict[str, str], body: bytes | None = None
) -> bytes:
    host = f"127.0.0.1:{port}"
    lines = [
        f"{method} http://{host}{path} HTTP/1.1", f"Host: {host}",
        "User-Agent: authdoctor-bench/1", "Accept: application/json",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]  # fmt: skip
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def request_for(kind: str, index: int, credentials: Credentials, port: int) -> bytes:
    """The raw HTTP/1.1 request (absolute form, for a proxy) of one kind of call."""
    tagged = {by_kind.KIND_HEADER: kind}

    def call(authorization: str | None, action: bool = False, path: str = "/v2/devices?limit=5"):
        headers = {**tagged, **({"Authorization": authorization} if authorization else {})}
        if not action:
            return _raw("GET", port, path, headers)
        headers["Content-Type"] = "application/json"
        return _raw("POST", port, "/v2/devices/d1/actions", headers, b'{"action": "reboot"}')

    def token_request(**fields: str) -> bytes:
        # One client per cycle of the mix: its three token requests, then the next client.
        clients = credentials.token_clients
        client_id, secret = clients[index // len(MIX) % len(clients)]
        form = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": secret, "scope": "read write", **fields}  # fmt: skip
        headers = {**tagged, "Content-Type": "application/x-www-form-urlencoded"}
        return _raw("POST", port, "/oauth/token", headers, urlencode(form).encode())

    def pick(pool: list[str]) -> str:
        return "Bearer " + pool[index % len(pool)]

    valid = pick(credentials.valid)
    match kind:
        case "healthy: list devices":
            return call(valid)
        case "healthy: list policies":
            return call(valid, path="/v2/policies")
        case "healthy: device action":
            return call(valid, action=True)
        case "expired token":
            return call(pick(credentials.expired))
        case "missing scope":
            return call(pick(credentials.read_only), action=True)
        case "missing Authorization header":
            return call(None)
        case "wrong scheme":
            return call(valid.replace("Bearer ", "Token ", 1))
        case "healthy: token request":
            return token_request()
        case "token request: wrong secret":
            return token_request(client_secret="not-the-secret")
        case "token request: unknown scope":
            return token_request(scope="read superuser")
    raise ValueError(f"unknown kind of call: {kind}")


def build_load(count: int, credentials: Credentials, port: int) -> Load:
    kinds = (MIX[i % len(MIX)][0] for i in range(count))
    return [(kind, request_for(kind, i, credentials, port)) for i, kind in enumerate(kinds)]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * CLOCK_TICK_S


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Run:
    """One proxy run: what the proxy process spent, what the client saw, and our hooks."""

    variant: str
    requests: int
    seconds: float
    cpu_s: float
    startup_s: float
    rss_mib: float
    latencies_s: list[float]
    hook_times: dict[str, dict[str, float]] | None
    failing: int  # failing calls sent, warm-up included

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_s / self.requests * 1e6

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds

    def hook_us_per_flow(self, clock: str = "cpu_s") -> float:
        """Our hooks' time per flow, over every flow of the run (warm-up included)."""
        assert self.hook_times is not None
        flows = sum(self.hook_times.get(h, {}).get("calls", 0) for h in ("response", "error"))
        return sum(total[clock] for total in self.hook_times.values()) / flows * 1e6


@dataclass
class Setup:
    api_port: int
    profile: Path
    workdir: Path
    connections: int
    warmup: Load
    load: Load


def proxy_command(variant: str, setup: Setup) -> list[str]:
    command = [
        str(MITMDUMP), "--listen-host", "127.0.0.1", "-p", "0",
        "--set", f"confdir={setup.workdir / 'confdir'}", "--set", "flow_detail=0",
    ]  # fmt: skip
    if variant == "with":
        command += ["-s", str(REPO / "addons" / "authdoctor.py"),
                    "--set", f"authdoctor_profile={setup.profile}"]  # fmt: skip
    return command


def _check_answers(variant: str, statuses: list[tuple[str, int]]) -> None:
    wrong = Counter((kind, status) for kind, status in statuses if status != EXPECTED[kind])
    if wrong:
        detail = ", ".join(f"{kind} -> {status} x{n}" for (kind, status), n in wrong.items())
        raise RuntimeError(f"unexpected answers through the proxy ({variant}): {detail}")


async def one_run(variant: str, number: int, setup: Setup, extra: tuple[str, ...] = ()) -> Run:
    """Start a fresh mitmdump, warm it up, measure the load, stop it (done() writes times)."""
    hook_file = setup.workdir / f"hook-times-{number}.json"
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if variant == "with":
        env[ENV_VAR] = str(hook_file)
    started = time.perf_counter()
    proxy = ProxyProcess([*proxy_command(variant, setup), *extra], cwd=setup.workdir, env=env)
    try:
        if not await asyncio.to_thread(proxy.wait_ready, False, 60.0):
            raise RuntimeError(f"mitmdump ({variant}) did not start:\n{proxy.log()[-3000:]}")
        startup = time.perf_counter() - started
        port, pid = proxy.port or 0, proxy.process.pid
        warmed = await loopback.load(port, setup.warmup, setup.connections)
        _check_answers(variant, warmed.statuses)
        cpu_before = cpu_seconds(pid)
        result = await loopback.load(port, setup.load, setup.connections)
        cpu = cpu_seconds(pid) - cpu_before
        rss = rss_mib(pid)
        _check_answers(variant, result.statuses)
    finally:
        await asyncio.to_thread(proxy.stop)
    hook_times = json.loads(hook_file.read_text()) if variant == "with" else None
    failing = sum(EXPECTED[kind] >= 400 for kind, _ in (*setup.warmup, *setup.load))
    return Run(variant, len(setup.load), result.seconds, cpu, startup, rss, result.latencies_s,
               hook_times, failing)  # fmt: skip


@dataclass
class Results:
    runs: list[Run]
    by_kind: list[by_kind.KindCost]
    diagnosed: str  # by the replay: the proxy's event log counts repeats, not lines


async def run_pairs(
    requests: int, pairs: int, connections: int, workdir: Path, progress: bool = True
) -> list[Run]:
    """(a) without, (b) with the addon, alternating `pairs` times, then the recording run
    (flows.mitm and sandbox.yaml are left in `workdir`)."""
    CertStore.from_store(workdir / "confdir", "mitmproxy", 2048)  # CA made before timing
    with Sandbox("production") as production, Sandbox("staging") as staging:
        production.rate_counter = RateCounter(limit=10**9)  # healthy calls stay healthy
        servers = [await loopback.serve(production), await loopback.serve(staging)]
        ports = [server.sockets[0].getsockname()[1] for server in servers]
        try:
            profile = write_sandbox_profile(workdir / "sandbox.yaml", *ports)
            warmup_count = max(len(MIX), min(300, requests // 10))
            cycles = (warmup_count + requests) // len(MIX) + 1
            credentials = Credentials.make(production, token_clients=cycles // 2 + 1)
            warmup = build_load(warmup_count, credentials, ports[0])
            load = build_load(requests, credentials, ports[0])
            setup = Setup(ports[0], profile, workdir, connections, warmup, load)
            runs = []
            for number in range(2 * pairs):
                run = await one_run(VARIANTS[number % 2], number, setup)
                if progress:
                    print(f"  run {number + 1}/{2 * pairs}: {describe(run)}", flush=True)
                runs.append(run)
            await one_run("without", 2 * pairs, setup, ("-w", str(workdir / "flows.mitm")))
            return runs
        finally:
            for server in servers:
                server.close()
                await server.wait_closed()


def measure(requests: int, pairs: int, connections: int = 4, progress: bool = True) -> Results:
    """The alternating runs, then the hooks replayed by kind on the recorded flows."""
    with tempfile.TemporaryDirectory(prefix="authdoctor-bench-") as folder:
        workdir = Path(folder)
        runs = asyncio.run(run_pairs(requests, pairs, connections, workdir, progress))
        rows, diagnosed = by_kind.replay(workdir / "flows.mitm", workdir / "sandbox.yaml")
        return Results(runs, rows, diagnosed)


def describe(run: Run) -> str:
    text = (
        f"{run.variant:7} addon: {run.cpu_us_per_request:6.0f} µs CPU/request, "
        f"{run.requests_per_s:5.0f} req/s, p50 {percentile(run.latencies_s, 50) * 1e3:5.2f} ms"
    )
    if run.hook_times is None:
        return text
    return text + f", hooks {run.hook_us_per_flow():5.1f} µs CPU/flow"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timer_overhead_us(calls: int = 200_000) -> float:
    """What the hook timer itself adds per wrapped call (the b runs pay it, twice a flow)."""

    def hook(flow: object) -> None:
        return None

    timed = HookTimes(Path(os.devnull)).wrap("x", hook)
    start = time.thread_time()
    for _ in range(calls):
        hook(None)
    plain = time.thread_time() - start
    start = time.thread_time()
    for _ in range(calls):
        timed(None)
    return max(0.0, (time.thread_time() - start - plain) / calls * 1e6)


@dataclass
class Summary:
    """Medians per variant and the comparisons the README reports."""

    rows: list[dict[str, str]]
    cpu_without_us: float
    cpu_with_us: float
    cpu_ratio: float  # median of the pairs' with/without ratios
    hook_cpu_us: float
    hook_wall_us: float
    timer_us: float
    diagnosed: str

    @property
    def hook_share(self) -> float:
        """The addon's hooks as a share of the plain proxy's own CPU per request."""
        return self.hook_cpu_us / self.cpu_without_us


def summarize(runs: list[Run], diagnosed: str) -> Summary:
    rows, cpu = [], {}
    for variant in VARIANTS:
        mine = [r for r in runs if r.variant == variant]
        per_request = [r.cpu_us_per_request for r in mine]
        latencies = [s for r in mine for s in r.latencies_s]
        cpu[variant] = statistics.median(per_request)
        rows.append({
            "proxy": "mitmdump + authdoctor" if variant == "with" else "mitmdump alone",
            "runs": str(len(mine)),
            "CPU µs/request: median (range)":
                f"{cpu[variant]:.0f} ({min(per_request):.0f}-{max(per_request):.0f})",
            "requests/s": f"{statistics.median(r.requests_per_s for r in mine):.0f}",
            "p50 ms": f"{percentile(latencies, 50) * 1e3:.2f}",
            "p99 ms": f"{percentile(latencies, 99) * 1e3:.2f}",
            "start-up s": f"{statistics.median(r.startup_s for r in mine):.1f}",
            "RSS MiB at end": f"{statistics.median(r.rss_mib for r in mine):.0f}",
        })  # fmt: skip
    ratio = statistics.median(
        b.cpu_us_per_request / a.cpu_us_per_request
        for a, b in zip(runs[0::2], runs[1::2], strict=True)
    )
    with_runs = [r for r in runs if r.variant == "with"]
    return Summary(
        rows, cpu["without"], cpu["with"], ratio,
        statistics.median(r.hook_us_per_flow("cpu_s") for r in with_runs),
        statistics.median(r.hook_us_per_flow("wall_s") for r in with_runs),
        timer_overhead_us(), diagnosed,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (a b a b ...)")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections")
    args = parser.parse_args()
    results = measure(args.requests, args.runs, args.connections)
    summary = summarize(results.runs, results.diagnosed)
    for row in summary.rows:
        print("  ".join(f"{key}: {value}" for key, value in row.items()))
    print(
        f"CPU with/without (median of pairs) {summary.cpu_ratio:.2f}; hooks "
        f"{summary.hook_cpu_us:.1f} µs CPU/flow = {summary.hook_share:.1%} of the plain proxy's "
        f"CPU per request; timer adds {summary.timer_us:.2f} µs per hook call; "
        f"{summary.diagnosed}"
    )
    for row in results.by_kind:
        print(f"  {row.kind:30} {row.flows:5} flows: median {row.median_us:5.0f} µs, "
              f"mean {row.mean_us:5.0f} µs")  # fmt: skip


if __name__ == "__main__":
    main()
