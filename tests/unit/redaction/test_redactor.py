"""Redaction of flows for support tickets: the canary test seeds distinct secrets into every
place a flow carries them and byte-searches the redacted output (a .mitm written with
FlowWriter; HAR documents are in test_har.py); compressed bodies are searched decoded too,
as a search of the compressed bytes would prove nothing. The evidence must survive."""

from __future__ import annotations

import base64
import copy
import gzip
import io
import json
import secrets
from collections.abc import Sequence
from email.utils import formatdate
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
from mitmproxy import http
from mitmproxy import io as mitm_io
from mitmproxy import websocket
from mitmproxy.test import tflow
from mitmproxy.test import tutils
from wsproto.frame_protocol import Opcode

from authdoctor.redaction.bodies import MAX_REDACTED_BODY
from authdoctor.redaction.bodies import REDACTED_HEADER
from authdoctor.redaction.redactor import Redactor
from tests.unit.redaction.canaries import ANNOTATION
from tests.unit.redaction.canaries import CHALLENGE
from tests.unit.redaction.canaries import COMMENT
from tests.unit.redaction.canaries import MARK
from tests.unit.redaction.canaries import REQUEST_ID
from tests.unit.redaction.canaries import Canaries
from tests.unit.redaction.canaries import kept_segments
from tests.unit.redaction.canaries import leaks

SENT = tutils.treq().timestamp_start
DATE = formatdate(SENT, usegmt=True)


def _headers(pairs: Sequence[tuple[str, str]]) -> http.Headers:
    return http.Headers([(k.encode(), v.encode()) for k, v in pairs])


def _request(
    url: str,
    *,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    content: bytes = b"",
    http_version: str = "HTTP/1.1",
) -> http.Request:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    length = [("content-length", str(len(content)))] if content else []
    return tutils.treq(
        method=method.encode(),
        scheme=parts.scheme.encode(),
        host=parts.hostname,
        port=443,
        path=path.encode(),
        http_version=http_version.encode(),
        headers=_headers([*headers, *length]),
        content=content,
    )


def _response(
    status: int,
    *,
    headers: Sequence[tuple[str, str]] = (),
    content: bytes = b"",
    http_version: str = "HTTP/1.1",
) -> http.Response:
    length = [("content-length", str(len(content)))] if content else []
    return tutils.tresp(
        status_code=status,
        http_version=http_version.encode(),
        headers=_headers([("Date", DATE), ("X-Request-Id", REQUEST_ID), *headers, *length]),
        content=content,
    )


def _written(flows: Sequence[http.HTTPFlow]) -> tuple[bytes, list[http.HTTPFlow]]:
    """The .mitm bytes, plus every body decoded (gzip hides text from a byte search)."""
    buffer = io.BytesIO()
    writer = mitm_io.FlowWriter(buffer)
    for f in flows:
        writer.add(f)
    data = buffer.getvalue()
    read_back = list(mitm_io.FlowReader(io.BytesIO(data)).stream())
    bodies = [
        m.get_content(strict=False) or b""
        for f in read_back
        for m in (f.request, f.response)
        if m is not None
    ]
    return data + b"\n".join(bodies), read_back  # type: ignore[return-value]


def _token_endpoint_flow(c: Canaries) -> http.HTTPFlow:
    query = {
        "access_token": c(),
        "token": c(),
        "id_token": c.jwt(aud="cli_8f2a91", nonce="n-0S6"),
        "refresh_token": c(),
        "code": c(),
        "client_secret": c(),
        "password": c(),
        "api_key": c(),
        "apikey": c(),
        "key": c(),
        "secret": c(),
        "sig": c(),
        "signature": c(),
        "assertion": c(),
        "client_assertion": c(),
        "scope": "read write",
    }
    form = {
        "grant_type": "refresh_token",
        "refresh_token": c(),
        "client_secret": c(),
        "code_verifier": c(),
        "device_code": c(),
        "client_assertion": c.jwt(aud="https://auth.xxx.com/oauth/token"),
        "password": c(),
        "assertion": c(),
        "code": c(),
        "client_id": "cli_8f2a91",
    }
    basic = base64.b64encode(f"proxyuser:{secrets.token_hex(8)}".encode()).decode()
    c.values.append(basic)  # the password itself is never on the wire, only this
    request = _request(
        "https://auth.xxx.com/oauth/token?" + urlencode(query),
        method="POST",
        headers=[
            ("Authorization", "Bearer " + c.jwt(scope="read", exp=int(SENT) - 180)),
            ("Proxy-Authorization", "Basic " + basic),
            ("Cookie", f"session={c()}; csrf={c()}"),
            ("X-Api-Key", c()),
            ("Api-Key", c()),
            ("X-Auth-Token", c()),
            ("X-Access-Token", c()),
            ("X-Client-Secret", c()),
            ("X-Session-Id", c()),
            ("X-Debug", "stripe " + c("sk_live_")),
            ("X-Note", "github " + c("ghp_", 16) + " and " + c("github_pat_", 16)),
            ("X-Cloud", "aws " + c.upper("AKIA") + ", slack " + c("xoxb-")),
            ("X-Gitlab", c("glpat-")),
            ("Referer", f"https://app.example.com/callback?code={c()}&state=xyz"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        content=urlencode(form).encode(),
    )
    nested = {
        "access_token": c.jwt(scope="read write", exp=int(SENT) + 3600),
        "refresh_token": c(),
        "id_token": c.jwt(aud="cli_8f2a91"),
        "token_type": "Bearer",
        "expires_in": 3600,
        "nested": {"deeper": [{"api_key": c()}, {"secret": c(), "client_secret": c()}]},
        "note": "rotate " + c("sk_test_"),
    }
    response = _response(
        200,
        headers=[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
            ("Set-Cookie", f"sid={c()}; Path=/; HttpOnly; Secure"),
            ("Set-Cookie", f"refresh={c()}; Max-Age=3600"),
            ("X-Auth-Token", c()),
        ],
        content=gzip.compress(json.dumps(nested).encode()),
    )
    return tflow.tflow(req=request, resp=response)


def _api_flow_h2(c: Canaries) -> http.HTTPFlow:
    h2 = "HTTP/2.0"
    request = _request(
        f"https://api.xxx.com/v1/orders?access_token={c()}&page=2",
        headers=[("authorization", f"Bearer {c()}"), ("cookie", f"__Host-session={c()}")],
        http_version=h2,
    )
    error = {
        "error": "invalid_token",
        "error_description": "The access token expired",
        "error_code": "E-AUTH-001",
        "code": 401,
        "request_id": REQUEST_ID,
        "debug": {"password": c(), "token": c()},
    }
    response = _response(
        401,
        headers=[("www-authenticate", CHALLENGE), ("content-type", "application/problem+json")],
        content=json.dumps(error).encode(),
        http_version=h2,
    )
    response.trailers = _headers([("x-session-token", c())])
    f = tflow.tflow(req=request, resp=response)
    f.comment = COMMENT
    f.metadata["authdoctor"] = copy.deepcopy(ANNOTATION)
    f.metadata["proxyauth"] = ("proxyuser", c())  # mitmproxy's own, with a clear-text password
    return f


def test_canary_flows_lose_every_secret_and_keep_the_evidence() -> None:
    c = Canaries()
    flows = [_token_endpoint_flow(c), _api_flow_h2(c)]
    assert len(set(c.values)) >= 60
    redactor = Redactor()
    haystack, read_back = _written([redactor.flow(f) for f in flows])
    original, _ = _written(flows)
    assert len(leaks(original, c)) == len(c.values)  # the search does see every canary
    assert leaks(haystack, c) == []
    assert kept_segments(haystack, c) == []
    for evidence in (CHALLENGE, REQUEST_ID, DATE, "E-AUTH-001", '"token_type": "Bearer"'):
        assert evidence.encode() in haystack
    token, api = read_back
    assert api.request.http_version == "HTTP/2.0"
    assert api.comment == COMMENT
    assert api.metadata == {"authdoctor": ANNOTATION}
    assert api.response.headers["www-authenticate"] == CHALLENGE
    error = json.loads(api.response.content)
    assert (error["error"], error["code"], error["request_id"]) == (
        "invalid_token",
        401,
        REQUEST_ID,
    )
    assert token.request.headers["Authorization"].startswith("Bearer eyJ")
    assert MARK.fullmatch(token.request.headers["X-Api-Key"])
    assert token.request.headers["Cookie"].startswith("session=[redacted:")
    assert token.response.headers.get_all("Set-Cookie")[0].endswith("; Path=/; HttpOnly; Secure")
    assert json.loads(token.response.content)["expires_in"] == 3600  # still gzip, still JSON
    assert token.response.headers["content-encoding"] == "gzip"
    assert token.request.urlencoded_form["client_id"] == "cli_8f2a91"
    assert token.request.query["scope"] == "read write"


def _bearer_flow(token: str) -> http.HTTPFlow:
    request = _request("https://api.xxx.com/v1/orders", headers=[("Authorization", token)])
    return tflow.tflow(req=request, resp=_response(401, headers=[("WWW-Authenticate", CHALLENGE)]))


def test_same_secret_same_replacement_in_one_redactor_not_across_redactors() -> None:
    first, second = Redactor(), Redactor()
    flow = _bearer_flow("Bearer opaque-token-1234567890")
    one = first.flow(flow).request.headers["Authorization"]
    assert first.flow(flow).request.headers["Authorization"] == one
    assert (
        first.flow(_bearer_flow("Bearer another-token-1234")).request.headers["Authorization"]
        != one
    )
    assert second.flow(flow).request.headers["Authorization"] != one
    assert first.secret("s3cret") == first.secret("s3cret") != second.secret("s3cret")


def test_the_original_flow_is_not_changed() -> None:
    c = Canaries()
    flow = _token_endpoint_flow(c)
    flow.metadata["authdoctor"] = copy.deepcopy(ANNOTATION)
    before = flow.get_state()
    redacted = Redactor().flow(flow)
    assert flow.get_state() == before
    assert redacted is not flow
    assert redacted.request.headers["X-Api-Key"] != flow.request.headers["X-Api-Key"]


def test_the_state_before_an_edit_is_not_kept() -> None:
    c = Canaries()
    flow = _bearer_flow("Bearer " + c())
    flow.backup()
    flow.request.headers["Authorization"] = "Bearer edited"
    haystack, _ = _written([Redactor().flow(flow)])
    assert leaks(haystack, c) == []


def test_an_unparsable_json_body_is_dropped_with_a_header() -> None:
    c = Canaries()
    broken = f'{{"access_token": "{c()}", "oops'.encode()
    flow = _bearer_flow("Bearer x")
    flow.response = _response(200, headers=[("Content-Type", "application/json")], content=broken)
    redacted = Redactor().flow(flow)
    assert redacted.response.raw_content == b""
    assert redacted.response.headers[REDACTED_HEADER] == "body dropped (not valid JSON)"
    assert redacted.response.headers["content-length"] == "0"
    assert leaks(_written([redacted])[0], c) == []


@pytest.mark.parametrize(
    ("content", "headers", "reason"),
    [
        (b"a" * (MAX_REDACTED_BODY + 1), [("Content-Type", "text/plain")], "larger than 1 MiB"),
        (
            gzip.compress(b"{}") + b"trailing junk",
            [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
            "cannot decode Content-Encoding gzip",
        ),
        (
            b"<p>Bearer opaquetoken123</p>",
            [("Content-Type", "text/html")],
            "text/html content that looks secret",
        ),
        (b"access_token=abc&x", [("Content-Type", "application/x-www-form-urlencoded")], None),
    ],
)
def test_bodies_that_cannot_be_read_safely_are_dropped(
    content: bytes, headers: list[tuple[str, str]], reason: str | None
) -> None:
    flow = _bearer_flow("Bearer x")
    flow.response = _response(200, headers=headers, content=content)
    redacted = Redactor().flow(flow).response
    assert redacted.raw_content == b""
    assert redacted.headers[REDACTED_HEADER] == f"body dropped ({reason or 'not valid form data'})"


def test_plain_bodies_without_secrets_stay() -> None:
    html = b"<html><body><h1>401 Authorization Required</h1></body></html>"
    flow = _bearer_flow("Bearer x")
    flow.response = _response(401, headers=[("Content-Type", "text/html")], content=html)
    redacted = Redactor().flow(flow).response
    assert redacted.raw_content == html
    assert REDACTED_HEADER not in redacted.headers


def test_an_opaque_token_echoed_elsewhere_is_found_too() -> None:
    token = "opaque-token-" + secrets.token_hex(8)
    flow = _bearer_flow(f"Bearer {token}")
    flow.response = _response(
        401,
        headers=[("Content-Type", "application/json")],
        content=json.dumps({"error_description": f"token {token} is revoked"}).encode(),
    )
    redactor = Redactor()
    redacted = redactor.flow(flow)
    replacement = redacted.request.headers["Authorization"].removeprefix("Bearer ")
    description = json.loads(redacted.response.content)["error_description"]
    assert description == f"token {replacement} is revoked"
    echo = _bearer_flow("Bearer x")
    echo.response = _response(200, headers=[("Content-Type", "text/plain")], content=token.encode())
    assert redactor.flow(echo).response.raw_content == b""


def test_extra_patterns_are_replaced_in_headers_urls_and_bodies() -> None:
    customer = "ACME-CUSTOMER-12345678"
    request = _request(
        f"https://api.xxx.com/v1/customers/{customer}/orders?ref={customer}",
        headers=[("X-Customer", customer)],
    )
    body = json.dumps({"customer": customer}).encode()
    response = _response(200, headers=[("Content-Type", "application/json")], content=body)
    flow = tflow.tflow(req=request, resp=response)
    plain, _ = _written([Redactor().flow(flow)])
    assert plain.count(customer.encode()) >= 4  # without the pattern nothing replaces it
    redacted = Redactor(extra_patterns=[r"ACME-CUSTOMER-\d{8}"]).flow(flow)
    assert customer.encode() not in _written([redacted])[0]
    assert MARK.fullmatch(redacted.request.headers["X-Customer"])
    assert redacted.request.path.startswith("/v1/customers/[redacted:")
    grouped = Redactor(extra_patterns=[r"ACME-CUSTOMER-(?P<secret>\d{8})"]).flow(flow)
    assert grouped.request.headers["X-Customer"].startswith("ACME-CUSTOMER-[redacted:")
    with pytest.raises(ValueError, match="invalid extra pattern"):
        Redactor(extra_patterns=["(unclosed"])


def test_websocket_messages_are_redacted() -> None:
    c = Canaries()
    flow = tflow.tflow(resp=True, ws=True)
    flow.websocket.messages = [
        websocket.WebSocketMessage(
            Opcode.TEXT, True, json.dumps({"payload": {"authToken": c()}}).encode(), SENT
        ),
        websocket.WebSocketMessage(Opcode.BINARY, False, ("\x00Bearer " + c()).encode(), SENT),
        websocket.WebSocketMessage(Opcode.TEXT, True, b"hello", SENT),
    ]
    redacted = Redactor().flow(flow)
    assert leaks(_written([redacted])[0], c) == []
    assert redacted.websocket.messages[2].content == b"hello"


def test_other_metadata_is_dropped_and_authdoctor_metadata_kept() -> None:
    flow = _bearer_flow("Bearer x")
    flow.metadata.update({"authdoctor": ANNOTATION, "proxyauth": ("user", "hunter2hunter2")})
    assert Redactor().flow(flow).metadata == {"authdoctor": ANNOTATION}
