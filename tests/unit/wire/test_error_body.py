import json

import pytest

from authdoctor.wire.error_body import MAX_ERROR_BODY
from authdoctor.wire.error_body import ErrorBody
from authdoctor.wire.error_body import parse_error_body


def _body(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            {"error": "invalid_token", "error_description": "The access token expired"},
            ErrorBody(error="invalid_token", description="The access token expired"),
            id="rfc6749",
        ),
        pytest.param(
            {
                "error": "unauthorized",
                "error_description": "The access token is invalid or has expired",
                "error_code": "E-AUTH-001",
                "timestamp": "2024-03-08T14:23:45Z",
                "request_id": "req_123",
            },
            ErrorBody(
                error="unauthorized",
                description="The access token is invalid or has expired",
                code="E-AUTH-001",
                request_id="req_123",
                timestamp="2024-03-08T14:23:45Z",
            ),
            id="company-x",
        ),
        pytest.param(
            {"error": "authentication_failed", "code": 401},
            ErrorBody(error="authentication_failed", code="401"),
            id="int-code",
        ),
        pytest.param(
            {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
            },
            ErrorBody(description="Bad credentials"),
            id="github",
        ),
        pytest.param(
            {
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "Access token has expired",
                    "innerError": {
                        "date": "2024-03-08T14:23:45",
                        "request-id": "abc",
                        "client-request-id": "mine",
                    },
                }
            },
            ErrorBody(
                error="InvalidAuthenticationToken",
                description="Access token has expired",
                code="InvalidAuthenticationToken",
                request_id="abc",
                timestamp="2024-03-08T14:23:45",
            ),
            id="microsoft-graph",
        ),
        pytest.param(
            {
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "m",
                    "innerError": {"client-request-id": "mine"},
                }
            },
            ErrorBody(
                error="InvalidAuthenticationToken",
                description="m",
                code="InvalidAuthenticationToken",
                request_id="mine",
            ),
            id="microsoft-graph-client-request-id",
        ),
        pytest.param(
            {
                "error": {
                    "code": 401,
                    "message": "Request had invalid authentication credentials.",
                    "status": "UNAUTHENTICATED",
                }
            },
            ErrorBody(
                error="UNAUTHENTICATED",
                description="Request had invalid authentication credentials.",
                code="401",
            ),
            id="google",
        ),
        pytest.param(
            {
                "error": {
                    "code": 403,
                    "message": "Request had insufficient authentication scopes.",
                    "status": "PERMISSION_DENIED",
                    "details": [{"reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}],
                }
            },
            ErrorBody(
                error="PERMISSION_DENIED",
                description="Request had insufficient authentication scopes.",
                code="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            ),
            id="google-details-reason",
        ),
        pytest.param(
            {"__type": "NotAuthorizedException", "message": "Access Token has expired"},
            ErrorBody(description="Access Token has expired", code="NotAuthorizedException"),
            id="aws-json-type",
        ),
        pytest.param(
            {"errors": [{"code": "TOKEN_EXPIRED", "message": "first"}, {"code": "X"}]},
            ErrorBody(error="TOKEN_EXPIRED", description="first", code="TOKEN_EXPIRED"),
            id="errors-array-first",
        ),
        pytest.param(
            {"errors": [{"code": 89, "message": "Invalid or expired token."}]},
            ErrorBody(description="Invalid or expired token.", code="89"),
            id="errors-array-numeric-code",
        ),
        pytest.param(
            {
                "fault": {
                    "faultstring": "Invalid access token",
                    "detail": {"errorcode": "oauth.v2.InvalidAccessToken"},
                }
            },
            ErrorBody(
                error="oauth.v2.InvalidAccessToken",
                description="Invalid access token",
                code="oauth.v2.InvalidAccessToken",
            ),
            id="apigee",
        ),
        pytest.param(
            {
                "error": "invalid_grant",
                "error_description": "AADSTS70008: The refresh token has expired.",
                "error_codes": [70008, 1],
                "timestamp": "2024-03-08 14:23:45Z",
                "trace_id": "trace-1",
                "correlation_id": "corr-1",
            },
            ErrorBody(
                error="invalid_grant",
                description="AADSTS70008: The refresh token has expired.",
                code="70008",
                request_id="trace-1",
                timestamp="2024-03-08 14:23:45Z",
            ),
            id="entra",
        ),
        pytest.param(
            {"error": "invalid_client", "correlation_id": "corr-1"},
            ErrorBody(error="invalid_client", request_id="corr-1"),
            id="correlation-id-fallback",
        ),
        pytest.param(
            {
                "errorCode": "E0000011",
                "errorSummary": "Invalid token provided",
                "errorLink": "E0000011",
                "errorId": "oaeXYZ",
                "errorCauses": [],
            },
            ErrorBody(description="Invalid token provided", code="E0000011", request_id="oaeXYZ"),
            id="okta",
        ),
        pytest.param(
            {"error": "e", "errorDescription": "camel", "requestId": "r1", "errorCode": 7},
            ErrorBody(error="e", description="camel", code="7", request_id="r1"),
            id="camel-case-variants",
        ),
        pytest.param(
            {
                "type": "https://example.com/probs/token",
                "title": "Unauthorized",
                "status": 401,
                "detail": "Token signature invalid",
            },
            ErrorBody(description="Token signature invalid"),
            id="problem-detail-preferred",
        ),
        pytest.param(
            {"type": "about:blank", "title": "Unauthorized", "status": 401},
            ErrorBody(description="Unauthorized"),
            id="problem-title-fallback",
        ),
        pytest.param(
            {"error_description": "specific", "message": "generic"},
            ErrorBody(description="specific"),
            id="error-description-beats-message",
        ),
        pytest.param(
            {"error": "top", "errors": [{"code": "inner", "message": "m"}]},
            ErrorBody(error="top", description="m", code="inner"),
            id="top-level-wins",
        ),
        pytest.param(
            {
                "timestamp": "2024-03-08T14:23:45.000+00:00",
                "status": 401,
                "error": "Unauthorized",
                "message": "Full authentication is required",
                "path": "/api",
            },
            ErrorBody(
                error="Unauthorized",
                description="Full authentication is required",
                timestamp="2024-03-08T14:23:45.000+00:00",
            ),
            id="spring-boot",
        ),
        pytest.param(
            {"error": True, "message": {"text": "x"}, "code": None, "request_id": ["r"]},
            None,
            id="non-scalars-ignored",
        ),
        pytest.param({"error": "", "message": "   "}, None, id="blank-strings-ignored"),
        pytest.param({"code": 1.0, "error": "e"}, ErrorBody(error="e", code="1"), id="whole-float"),
        pytest.param({"code": 1.5}, ErrorBody(code="1.5"), id="fraction-float"),
        pytest.param({"data": {"ok": False}}, None, id="no-fields"),
        pytest.param({}, None, id="empty-object"),
        pytest.param({"error": {}, "errors": [], "fault": "x"}, None, id="empty-shapes"),
    ],
)
def test_shapes(document: object, expected: ErrorBody | None) -> None:
    assert parse_error_body(_body(document), "application/json") == expected


def test_strings_capped_at_500() -> None:
    result = parse_error_body(_body({"error": "e" * 600, "message": "m" * 499}), None)
    assert result == ErrorBody(error="e" * 500, description="m" * 499)


@pytest.mark.parametrize(
    ("content_type", "content", "expected"),
    [
        ("application/json", b'{"error":"x"}', ErrorBody(error="x")),
        ("Application/JSON; charset=utf-8", b'{"error":"x"}', ErrorBody(error="x")),
        ("application/problem+json", b'{"title":"t"}', ErrorBody(description="t")),
        ("application/vnd.api+json", b'{"error":"x"}', ErrorBody(error="x")),
        (None, b'  \n{"error":"x"}', ErrorBody(error="x")),
        ("", b'{"error":"x"}', ErrorBody(error="x")),
        ("text/plain; charset=utf-8", b'{"error":"x"}', ErrorBody(error="x")),
        ("text/plain", b"Unauthorized", None),
        (None, b"error=invalid_token", None),
        ("application/x-amz-json-1.1", b'{"error":"x"}', ErrorBody(error="x")),
        ("text/html", b'{"error":"x"}', None),
        ("application/x-www-form-urlencoded", b'{"error":"x"}', None),
        ("application/json", b'\xef\xbb\xbf{"error":"x"}', ErrorBody(error="x")),
        ("application/json", '{"error":"café"}'.encode(), ErrorBody(error="café")),
    ],
)
def test_content_types(
    content_type: str | None, content: bytes, expected: ErrorBody | None
) -> None:
    assert parse_error_body(content, content_type) == expected


def test_size_limit_is_inclusive() -> None:
    prefix = b'{"error":"x","pad":"'
    fits = prefix + b"a" * (MAX_ERROR_BODY - len(prefix) - 2) + b'"}'
    assert len(fits) == MAX_ERROR_BODY
    assert parse_error_body(fits, "application/json") == ErrorBody(error="x")
    assert parse_error_body(fits[:-2] + b'a"}', "application/json") is None


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(None, "application/json", id="none"),
        pytest.param(b"", "application/json", id="empty"),
        pytest.param(b"\xff\xfe\x00{", "application/json", id="invalid-utf8"),
        pytest.param(b'{"error": "\xc3\x28"}', "application/json", id="invalid-utf8-in-string"),
        pytest.param(b'{"error": "x"', "application/json", id="truncated"),
        pytest.param(b'["error", "x"]', "application/json", id="array"),
        pytest.param(b'"invalid_token"', "application/json", id="string"),
        pytest.param(b"401", "application/json", id="number"),
        pytest.param(b"null", "application/json", id="null"),
        pytest.param(b"[" * 10_000 + b"]" * 10_000, "application/json", id="10k-brackets"),
        pytest.param(b"[" * 10_000, None, id="10k-open-brackets"),
        pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, None, id="10k-nested-objects"),
        pytest.param(
            b'{"error":"x","a":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
            "application/json",
            id="deep-array-inside-object",
        ),
        pytest.param(b"\\" * 50_000, "application/json", id="50k-backslashes"),
        pytest.param(b'{"error":"' + b"\\" * 50_001 + b'"}', None, id="odd-backslashes"),
        pytest.param(b"," * 100_000, None, id="100k-commas"),
        pytest.param(b'{"error":"x"}' + b" " * MAX_ERROR_BODY, None, id="oversized"),
        pytest.param(b'{"code": ' + b"9" * 5000 + b"}", None, id="huge-int-literal"),
        pytest.param(b'{"code": NaN, "message": Infinity}', None, id="nan-infinity"),
        pytest.param(b'{"code": 1e400}', None, id="float-overflow"),
    ],
)
def test_hostile_bodies_give_none(content: bytes | None, content_type: str | None) -> None:
    assert parse_error_body(content, content_type) is None


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param('{"error":"x"}', "application/json", id="str-content"),
        pytest.param(bytearray(b'{"error":"x"}'), "application/json", id="bytearray"),
        pytest.param(b'{"error":"x"}', b"application/json", id="bytes-content-type"),
    ],
)
def test_lenient_argument_types(content: object, content_type: object) -> None:
    assert parse_error_body(content, content_type) == ErrorBody(error="x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(12345, "application/json", id="int-content"),
        pytest.param(b'{"error":"x"}', 42, id="int-content-type"),
    ],
)
def test_wrong_argument_types_give_none(content: object, content_type: object) -> None:
    assert parse_error_body(content, content_type) is None  # type: ignore[arg-type]
