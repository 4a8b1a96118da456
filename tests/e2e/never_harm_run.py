"""One never-harm run: the whole traffic plan through one mitmdump, and what each side saw."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import h2.exceptions
from mitmproxy import http

from tests.e2e import wire_h1
from tests.e2e import wire_h2
from tests.e2e.harness import Proxy
from tests.e2e.hostile_plan import Exchange
from tests.e2e.hostile_plan import h1_request
from tests.e2e.hostile_plan import h2_request

H1_WORKERS = 6
H2_CONNECTIONS = 6
NORMAL_ID = "final-normal-request"


@dataclass
class Run:
    upstream: dict[str, object]  # exchange id -> what the server received
    client: dict[str, object]  # exchange id -> what the client received
    alive: bool  # the proxy process was still running after all the traffic
    final_answer: bytes  # the answer to one normal request sent last
    log: str
    flows: list[http.HTTPFlow]  # as mitmdump -w wrote them


def _h1(proxy: Proxy, upstream: wire_h1.Http1Upstream, ex: Exchange) -> object:
    try:
        return wire_h1.send(proxy.port, h1_request(ex, upstream.port))
    except OSError as e:  # kept as the outcome: the other run must fail the same way
        return f"client error: {type(e).__name__}"


def _h2(proxy: Proxy, upstream: wire_h2.Http2Upstream, batch: list[Exchange]) -> dict[str, object]:
    ca_file = proxy.workdir / "confdir" / "mitmproxy-ca-cert.pem"
    requests = [(ex.id, h2_request(ex, upstream.port)) for ex in batch]
    try:
        return dict(wire_h2.exchange_all(proxy.port, upstream.port, ca_file, requests))
    except (OSError, h2.exceptions.H2Error) as e:  # every stream of the connection failed
        return {ex.id: f"connection error: {type(e).__name__}" for ex in batch}


def drive(
    proxy: Proxy,
    exchanges: list[Exchange],
    h1: wire_h1.Http1Upstream,
    h2: wire_h2.Http2Upstream,
    ready_line: str | None = None,
) -> Run:
    """Start the proxy, send everything, one normal request last, stop the proxy (always)."""
    h1.received.clear()
    h2.received.clear()
    proxy.start()
    try:
        if ready_line:
            deadline = time.monotonic() + 30
            while ready_line not in proxy.log() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ready_line in proxy.log(), proxy.log()[-3000:]
        ones = [ex for ex in exchanges if ex.protocol == "h1"]
        twos = [ex for ex in exchanges if ex.protocol == "h2"]
        batches = [twos[i::H2_CONNECTIONS] for i in range(H2_CONNECTIONS)]
        client: dict[str, object] = {}
        with ThreadPoolExecutor(H1_WORKERS + H2_CONNECTIONS) as pool:
            h2_runs = [pool.submit(_h2, proxy, h2, batch) for batch in batches if batch]
            h1_runs = {ex.id: pool.submit(_h1, proxy, h1, ex) for ex in ones}
            client.update({exchange: run.result() for exchange, run in h1_runs.items()})
            for run in h2_runs:
                client.update(run.result())
        normal = (
            f"GET http://127.0.0.1:{h1.port}/v2/devices HTTP/1.1\r\nHost: 127.0.0.1:{h1.port}\r\n"
            f"Authorization: Bearer opaque-normal-token\r\nX-NH-Id: {NORMAL_ID}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        h1.answers[NORMAL_ID] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"
        final_answer = wire_h1.send(proxy.port, normal)
        assert proxy.process is not None
        alive = proxy.process.process.poll() is None
    finally:
        proxy.stop()
    return Run(
        upstream={**h1.received, **h2.received},
        client=client,
        alive=alive,
        final_answer=final_answer,
        log=proxy.log(),
        flows=proxy.flows(),
    )


def proxy_for(workdir: Path, options: list[str], with_addon: bool) -> Proxy:
    workdir.mkdir(parents=True, exist_ok=True)
    return Proxy(workdir, options, with_addon=with_addon)
