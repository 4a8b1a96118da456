"""response_facts: status, WWW-Authenticate, error body, request id and the server's clock.

Answers are shaped like the Company X API's (runbook-401.md): a Bearer challenge with the
realm and a JSON body with error, error_description, error_code, timestamp and request_id.
"""

from __future__ import annotations

import gzip
import json
import os
import time
import zlib
from collections.abc import Callable
from collections.abc import Iterator
from email.utils import formatdate
from functools import partial
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.net import encoding
from mitmproxy.test import tutils

from authdoctor.engine.facts import extract_facts
from authdoctor.engine.facts.response import response_facts
from authdoctor.engine.settings import Settings
from authdoctor.profiles.profile import Profile
from authdoctor.profiles.profile import load_profile
from tests.unit import authflows

REALM = 'Bearer realm="Company X API"'
EXPIRED_CHALLENGE = f'{REALM}, error="invalid_token", error_description="Token has expired"'
LEEWAY = 30


@pytest.fixture(scope="module")
def company_x() -> Profile:
    return load_profile("company-x")


def _request() -> http.Request:
    return tutils.treq(
        host="api.xxx.com",
        port=443,
        scheme=b"https",
        path=b"/v2/devices",
        headers=http.Headers(authorization="Bearer tok"),
        content=b"",
    )


def _response(
    status: int,
    headers: list[tuple[str, str]] = (),
    body: Any = None,
    *,
    raw: bytes | None = None,
) -> http.Response:
    """A response; `body` is JSON-encoded, `raw` is sent as it is."""
    content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    fields = [(k.encode(), v.encode()) for k, v in headers]
    if body is not None and not any(k.lower() == "content-type" for k, _ in headers):
        fields.append((b"content-type", b"application/json"))
    response = tutils.tresp(status_code=status, headers=http.Headers(fields))
    response.raw_content = content
    return response


def _company_x_body(request_id: str | None = "req_1", **more: Any) -> dict[str, Any]:
    body = {
        "error": "unauthorized",
        "error_description": "The access token is invalid or has expired",
        "error_code": "E-AUTH-001",
        "timestamp": "2000-01-01T00:00:00Z",
        **more,
    }
    if request_id is not None:
        body["request_id"] = request_id
    return body


def _facts(response: http.Response | None, profile: Profile | None = None, leeway: int = LEEWAY):
    return response_facts(response, _request(), profile, leeway)


def test_no_response() -> None:
    assert _facts(None) == {
        "response.received": False,
        "response.summary": "nothing yet (no response has arrived)",
    }


def test_company_x_expired_token_answer_in_full(company_x: Profile) -> None:
    response = _response(
        401,
        [("WWW-Authenticate", EXPIRED_CHALLENGE), ("X-Request-Id", "req_1")],
        _company_x_body(request_id="req_1"),
    )
    facts = _facts(response, company_x)
    assert facts == {
        "response.received": True,
        "response.status": 401,
        "response.auth_failed": True,
        "response.challenge_schemes": ["Bearer"],
        "response.auth_scheme": "Bearer",
        "response.realm": "Company X API",
        "response.auth_error": "invalid_token",
        "response.error_description": "Token has expired",
        "response.error_text": "token has expired | the access token is invalid or has expired",
        "response.error_code": "E-AUTH-001",
        "response.request_id": "req_1",
        "response.summary": '401 (invalid_token, "Token has expired", request id req_1)',
    }
    assert str(facts["response.summary"]) == (
        '401 (invalid_token, "Token has expired", request id req_1)'
    )


@pytest.mark.parametrize(
    ("headers", "body_request_id", "expected"),
    [
        ([("X-Request-Id", "req_hdr")], "req_body", "req_hdr"),
        ([("x-correlation-id", "corr_9")], None, "corr_9"),
        ([], "req_body_7", "req_body_7"),
    ],
)
def test_request_id_from_header_else_body(
    headers: list, body_request_id: str | None, expected: str
) -> None:
    response = _response(
        401,
        [("WWW-Authenticate", EXPIRED_CHALLENGE), *headers],
        _company_x_body(request_id=body_request_id),
    )
    facts = _facts(response)
    assert facts["response.request_id"] == expected
    assert str(facts["response.summary"]) == (
        f'401 (invalid_token, "Token has expired", request id {expected})'
    )


def test_no_request_id_anywhere() -> None:
    facts = _facts(_response(401, [("WWW-Authenticate", EXPIRED_CHALLENGE)]))
    assert "response.request_id" not in facts
    assert str(facts["response.summary"]) == '401 (invalid_token, "Token has expired")'


def test_body_error_code_is_mapped_through_the_profile(company_x: Profile) -> None:
    """The challenge carries no error=, so E-AUTH-001 -> invalid_token via the profile."""
    response = _response(401, [("WWW-Authenticate", REALM)], _company_x_body())
    facts = _facts(response, company_x)
    assert facts["response.auth_error"] == "invalid_token"
    assert facts["response.error_code"] == "E-AUTH-001"
    assert facts["response.error_description"] == "The access token is invalid or has expired"
    assert str(facts["response.summary"]) == (
        '401 (invalid_token, "The access token is invalid or has expired", request id req_1)'
    )


def test_body_error_without_profile_stays_as_sent() -> None:
    response = _response(401, [("WWW-Authenticate", REALM)], _company_x_body())
    assert _facts(response, None)["response.auth_error"] == "unauthorized"


def test_challenge_error_wins_over_the_body(company_x: Profile) -> None:
    challenge = f'{REALM}, error="insufficient_scope", scope="read"'
    response = _response(403, [("WWW-Authenticate", challenge)], _company_x_body())
    assert _facts(response, company_x)["response.auth_error"] == "insufficient_scope"


def test_insufficient_scope_challenge() -> None:
    challenge = f'{REALM}, error="insufficient_scope", scope="a b"'
    facts = _facts(_response(403, [("WWW-Authenticate", challenge)]))
    assert facts["response.challenge_scope"] == ["a", "b"]
    assert facts["response.auth_error"] == "insufficient_scope"
    assert facts["response.auth_failed"] is True
    assert str(facts["response.summary"]) == "403 (insufficient_scope)"


def test_scope_of_other_errors_is_not_a_challenge_scope() -> None:
    challenge = f'{REALM}, error="invalid_token", scope="a b"'
    assert "response.challenge_scope" not in _facts(
        _response(401, [("WWW-Authenticate", challenge)])
    )


@pytest.mark.parametrize(
    ("status", "headers", "body", "auth_failed", "auth_error"),
    [
        (401, [("WWW-Authenticate", REALM)], None, True, None),
        (403, [], None, True, None),
        (400, [("WWW-Authenticate", f'{REALM}, error="invalid_request"')], None, True,
         "invalid_request"),
        (400, [], {"error": "invalid_request"}, True, "invalid_request"),
        (400, [], {"error": "invalid_grant"}, False, "invalid_grant"),
        (404, [], {"error": "not_found", "message": "no such device"}, False, "not_found"),
        (500, [], None, False, None),
        (200, [], {"error": "invalid_request"}, False, None),
    ],
)  # fmt: skip
def test_auth_failed(
    status: int, headers: list, body: Any, auth_failed: bool, auth_error: str | None
) -> None:
    facts = _facts(_response(status, headers, body))
    assert facts["response.status"] == status
    assert facts["response.auth_failed"] is auth_failed
    assert facts.get("response.auth_error") == auth_error


def test_plain_status_summary() -> None:
    facts = _facts(_response(403))
    assert str(facts["response.summary"]) == "403"


def test_gzip_error_body_is_read() -> None:
    body = json.dumps(_company_x_body(request_id="req_gz")).encode()
    response = _response(
        401,
        [("WWW-Authenticate", REALM), ("Content-Type", "application/json"),
         ("Content-Encoding", "gzip")],
        raw=gzip.compress(body),
    )  # fmt: skip
    facts = _facts(response)
    assert facts["response.auth_error"] == "unauthorized"
    assert facts["response.error_code"] == "E-AUTH-001"
    assert facts["response.request_id"] == "req_gz"


def test_body_over_64_kib_is_not_read() -> None:
    body = _company_x_body(padding="x" * 70_000)
    assert len(json.dumps(body)) > 65536
    facts = _facts(_response(401, [("WWW-Authenticate", REALM)], body))
    for name in ("response.auth_error", "response.error_code", "response.request_id"):
        assert name not in facts
    assert facts["response.auth_failed"] is True


def test_gzip_body_inflating_past_64_kib_is_not_read() -> None:
    body = json.dumps(_company_x_body(padding="x" * 1_000_000)).encode()
    packed = gzip.compress(body)
    assert len(packed) < 65536
    response = _response(
        401,
        [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        raw=packed,
    )
    facts = _facts(response)
    assert "response.error_code" not in facts
    assert facts["response.status"] == 401


def test_broken_gzip_is_ignored() -> None:
    response = _response(
        401,
        [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        raw=b"\x1f\x8b not really gzip",
    )
    facts = _facts(response)
    assert "response.auth_error" not in facts
    assert facts["response.auth_failed"] is True


EXPIRED_BODY = {"error": "invalid_token", "error_description": "The access token expired"}


def _raw_deflate(data: bytes) -> bytes:
    """Deflate without the zlib wrapper, as some servers send `Content-Encoding: deflate`."""
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


def _expired_answer_flow(
    coding: str = "", pack: Callable[[bytes], bytes] | None = None
) -> http.HTTPFlow:
    """A 401 with a Bearer challenge and EXPIRED_BODY, packed and labelled `coding`."""
    answer = authflows.response(401, headers=[("WWW-Authenticate", REALM)], body=EXPIRED_BODY)
    if pack is not None:
        answer.raw_content = pack(answer.raw_content)
        answer.headers["Content-Encoding"] = coding
    return authflows.flow(
        "https://api.xxx.com/v2/devices", headers=[authflows.bearer("opaque-tok")], resp=answer
    )


@pytest.mark.parametrize(
    ("coding", "pack"),
    [
        pytest.param(coding, partial(encoding.encode, encoding=coding), id=coding)
        for coding in ("br", "zstd", "gzip", "deflate")  # deflate: zlib-wrapped (RFC 9110)
    ]
    + [
        pytest.param("x-gzip", partial(encoding.encode, encoding="gzip"), id="x-gzip"),
        pytest.param("deflate", _raw_deflate, id="deflate-raw"),
    ],
)
def test_an_encoded_error_body_gives_the_same_facts_as_identity(
    coding: str, pack: Callable[[bytes], bytes], settings: Settings
) -> None:
    identity = extract_facts(_expired_answer_flow(), settings).facts
    encoded = extract_facts(_expired_answer_flow(coding, pack), settings).facts
    assert identity["response.auth_error"] == "invalid_token"
    assert identity["response.error_description"] == "The access token expired"
    assert encoded == identity


# tflow: request sent 946681200..946681201, response started 946681202. The server wrote its
# Date in between, at 946681201.5 local time; Date is truncated to whole seconds.
LOCAL_MIDPOINT = 946681201


@pytest.mark.parametrize(
    ("date_offset", "offset_s", "skewed", "text", "date_iso"),
    [
        (600, 600, True, "the server's clock is 10 min ahead of this machine's",
         "1999-12-31 23:10:01 UTC"),
        (-600, -600, True, "the server's clock is 10 min behind this machine's",
         "1999-12-31 22:50:01 UTC"),
        (20, 20, False, "the server's clock is 20 s ahead of this machine's",
         "1999-12-31 23:00:21 UTC"),
        (-31, -31, True, "the server's clock is 31 s behind this machine's",
         "1999-12-31 22:59:30 UTC"),
    ],
)  # fmt: skip
def test_clock_offset_from_date(
    date_offset: int, offset_s: int, skewed: bool, text: str, date_iso: str
) -> None:
    date = formatdate(LOCAL_MIDPOINT + date_offset, usegmt=True)
    facts = _facts(_response(401, [("Date", date)]), leeway=30)
    assert facts["response.clock_offset_s"] == offset_s
    assert facts["response.clock_skewed"] is skewed
    assert str(facts["response.clock_offset"]) == text
    assert str(facts["response.date_iso"]) == date_iso


def test_date_600_s_after_the_request_start() -> None:
    sent = _request().timestamp_start
    date = formatdate(sent + 600, usegmt=True)
    facts = _facts(_response(401, [("Date", date)]), leeway=30)
    assert abs(facts["response.clock_offset_s"] - 600) <= 1
    assert facts["response.clock_skewed"] is True


@pytest.mark.parametrize("date", ["not a date", "Mon, 99 Foo 2000 25:61:61 GMT", ""])
def test_unparsable_date_is_ignored(date: str) -> None:
    facts = _facts(_response(401, [("Date", date)]))
    for name in (
        "response.clock_offset_s",
        "response.clock_offset",
        "response.clock_skewed",
        "response.date_iso",
    ):
        assert name not in facts
    assert facts["response.status"] == 401


@pytest.fixture
def new_york_clock() -> Iterator[None]:
    """This machine's local time zone is not UTC (as on most developers' laptops)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.mark.parametrize(
    "date",
    [
        pytest.param("Fri, 31 Dec 1999 23:10:01 GMT", id="imf-fixdate"),
        pytest.param("Friday, 31-Dec-99 23:10:01 GMT", id="rfc850"),
        pytest.param(
            "Fri Dec 31 23:10:01 1999",
            id="asctime",
        ),
    ],
)
def test_every_http_date_format_is_utc(new_york_clock: None, date: str) -> None:
    assert time.localtime(LOCAL_MIDPOINT).tm_hour == 18  # the zone change took effect
    facts = _facts(_response(401, [("Date", date)]), leeway=30)
    assert facts["response.clock_offset_s"] == 600
    assert str(facts["response.clock_offset"]) == (
        "the server's clock is 10 min ahead of this machine's"
    )


def test_aws_error_type_header_names_the_error() -> None:
    """API Gateway names its error only in x-amzn-ErrorType; the body has just a message."""
    headers = [("x-amzn-ErrorType", "UnauthorizedException:http://internal.amazon.com/")]
    facts = response_facts(
        _response(401, headers, {"message": "Unauthorized"}), _request(), None, LEEWAY
    )
    assert facts["response.error_code"] == "UnauthorizedException"
    assert facts["response.error_text"] == "unauthorized"


@pytest.mark.parametrize(("status", "failed"), [(400, True), (500, False)])
def test_aws_not_authorized_400_is_an_auth_failure(status: int, failed: bool) -> None:
    body = {"__type": "NotAuthorizedException", "message": "Access Token has expired"}
    headers = [("content-type", "application/x-amz-json-1.1")]
    facts = response_facts(_response(status, headers, body), _request(), None, LEEWAY)
    assert facts["response.error_code"] == "NotAuthorizedException"
    assert facts["response.auth_failed"] is failed
