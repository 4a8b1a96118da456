"""API keys end to end: a key-checking API on loopback, real mitmdump with the addon, curl.

The server answers like the providers it imitates (Stripe's 401 error object for an unknown
secret key; API Gateway's 403 {"message":"Forbidden"} for a wrong X-API-Key); the keys must
never reach the annotation, the event log or the saved flow's metadata.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.harness import CASE_HEADER
from tests.e2e.harness import Proxy
from tests.e2e.harness import curl

GOOD_KEY = "k-good-2f9c4e7a1b3d5f60"
WRONG_KEY = "k-wrong-8a6b4c2d0e9f7a5b"
WRONG_STRIPE_KEY = "sk_test_51WrongKeyExample0a1b2c3d4e5f6"


class KeyCheckingApi(BaseHTTPRequestHandler):
    """/v1/charges: Stripe's answer to an unknown key; /pets: API Gateway's, to a wrong key."""

    def do_GET(self) -> None:
        if self.path.startswith("/v1/charges"):
            user = base64.b64decode(self.headers.get("Authorization", "Basic ")[6:] or b"")
            key = user.decode().partition(":")[0]
            masked = key[:8] + "*" * (len(key) - 12) + key[-4:]
            self._answer(401, {"error": {"message": f"Invalid API Key provided: {masked}",
                                         "type": "invalid_request_error"}})  # fmt: skip
        elif self.headers.get("x-api-key") == GOOD_KEY:
            self._answer(200, {"pets": []})
        else:
            self._answer(403, {"message": "Forbidden"})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeyCheckingApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_rejected_keys_are_diagnosed_and_never_shown(tmp_path: Path, api: str) -> None:
    proxy = Proxy(tmp_path, []).start()
    try:
        calls = {
            "stripe-wrong-key": ("/v1/charges", ["-u", f"{WRONG_STRIPE_KEY}:"]),
            "gateway-wrong-key": ("/pets", ["-H", f"x-api-key: {WRONG_KEY}"]),
            "gateway-good-key": ("/pets", ["-H", f"x-api-key: {GOOD_KEY}"]),
        }
        for case, (path, args) in calls.items():
            done = curl(proxy, api + path, *args, "-H", f"{CASE_HEADER}: {case}")
            assert done.returncode == 0, done.stderr
        stripe = proxy.flow_for("stripe-wrong-key")
        gateway = proxy.flow_for("gateway-wrong-key")
        good = proxy.flow_for("gateway-good-key")

        assert stripe.response.status_code == 401
        assert stripe.metadata["authdoctor"]["cause"] == "api_key_invalid"
        assert stripe.metadata["authdoctor"]["findings"][0]["rule"] == "stripe-api-key-invalid"
        assert "Invalid API Key provided: sk_test_…" in stripe.comment

        assert gateway.response.status_code == 403
        assert gateway.metadata["authdoctor"]["cause"] == "api_key_invalid"
        assert 'in the "x-api-key" header' in gateway.comment
        assert good.response.status_code == 200
        assert good.metadata.get("authdoctor", {}).get("findings", []) == []
        assert not good.marked

        shown = (
            "".join(
                f.comment + json.dumps(f.metadata.get("authdoctor"))
                for f in (stripe, gateway, good)
            )
            + proxy.log()
        )
        for key in (WRONG_STRIPE_KEY[8:], WRONG_KEY, GOOD_KEY):
            assert key not in shown
        # the flows themselves went through untouched, keys and all
        assert gateway.request.headers["x-api-key"] == WRONG_KEY
    finally:
        proxy.stop()
