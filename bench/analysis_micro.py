"""Micro-benchmark: CPU time of authdoctor's per-flow work (facts + rules + diagnosis + annotation).

Run by hand:  .venv/bin/python bench/analysis_micro.py [flows-per-kind]
It builds realistic flows (RS256 tokens of the Company X shape, healthy and failing answers),
then times AuthDoctor's response hook on them with time.process_time, once with a cold token
cache (every token new) and once warm (tokens repeat, as in a real session).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from mitmproxy import http
from mitmproxy.test import taddons
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.live.addon import AuthDoctor
from authdoctor.util import caches

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
BODY_401 = (
    b'{"error": "unauthorized", "error_description": "The access token is invalid or has expired",'
    b' "error_code": "E-AUTH-001", "timestamp": "2024-03-08T14:23:45Z",'
    b' "request_id": "req_0123456789"}'
)


def token(now: float, index: int, *, expired: bool = False, scope: str = "read write") -> str:
    exp = now - 600 if expired else now + 3000
    claims = {
        "iss": "https://auth.xxx.com/", "aud": "https://api.xxx.com", "sub": "demo-client",
        "client_id": "demo-client", "scope": scope, "iat": int(exp - 3600), "nbf": int(exp - 3600),
        "exp": int(exp), "jti": f"jti-{index}",
    }  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1", "typ": "at+jwt"})


def flow(kind: str, index: int, tokens: dict[str, str]) -> http.HTTPFlow:
    if kind == "healthy":
        status, headers, body = 200, {}, b'{"data": []}'
    elif kind == "expired":
        status, body = 401, BODY_401
        headers = {"www-authenticate": 'Bearer realm="Company X API", error="invalid_token"'}
    else:
        status, body = 403, BODY_401
        headers = {
            "www-authenticate": 'Bearer error="insufficient_scope", scope="write devices:manage"'
        }
    f = tflow.tflow(resp=tutils.tresp(status_code=status, content=body))
    f.response.headers.clear()
    for name, value in {
        **headers,
        "content-type": "application/json",
        "x-request-id": f"req_{index}",
    }.items():
        f.response.headers[name] = value
    f.response.headers["date"] = formatdate(f.request.timestamp_start, usegmt=True)
    f.request.host, f.request.port, f.request.scheme = "api.xxx.com", 443, "https"
    f.request.method = "POST" if kind == "scope" else "GET"
    f.request.path = "/v2/devices/d1/actions" if kind == "scope" else "/v2/devices?limit=5"
    f.request.content = b""
    f.request.headers["authorization"] = "Bearer " + tokens[kind]
    return f


@contextlib.contextmanager
def addon_context(addon: AuthDoctor) -> Iterator[taddons.context]:
    """taddons.context, minus the log handler it leaves on the root logger when it closes
    its event loop: the next context's logging would reach that closed loop and fail."""
    before = list(logging.getLogger().handlers)
    try:
        with taddons.context(addon) as tctx:
            yield tctx
    finally:
        for handler in logging.getLogger().handlers:
            if handler not in before:
                logging.getLogger().removeHandler(handler)


def run(
    per_kind: int, distinct_tokens: bool, kinds: tuple[str, ...] = ("healthy", "expired", "scope")
) -> float:
    addon = AuthDoctor()
    with addon_context(addon) as tctx:
        tctx.configure(addon, authdoctor_profile=["company-x"])
        now = tflow.tflow().request.timestamp_start
        flows = []
        for i in range(per_kind):
            n = i if distinct_tokens else 0
            tokens = {
                "healthy": token(now, 3 * n), "expired": token(now, 3 * n + 1, expired=True),
                "scope": token(now, 3 * n + 2, scope="read"),
            }  # fmt: skip
            flows += [flow(kind, i, tokens) for kind in kinds]
        caches.clear_all()
        # As in the proxy: the request hook runs before the response exists.
        responses = [f.response for f in flows]
        for f in flows:
            f.response = None
        start = time.process_time()
        for f, response in zip(flows, responses, strict=True):
            addon.request(f)
            f.response = response
            addon.response(f)
        elapsed = time.process_time() - start
    return elapsed / len(flows) * 1e6


MIXES = {"healthy only": ("healthy",), "1 healthy : 2 failing": ("healthy", "expired", "scope")}
CACHES = (("cold", True), ("warm", False))  # token cache: every token new, or tokens reused


def measure(per_kind: int) -> list[tuple[str, str, float, int]]:
    """(mix, token cache, µs per flow as the median of 3 runs, flows per run) for each case."""
    logging.getLogger("authdoctor").setLevel(logging.ERROR)  # the event-log line is not the cost
    rows = []
    for mix, kinds in MIXES.items():
        for cache, distinct in CACHES:
            results = sorted(run(per_kind, distinct, kinds) for _ in range(3))
            rows.append((mix, cache, results[1], len(kinds) * per_kind))
    return rows


def main() -> None:
    per_kind = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for mix, cache, micros, count in measure(per_kind):
        print(
            f"{mix:22} {cache} token cache: {micros:6.1f} µs per flow "
            f"(request + response hooks, median of 3 runs of {count} flows)"
        )


if __name__ == "__main__":
    main()
