"""Stack rule packs end to end: curl -> real mitmdump with the addon -> a local server that
answers like Istio and like Spring Security (tests/e2e/stack_servers.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl
from tests.e2e.stack_servers import StackServer

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def stack_server() -> Iterator[StackServer]:
    with StackServer(KEY.public_key()) as server:
        yield server


def token(expires_in: int) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://login.example.com/",
        "sub": "svc-orders",
        "aud": "orders-api",
        "iat": now - 3600,
        "exp": now + expires_in,
    }
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})


def call(proxy: Proxy, url: str, case: str, *headers: str) -> str:
    args = ["-H", f"{CASE_HEADER}: {case}"]
    for header in headers:
        args += ["-H", header]
    return curl(proxy, url, *args).stdout


def findings(proxy: Proxy, case: str) -> tuple[str | None, list[str], str]:
    flow = proxy.flow_for(case)
    meta = flow.metadata["authdoctor"]
    return meta["cause"], [f["rule"] for f in meta["findings"]], flow.comment


def test_istio_rbac_denial_without_a_token_is_missing_authorization(
    proxy: Proxy, stack_server: StackServer
) -> None:
    assert call(proxy, stack_server.url + "/istio/orders", "istio-no-token") == "403"
    cause, rules, comment = findings(proxy, "istio-no-token")
    assert cause == "missing_authorization"
    assert rules[0] == "istio-rbac-denied-no-token"
    assert '403 ("RBAC: access denied")' in comment

    bearer = f"Authorization: Bearer {token(3000)}"
    assert call(proxy, stack_server.url + "/istio/orders", "istio-token", bearer) == "200"
    assert findings(proxy, "istio-token")[0] is None


def test_spring_expired_token(proxy: Proxy, stack_server: StackServer) -> None:
    expired = f"Authorization: Bearer {token(-7200)}"
    assert call(proxy, stack_server.url + "/spring/orders", "spring-expired", expired) == "401"
    cause, rules, comment = findings(proxy, "spring-expired")
    assert cause == "token_expired"
    assert rules[0] == "spring-jwt-expired"
    assert "token-expired" not in rules  # the stack rule speaks for it
    assert "An error occurred while attempting to decode the Jwt: Jwt expired at" in comment
    assert "2 h before the request was sent" in comment

    fresh = f"Authorization: Bearer {token(3000)}"
    assert call(proxy, stack_server.url + "/spring/orders", "spring-fresh", fresh) == "200"
    assert findings(proxy, "spring-fresh")[0] is None
