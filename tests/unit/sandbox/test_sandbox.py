"""The Company X sandbox behaves like a strict OAuth 2.0 authorization + resource server.

Real sandboxes on loopback ports, called over HTTP with urllib (proxies disabled).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any

import jwt
import pytest

from authdoctor.sandbox import Sandbox

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
REALM = 'Bearer realm="Company X API"'
DEMO = {"client_id": "demo-client", "client_secret": "demo-secret"}


class Reply:
    """Status, headers and parsed JSON body of one HTTP exchange."""

    def __init__(self, status: int, headers: Message, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw = body
        self.json: Any = json.loads(body) if body else None


def call(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, data: bytes | None = None
) -> Reply:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(request, timeout=10) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read())


def token_request(sandbox: Sandbox, headers: dict[str, str] | None = None, **form: str) -> Reply:
    body = urllib.parse.urlencode(form).encode()
    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    return call(f"{sandbox.url}/oauth/token", "POST", all_headers, body)


def get_tokens(sandbox: Sandbox, scope: str = "read write") -> dict[str, Any]:
    reply = token_request(sandbox, grant_type="client_credentials", scope=scope, **DEMO)
    assert reply.status == 200, reply.json
    return reply.json


def api(
    sandbox: Sandbox,
    path: str,
    token: str | None = None,
    *,
    method: str = "GET",
    authorization: str | None = None,
) -> Reply:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if authorization is not None:
        headers["Authorization"] = authorization
    data = b"{}" if method in ("POST", "PUT") else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    return call(f"{sandbox.url}{path}", method, headers, data)


def basic(client_id: str, secret: str) -> dict[str, str]:
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


def assert_auth_error(
    reply: Reply, status: int, challenge: str, error: str, code: str, description: str
) -> None:
    """The runbook's error shape, with one request id in header and body."""
    assert reply.status == status
    assert reply.headers["WWW-Authenticate"] == challenge
    assert reply.headers["Content-Type"] == "application/json"
    assert set(reply.json) == {
        "error",
        "error_description",
        "error_code",
        "timestamp",
        "request_id",
    }
    assert reply.json["error"] == error
    assert reply.json["error_code"] == code
    assert reply.json["error_description"] == description
    assert re.fullmatch(r"req_[0-9a-f]{10}", reply.json["request_id"])
    assert reply.headers["X-Request-Id"] == reply.json["request_id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", reply.json["timestamp"])


def assert_invalid_token(reply: Reply, description: str) -> None:
    challenge = f'{REALM}, error="invalid_token", error_description="{description}"'
    assert_auth_error(reply, 401, challenge, "unauthorized", "E-AUTH-001", description)


def assert_no_token(reply: Reply) -> None:
    description = "No valid access token was provided"
    assert_auth_error(reply, 401, REALM, "unauthorized", "E-AUTH-002", description)


def assert_oauth_error(reply: Reply, status: int, error: str) -> None:
    assert reply.status == status
    assert reply.json["error"] == error
    assert reply.json["error_description"]
    assert set(reply.json) == {"error", "error_description"}


EXPIRED = "Token has expired"
BAD_SIGNATURE = "Token signature verification failed"
MALFORMED = "The access token is malformed"
GENERIC = "The access token is invalid or has expired"


@pytest.fixture
def production() -> Iterator[Sandbox]:
    with Sandbox("production") as sandbox:
        yield sandbox


@pytest.fixture
def staging() -> Iterator[Sandbox]:
    with Sandbox("staging") as sandbox:
        yield sandbox


# --- token endpoint ---------------------------------------------------------------------


def test_client_credentials_token_verifies_with_the_published_jwks(production: Sandbox) -> None:
    reply = token_request(production, grant_type="client_credentials", **DEMO)

    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read write"
    assert body["refresh_token"] and "." not in body["refresh_token"]  # opaque, not a JWT

    discovery = call(f"{production.url}/.well-known/openid-configuration").json
    assert discovery["issuer"] == "https://auth.xxx.com/"
    assert discovery["token_endpoint"] == f"{production.url}/oauth/token"
    jwks = call(discovery["jwks_uri"]).json
    (jwk,) = jwks["keys"]
    assert jwk["alg"] == "RS256" and jwk["use"] == "sig"
    key = jwt.PyJWK.from_dict(jwk)
    header = jwt.get_unverified_header(body["access_token"])
    assert header == {"alg": "RS256", "kid": jwk["kid"], "typ": "at+jwt"}
    claims = jwt.decode(
        body["access_token"],
        key,
        algorithms=["RS256"],
        audience="https://api.xxx.com",
        issuer="https://auth.xxx.com/",
    )
    assert claims["client_id"] == claims["sub"] == "demo-client"
    assert claims["scope"] == "read write"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]


def test_issued_token_is_accepted_by_the_api(production: Sandbox) -> None:
    token = get_tokens(production)["access_token"]

    reply = api(production, "/v2/organizations/current", token)

    assert reply.status == 200
    assert reply.json["data"]["name"] == "Client ABC"
    assert reply.json["data"]["organization_id"].startswith("org_")
    assert reply.headers["X-RateLimit-Limit"] == "1000"
    remaining = int(reply.headers["X-RateLimit-Remaining"])
    assert remaining == 999
    assert int(api(production, "/v3/devices", token).headers["X-RateLimit-Remaining"]) == 998
    assert re.fullmatch(r"req_[0-9a-f]{10}", reply.headers["X-Request-Id"])


def test_basic_client_authentication(production: Sandbox) -> None:
    good = token_request(
        production, basic("demo-client", "demo-secret"), grant_type="client_credentials"
    )
    wrong = token_request(production, basic("demo-client", "nope"), grant_type="client_credentials")
    both = token_request(
        production, basic("demo-client", "demo-secret"), grant_type="client_credentials", **DEMO
    )

    assert good.status == 200 and good.json["access_token"]
    assert_oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["WWW-Authenticate"] == 'Basic realm="Company X"'
    assert_oauth_error(both, 400, "invalid_request")


def test_refresh_token_rotates(production: Sandbox) -> None:
    first = get_tokens(production, "read write devices:read")

    second = token_request(
        production, grant_type="refresh_token", refresh_token=first["refresh_token"], **DEMO
    )
    replay = token_request(
        production, grant_type="refresh_token", refresh_token=first["refresh_token"], **DEMO
    )

    assert second.status == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    assert second.json["scope"] == "read write devices:read"
    assert api(production, "/v2/devices", second.json["access_token"]).status == 200
    assert_oauth_error(replay, 400, "invalid_grant")


def test_refresh_can_narrow_but_not_widen_the_scope(production: Sandbox) -> None:
    refresh_token = get_tokens(production, "read write")["refresh_token"]

    wider = token_request(
        production, grant_type="refresh_token", refresh_token=refresh_token, scope="admin", **DEMO
    )
    narrower = token_request(
        production, grant_type="refresh_token", refresh_token=refresh_token, scope="read", **DEMO
    )

    assert_oauth_error(wider, 400, "invalid_scope")
    assert narrower.status == 200  # the refused request did not burn the refresh token
    assert narrower.json["scope"] == "read"
    claims = jwt.decode(narrower.json["access_token"], options={"verify_signature": False})
    assert claims["scope"] == "read"


def test_openid_scope_adds_an_id_token_for_the_client(production: Sandbox) -> None:
    reply = token_request(
        production, grant_type="client_credentials", scope="openid read", nonce="n-0S6", **DEMO
    )
    plain = get_tokens(production, "read")

    assert reply.status == 200 and "id_token" not in plain
    body = reply.json
    assert body["scope"] == "openid read"
    jwk = call(f"{production.url}/.well-known/jwks.json").json["keys"][0]
    assert jwt.get_unverified_header(body["id_token"])["typ"] == "JWT"
    claims = jwt.decode(
        body["id_token"], jwt.PyJWK.from_dict(jwk), algorithms=["RS256"], audience="demo-client"
    )
    assert claims["iss"] == "https://auth.xxx.com/"
    assert claims["aud"] == claims["azp"] == claims["sub"] == "demo-client"
    assert claims["nonce"] == "n-0S6"
    # OIDC Core 3.1.3.6: left half of SHA-256 of the access token, base64url
    digest = hashlib.sha256(body["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    discovery = call(f"{production.url}/.well-known/openid-configuration").json
    assert "openid" in discovery["scopes_supported"]

    refreshed = token_request(
        production, grant_type="refresh_token", refresh_token=body["refresh_token"], **DEMO
    )
    renewed = jwt.decode(refreshed.json["id_token"], options={"verify_signature": False})
    assert "nonce" not in renewed  # the nonce belongs to the request that sent it


def test_id_and_refresh_tokens_are_not_access_tokens(production: Sandbox) -> None:
    tokens = token_request(
        production, grant_type="client_credentials", scope="openid read", nonce="n1", **DEMO
    ).json

    assert api(production, "/v2/devices", tokens["access_token"]).status == 200
    assert_invalid_token(api(production, "/v2/devices", tokens["id_token"]), GENERIC)
    assert_invalid_token(api(production, "/v2/devices", tokens["refresh_token"]), MALFORMED)


def test_unknown_refresh_token_is_invalid_grant(production: Sandbox) -> None:
    reply = token_request(production, grant_type="refresh_token", refresh_token="forged", **DEMO)

    assert_oauth_error(reply, 400, "invalid_grant")


@pytest.mark.parametrize("status", ["revoked", "suspended"])
def test_inactive_client_is_invalid_client(production: Sandbox, status: str) -> None:
    wrong_secret = token_request(
        production, grant_type="client_credentials", client_id="demo-client", client_secret="x"
    )
    production.set_client_status("demo-client", status)

    reply = token_request(production, grant_type="client_credentials", **DEMO)

    assert_oauth_error(reply, 401, "invalid_client")
    assert reply.headers["WWW-Authenticate"] == 'Basic realm="Company X"'
    # Same answer as a wrong secret: the endpoint does not say which check failed.
    assert reply.json == wrong_secret.json


def test_unknown_client_is_invalid_client(production: Sandbox) -> None:
    reply = token_request(
        production, grant_type="client_credentials", client_id="ghost", client_secret="boo"
    )

    assert_oauth_error(reply, 401, "invalid_client")


def test_scope_outside_the_clients_allowance_is_invalid_scope(production: Sandbox) -> None:
    production.register_client("reader", "reader-secret", "read devices:read")

    allowed = token_request(
        production,
        grant_type="client_credentials",
        client_id="reader",
        client_secret="reader-secret",
        scope="devices:read",
    )
    refused = token_request(
        production,
        grant_type="client_credentials",
        client_id="reader",
        client_secret="reader-secret",
        scope="devices:read admin",
    )

    assert allowed.status == 200 and allowed.json["scope"] == "devices:read"
    assert_oauth_error(refused, 400, "invalid_scope")


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", **DEMO}, "unsupported_grant_type"),
        (DEMO, "invalid_request"),
        ({"grant_type": "refresh_token", **DEMO}, "invalid_request"),
    ],
)
def test_token_endpoint_request_errors(
    production: Sandbox, form: dict[str, str], error: str
) -> None:
    assert_oauth_error(token_request(production, **form), 400, error)


# --- bearer header syntax ---------------------------------------------------------------


def test_missing_authorization_is_401_without_error_code(production: Sandbox) -> None:
    assert_no_token(api(production, "/v2/devices"))


@pytest.mark.parametrize(
    "template",
    [
        "bearer {}",
        "BEARER {}",
        "{}",
        "Basic {}",
        "Token {}",
        "Bearer  {}",
        "Bearer {} ",
        "Bearer",
        "Bearer {}x {}",
    ],
)
def test_malformed_authorization_header_counts_as_no_token(
    production: Sandbox, template: str
) -> None:
    token = get_tokens(production)["access_token"]

    reply = api(production, "/v2/devices", authorization=template.format(token, token))

    assert_no_token(reply)


def test_two_authorization_headers_are_a_bad_request(production: Sandbox) -> None:
    token = get_tokens(production)["access_token"]
    connection = http.client.HTTPConnection("127.0.0.1", production.port, timeout=10)
    try:
        connection.putrequest("GET", "/v2/devices")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.endheaders()
        response = connection.getresponse()
        reply = Reply(response.status, response.headers, response.read())
    finally:
        connection.close()

    description = "Multiple Authorization headers were sent"
    challenge = f'{REALM}, error="invalid_request", error_description="{description}"'
    assert_auth_error(reply, 400, challenge, "invalid_request", "E-AUTH-004", description)


# --- token validation -------------------------------------------------------------------


def _signed_by_another_key_under_own_kid(sandbox: Sandbox) -> str:
    return sandbox.mint(key="foreign", headers={"kid": sandbox.key.kid})


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


INVALID_TOKENS = {
    "expired": (lambda s: s.mint(claims={"exp": int(s.now()) - 5}), EXPIRED),
    "expires exactly now": (lambda s: s.mint(lifetime=0), EXPIRED),
    "own kid, other key": (_signed_by_another_key_under_own_kid, BAD_SIGNATURE),
    "unknown kid": (lambda s: s.mint(key="foreign"), BAD_SIGNATURE),
    "alg none": (lambda s: s.mint(key="none"), BAD_SIGNATURE),
    "tampered payload": (lambda s: _tamper(s.mint()), BAD_SIGNATURE),
    "not a jwt": (lambda s: "definitely-not-a-jwt", MALFORMED),
    "truncated": (lambda s: s.mint()[:40], MALFORMED),
    "wrong audience": (lambda s: s.mint(claims={"aud": "https://api.other.com"}), GENERIC),
    "wrong issuer": (lambda s: s.mint(issuer="https://auth.staging.xxx.com/"), GENERIC),
    "not yet valid": (lambda s: s.mint(claims={"nbf": int(s.now()) + 300}), GENERIC),
    "no exp": (lambda s: s.mint(claims={"exp": None}), GENERIC),
    "unknown client": (lambda s: s.mint(claims={"client_id": "ghost"}), GENERIC),
    "typed JWT, not at+jwt": (lambda s: s.mint(headers={"typ": "JWT"}), GENERIC),
    "no typ": (lambda s: s.mint(headers={"typ": None}), GENERIC),
}


@pytest.mark.parametrize("case", list(INVALID_TOKENS))
def test_invalid_token_is_401_with_the_servers_description(production: Sandbox, case: str) -> None:
    make_token, description = INVALID_TOKENS[case]

    reply = api(production, "/v2/devices", make_token(production))

    assert_invalid_token(reply, description)


def test_audience_list_containing_the_api_is_accepted(production: Sandbox) -> None:
    token = production.mint(claims={"aud": ["https://other.example", "https://api.xxx.com"]})

    assert api(production, "/v2/devices", token).status == 200


def test_admin_portal_revocation_rejects_the_token(production: Sandbox) -> None:
    token = get_tokens(production)["access_token"]
    assert api(production, "/v2/devices", token).status == 200

    production.revoke(token)

    assert_invalid_token(api(production, "/v2/devices", token), GENERIC)


@pytest.mark.parametrize("status", ["revoked", "suspended"])
def test_tokens_of_an_inactive_client_are_rejected(production: Sandbox, status: str) -> None:
    token = get_tokens(production)["access_token"]

    production.set_client_status("demo-client", status)
    rejected = api(production, "/v2/devices", token)
    production.set_client_status("demo-client", "active")
    accepted = api(production, "/v2/devices", token)

    assert_invalid_token(rejected, GENERIC)
    assert accepted.status == 200


def test_staging_token_is_rejected_by_production(production: Sandbox, staging: Sandbox) -> None:
    staging_token = get_tokens(staging)["access_token"]

    assert api(staging, "/v2/devices", staging_token).status == 200
    assert_invalid_token(api(production, "/v2/devices", staging_token), BAD_SIGNATURE)
    assert production.key.kid != staging.key.kid
    claims = jwt.decode(staging_token, options={"verify_signature": False})
    assert claims["iss"] == "https://auth.staging.xxx.com/"
    assert claims["aud"] == "https://api.staging.xxx.com"


# --- scopes -----------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/devices", ("read", "devices:read")),
    ("POST", "/devices/dev_1/actions", ("write", "devices:manage")),
    ("GET", "/policies", ("read", "policies:read")),
    ("PUT", "/policies/pol_1", ("write", "policies:write")),
    ("GET", "/logs/audit", ("logs:read", "admin")),
    ("GET", "/logs/audit/2024/03", ("logs:read", "admin")),
    ("DELETE", "/organizations/org_1", ("admin",)),
]
ALL_SCOPES = {s for _, _, scopes in ENDPOINTS for s in scopes}


@pytest.mark.parametrize("base", ["/v2", "/v3"])
@pytest.mark.parametrize(("method", "path", "scopes"), ENDPOINTS)
def test_each_listed_scope_suffices(
    production: Sandbox, base: str, method: str, path: str, scopes: tuple[str, ...]
) -> None:
    for scope in scopes:
        reply = api(production, base + path, production.mint(scope=scope), method=method)
        assert reply.status in (200, 201), (scope, reply.json)
        assert "data" in reply.json


@pytest.mark.parametrize("base", ["/v2", "/v3"])
@pytest.mark.parametrize(("method", "path", "scopes"), ENDPOINTS)
def test_other_scopes_are_403_naming_the_accepted_ones(
    production: Sandbox, base: str, method: str, path: str, scopes: tuple[str, ...]
) -> None:
    token = production.mint(scope=" ".join(sorted(ALL_SCOPES - set(scopes))))

    reply = api(production, base + path, token, method=method)

    description = "Token lacks required scope"
    challenge = (
        f'{REALM}, error="insufficient_scope", error_description="{description}", '
        f'scope="{" ".join(scopes)}"'
    )
    assert_auth_error(reply, 403, challenge, "forbidden", "E-AUTH-003", description)


def test_scp_list_claim_is_honoured(production: Sandbox) -> None:
    token = production.mint(claims={"scope": None, "scp": ["policies:write"]})

    assert api(production, "/v2/policies/pol_1", token, method="PUT").status == 200
    assert api(production, "/v2/devices", token).status == 403


def test_current_organization_needs_no_scope(production: Sandbox) -> None:
    assert api(production, "/v3/organizations/current", production.mint(scope="")).status == 200


def test_unknown_path_is_404_json(production: Sandbox) -> None:
    token = production.mint()

    missing = api(production, "/v2/nothing-here", token)
    wrong_version = api(production, "/v1/devices", token)
    wrong_method = api(production, "/v2/devices", token, method="DELETE")

    assert missing.status == 404 and missing.json["error"] == "not_found"
    assert wrong_version.status == 404
    assert wrong_method.status == 405 and wrong_method.headers["Allow"] == "GET"


# --- clock ------------------------------------------------------------------------------


def test_clock_offset_shows_in_date_header_and_error_timestamp(production: Sandbox) -> None:
    production.clock_offset = 7200.0

    reply = api(production, "/v2/devices")

    date = parsedate_to_datetime(reply.headers["Date"]).timestamp()
    assert abs(date - (time.time() + 7200)) < 5
    stamp = datetime.fromisoformat(reply.json["timestamp"].replace("Z", "+00:00")).timestamp()
    assert abs(stamp - (time.time() + 7200)) < 5


def test_server_clock_behind_makes_fresh_token_not_yet_valid(production: Sandbox) -> None:
    token = get_tokens(production)["access_token"]  # fresh, by the server's own clock

    production.clock_offset = -600.0  # the API's clock falls 10 minutes behind

    assert_invalid_token(api(production, "/v2/devices", token), GENERIC)


def test_server_clock_ahead_makes_fresh_token_expired(production: Sandbox) -> None:
    token = get_tokens(production)["access_token"]

    production.clock_offset = 3601.0

    assert_invalid_token(api(production, "/v2/devices", token), EXPIRED)


def test_skewed_sandbox_rejects_tokens_dated_by_a_correct_clock() -> None:
    now = int(time.time())
    correct_clock = {"iat": now, "nbf": now, "exp": now + 3600}
    with Sandbox("production", clock_offset=-300) as behind:
        own_token = get_tokens(behind)["access_token"]
        assert api(behind, "/v2/devices", own_token).status == 200
        outside_token = behind.mint(claims=correct_clock)
        assert_invalid_token(api(behind, "/v2/devices", outside_token), GENERIC)
    with Sandbox("production", clock_offset=3600) as ahead:
        assert_invalid_token(api(ahead, "/v2/devices", ahead.mint(claims=correct_clock)), EXPIRED)


# --- revocation endpoint ----------------------------------------------------------------


def revoke_request(sandbox: Sandbox, token: str, **auth: str) -> Reply:
    body = urllib.parse.urlencode({"token": token, **auth}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return call(f"{sandbox.url}/oauth/revoke", "POST", headers, body)


def test_revoke_endpoint_revokes_an_access_token(production: Sandbox) -> None:
    tokens = get_tokens(production)

    reply = revoke_request(production, tokens["access_token"], **DEMO)

    assert reply.status == 200
    assert_invalid_token(api(production, "/v2/devices", tokens["access_token"]), GENERIC)
    # The refresh token still works and gives a token the API accepts.
    refreshed = token_request(
        production, grant_type="refresh_token", refresh_token=tokens["refresh_token"], **DEMO
    )
    assert api(production, "/v2/devices", refreshed.json["access_token"]).status == 200


def test_revoke_endpoint_revokes_a_refresh_token_and_its_access_tokens(
    production: Sandbox,
) -> None:
    tokens = get_tokens(production)

    reply = revoke_request(production, tokens["refresh_token"], **DEMO)
    refreshed = token_request(
        production, grant_type="refresh_token", refresh_token=tokens["refresh_token"], **DEMO
    )

    assert reply.status == 200
    assert_oauth_error(refreshed, 400, "invalid_grant")
    assert_invalid_token(api(production, "/v2/devices", tokens["access_token"]), GENERIC)


def test_revoke_endpoint_needs_client_auth_and_accepts_unknown_tokens(
    production: Sandbox,
) -> None:
    token = get_tokens(production)["access_token"]

    unauthenticated = revoke_request(production, token)
    unknown = revoke_request(production, "no-such-token", **DEMO)

    assert_oauth_error(unauthenticated, 401, "invalid_client")
    assert unknown.status == 200  # RFC 7009 §2.2
    assert api(production, "/v2/devices", token).status == 200


# --- lifecycle --------------------------------------------------------------------------


def test_stop_is_idempotent_and_closes_the_port() -> None:
    sandbox = Sandbox("staging").start()
    url = sandbox.url
    assert call(f"{url}/.well-known/jwks.json").status == 200

    sandbox.stop()
    sandbox.stop()

    with pytest.raises(urllib.error.URLError):
        OPENER.open(f"{url}/.well-known/jwks.json", timeout=5)


def test_keep_alive_serves_several_requests_on_one_connection(production: Sandbox) -> None:
    token = production.mint()
    connection = http.client.HTTPConnection("127.0.0.1", production.port, timeout=10)
    try:
        statuses = []
        for path in ("/v2/devices", "/v2/policies", "/v2/nope"):
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()

    assert statuses == [200, 200, 404]


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ValueError, match="environment"):
        Sandbox("qa")
