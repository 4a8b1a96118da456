"""The demo's scripted client: every root cause of the runbook, and healthy calls, through the
proxy against the built-in sandboxes. Each call carries `X-Authdoctor-Demo: <scenario>`."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from authdoctor.sandbox import DEMO_CLIENT_ID
from authdoctor.sandbox import DEMO_CLIENT_SECRET
from authdoctor.sandbox import Sandbox

SCENARIO_HEADER = "X-Authdoctor-Demo"


@dataclass
class Client:
    proxy_port: int
    production: Sandbox
    staging: Sandbox

    def _opener(self) -> urllib.request.OpenerDirector:
        proxy = f"http://127.0.0.1:{self.proxy_port}"
        return urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))

    def send(
        self,
        scenario: str,
        path: str,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        data: bytes | None = None,
    ) -> int:
        target = self.production.url + path
        request = urllib.request.Request(target, data=data, method=method)
        for name, value in {**(headers or {}), SCENARIO_HEADER: scenario}.items():
            request.add_header(name, value)
        try:
            with self._opener().open(request, timeout=10) as answer:
                answer.read()
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def token(self, scenario: str, **fields: str) -> dict:
        form = {"grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET, **fields}  # fmt: skip
        request = urllib.request.Request(
            self.production.url + "/oauth/token", data=urllib.parse.urlencode(form).encode()
        )
        request.add_header(SCENARIO_HEADER, scenario)
        try:
            with self._opener().open(request, timeout=10) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as error:
            return json.load(error)

    def raw(self, scenario: str, authorization: bytes) -> None:
        """Header shapes no HTTP library sends: a line break folded into the token."""
        host = f"127.0.0.1:{self.production.port}".encode()
        head = b"".join([
            b"GET http://" + host + b"/v2/devices HTTP/1.1\r\nHost: " + host + b"\r\n",
            SCENARIO_HEADER.encode() + b": " + scenario.encode() + b"\r\n",
            b"Authorization: " + authorization + b"\r\nConnection: close\r\n\r\n",
        ])  # fmt: skip
        with socket.create_connection(("127.0.0.1", self.proxy_port), timeout=10) as sock:
            sock.sendall(head)
            while sock.recv(65536):
                pass


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run_scenarios(client: Client) -> list[str]:
    """Play every scenario in order; returns their names."""
    p, s = client.production, client.staging
    now = int(time.time())
    fresh = client.token("healthy: get a token")
    access = fresh["access_token"]
    played = ["healthy: get a token"]

    def get(name: str, headers: dict[str, str] | None = None, path: str = "/v2/devices",
            **options: object) -> None:  # fmt: skip
        client.send(name, path, headers, **options)  # type: ignore[arg-type]
        played.append(name)

    get("healthy: list devices", _bearer(access))
    get("missing Authorization header")
    get("token without 'Bearer '", {"Authorization": access})
    get("lowercase 'bearer'", {"Authorization": f"bearer {access}"})
    get("'Authentication' header", {"Authentication": f"Bearer {access}"})
    client.raw("line break in the token", b"Bearer " + _folded(access))
    played.append("line break in the token")
    get("truncated token", _bearer(access[:-40]))
    get("expired token", _bearer(p.mint(claims={"iat": now - 11600, "exp": now - 8000})))
    get("not yet valid", _bearer(p.mint(claims={"nbf": now + 900})))
    get("missing scope", _bearer(p.mint(scope="read")), "/v2/devices/d1/actions",
        method="POST", data=b"{}")  # fmt: skip
    get("staging token on production", _bearer(s.mint()))
    get("wrong audience", _bearer(p.mint(claims={"aud": "https://billing.xxx.com"})))
    for name, play in (
        ("revoked token", _revoked),
        ("clock skew", _skewed),
        ("revoked client credentials", _revoked_client),
    ):
        play(client)
        played.append(name)
    _replayed(client, fresh["refresh_token"])
    played += ["refresh (rotates the refresh token)", "rotated refresh token replayed"]
    get("token about to expire", _bearer(p.mint(lifetime=120)))
    signed_in = client.token("sign-in (openid: an ID token too)", scope="openid read")
    played.append("sign-in (openid: an ID token too)")
    get("ID token sent as the access token", _bearer(signed_in["id_token"]))
    get("refresh token used as access token", _bearer(signed_in["refresh_token"]))
    return played


def _folded(token: str) -> bytes:
    """The token with a line break (and the space that folds it) after 40 characters."""
    return token[:40].encode() + b"\r\n " + token[40:].encode()


def _revoked(client: Client) -> None:
    token = client.production.mint()
    client.production.revoke(token)
    client.send("revoked token", "/v2/devices", _bearer(token))


def _skewed(client: Client) -> None:
    token = client.production.mint()
    client.production.clock_offset = 7200  # the API's clock runs two hours ahead
    try:
        client.send("clock skew", "/v2/devices", _bearer(token))
    finally:
        client.production.clock_offset = 0


def _revoked_client(client: Client) -> None:
    client.production.register_client("retired-app", "retired-secret", "read", status="revoked")
    client.token(
        "revoked client credentials", client_id="retired-app", client_secret="retired-secret"
    )


def _replayed(client: Client, refresh: str) -> None:
    client.token(
        "refresh (rotates the refresh token)", grant_type="refresh_token", refresh_token=refresh
    )
    client.token(
        "rotated refresh token replayed", grant_type="refresh_token", refresh_token=refresh
    )
