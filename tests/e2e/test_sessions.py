"""Session patterns end to end: real clients misbehaving, and one behaving, through the proxy."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

from authdoctor.sandbox import Sandbox
from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy


class Client:
    """A small API client that goes through the proxy, tagging each request with a case."""

    def __init__(self, proxy: Proxy, sandbox: Sandbox, client_id: str, secret: str) -> None:
        self.proxy, self.sandbox = proxy, sandbox
        self.client_id, self.secret = client_id, secret
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": proxy.url}),
            urllib.request.HTTPErrorProcessor(),
        )

    def _send(self, request: urllib.request.Request) -> tuple[int, bytes]:
        try:
            with self.opener.open(request, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def token(self, case: str, **fields: str) -> tuple[int, dict]:
        form = {"client_id": self.client_id, "client_secret": self.secret, **fields}
        form.setdefault("grant_type", "client_credentials")
        request = urllib.request.Request(
            self.sandbox.url + "/oauth/token",
            data=urllib.parse.urlencode(form).encode(),
            headers={CASE_HEADER: case},
        )
        status, body = self._send(request)
        return status, json.loads(body)

    def get(self, case: str, token: str, path: str = "/v2/devices") -> int:
        request = urllib.request.Request(
            self.sandbox.url + path,
            headers={"Authorization": f"Bearer {token}", CASE_HEADER: case},
        )
        return self._send(request)[0]


def findings(proxy: Proxy, case: str) -> list[tuple[str, str]]:
    meta = proxy.flow_for(case).metadata["authdoctor"]
    return [(f["rule"], f["severity"]) for f in meta["findings"]]


def test_a_client_retrying_with_the_same_expired_token(proxy: Proxy, production: Sandbox) -> None:
    client = Client(proxy, production, "retry-app", "unused")
    now = time.time()
    expired = production.mint(
        claims={"client_id": "retry-app", "sub": "retry-app", "iat": int(now - 4000),
                "exp": int(now - 400)}
    )  # fmt: skip
    assert [client.get(f"retry-{n}", expired) for n in range(3)] == [401, 401, 401]
    assert findings(proxy, "retry-0") == [("token-expired", "error")]
    assert findings(proxy, "retry-1") == [
        ("token-expired", "error"), ("token-reused-after-401", "warning"),
    ]  # fmt: skip
    assert set(findings(proxy, "retry-2")) == {
        ("token-expired", "error"), ("token-reused-after-401", "warning"),
        ("retry-loop", "warning"),
    }  # fmt: skip


def test_a_client_that_refreshes_only_after_a_401(proxy: Proxy, production: Sandbox) -> None:
    production.register_client("reactive-app", "reactive-secret", "read write")
    client = Client(proxy, production, "reactive-app", "reactive-secret")
    status, grant = client.token("reactive-first")
    assert status == 200
    now = time.time()
    expired = production.mint(
        claims={"client_id": "reactive-app", "sub": "reactive-app", "iat": int(now - 3700),
                "exp": int(now - 100)}
    )  # fmt: skip
    assert client.get("reactive-call", expired) == 401
    status, _ = client.token(
        "reactive-refresh", grant_type="refresh_token", refresh_token=grant["refresh_token"]
    )
    assert status == 200
    assert findings(proxy, "reactive-refresh") == [("reactive-refresh", "warning")]
    comment = proxy.flow_for("reactive-refresh").comment
    assert "only after it had sent requests with an expired one" in comment


def test_a_well_behaved_client_gets_no_warning(proxy: Proxy, production: Sandbox) -> None:
    """Refreshes ahead of expiry, drops a token after a 401, never reuses it."""
    production.register_client("good-app", "good-secret", "read write")
    client = Client(proxy, production, "good-app", "good-secret")
    status, first = client.token("good-token-1")
    assert status == 200
    assert [client.get(f"good-call-{n}", first["access_token"]) for n in range(3)] == [200] * 3
    status, second = client.token(
        "good-refresh", grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert status == 200
    assert client.get("good-call-3", second["access_token"]) == 200
    production.revoke(second["access_token"])  # an administrator revokes it
    assert client.get("good-revoked", second["access_token"]) == 401
    status, third = client.token("good-token-2")  # drops the rejected token, gets a new one
    assert status == 200
    assert client.get("good-call-4", third["access_token"]) == 200
    quiet = ["good-token-1", "good-refresh", "good-token-2", *(f"good-call-{n}" for n in range(5))]
    for case in quiet:
        assert findings(proxy, case) == [], case
    assert findings(proxy, "good-revoked") == [("token-revoked", "error")]
