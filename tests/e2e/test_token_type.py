"""Wrong token type end to end: a real client gets tokens through the proxy from the sandbox,
then sends the ID token and the refresh token as Bearer tokens; the sandbox rejects both with
its normal 401, and authdoctor names the kind of token and the one to send instead."""

from __future__ import annotations

import json

from authdoctor.engine.facts.token import fingerprint
from authdoctor.sandbox import Sandbox
from tests.e2e.harness import Proxy
from tests.e2e.test_sessions import Client
from tests.e2e.test_sessions import findings


def test_id_and_refresh_tokens_sent_as_access_tokens(proxy: Proxy, production: Sandbox) -> None:
    production.register_client("oidc-app", "oidc-secret", "read write")
    client = Client(proxy, production, "oidc-app", "oidc-secret")
    status, grant = client.token("type-token", scope="openid read", nonce="n-0S6_WzA2Mj")
    assert status == 200
    assert {"access_token", "id_token", "refresh_token"} <= grant.keys()

    assert client.get("type-access", grant["access_token"]) == 200
    assert client.get("type-id", grant["id_token"]) == 401
    assert client.get("type-refresh", grant["refresh_token"]) == 401

    assert findings(proxy, "type-token") == []
    assert findings(proxy, "type-access") == []
    assert findings(proxy, "type-id") == [("id-token-as-access-token", "error")]
    assert findings(proxy, "type-refresh") == [("refresh-token-as-access-token", "error")]

    id_flow, refresh_flow = proxy.flow_for("type-id"), proxy.flow_for("type-refresh")
    assert id_flow.metadata["authdoctor"]["cause"] == "wrong_token_type"
    assert refresh_flow.metadata["authdoctor"]["cause"] == "wrong_token_type"
    assert (
        "the token endpoint issued this very token as id_token earlier in this session; "
        "has nonce; has at_hash" in id_flow.comment
    )
    assert f"({fingerprint(grant['id_token'])})" in id_flow.comment
    assert "issued this very token as refresh_token" in refresh_flow.comment
    assert f"({fingerprint(grant['refresh_token'])}, " in refresh_flow.comment
    for f in (id_flow, refresh_flow):
        assert "Send the access_token field of the token response" in f.comment
        shown = f.comment + json.dumps(f.metadata["authdoctor"])
        assert all(token not in shown for token in grant.values() if isinstance(token, str)
                   and len(token) > 20)  # fmt: skip


def test_a_jwt_not_typed_at_jwt_is_flagged(proxy: Proxy, production: Sandbox) -> None:
    """The sandbox profile says access tokens are typed at+jwt, and the sandbox checks it."""
    client = Client(proxy, production, "demo-client", "unused")
    untyped = production.mint(headers={"typ": "JWT"})
    assert client.get("type-untyped", untyped) == 401
    assert findings(proxy, "type-untyped") == [("access-token-typ-mismatch", "error")]
    assert 'header says typ "at+jwt" (RFC 9068)' in proxy.flow_for("type-untyped").comment
