"""The Company X REST API (v2 and v3): routes, the runbook's scope table, bearer validation.

Validation runs like a strict resource server (RFC 6750 §3): header syntax, then the token
(signature, dates, issuer, audience, revocation, client status), then scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from authdoctor.sandbox import data
from authdoctor.sandbox import tokens
from authdoctor.sandbox.context import ServerContext
from authdoctor.sandbox.messages import Request
from authdoctor.sandbox.messages import Response
from authdoctor.sandbox.messages import iso_utc
from authdoctor.sandbox.messages import json_response

REALM = 'Bearer realm="Company X API"'
BASE_PATHS = ("/v2", "/v3")
NO_TOKEN = "No valid access token was provided"
MISSING_SCOPE = "Token lacks required scope"

# Exactly "Bearer", one space, then a token with no whitespace anywhere (case-sensitive).
_BEARER = re.compile(r"Bearer (\S+)")

Handler = Callable[[Request, dict[str, str]], tuple[int, Any]]


def _devices(request: Request, params: dict[str, str]) -> tuple[int, Any]:
    limit = parse_qs(request.query).get("limit", [""])[0]
    return HTTPStatus.OK, data.devices(int(limit) if limit.isdigit() else None)


def _device_action(request: Request, params: dict[str, str]) -> tuple[int, Any]:
    return HTTPStatus.CREATED, data.device_action(params["id"], request.body, request.now)


def _policies(request: Request, params: dict[str, str]) -> tuple[int, Any]:
    return HTTPStatus.OK, data.POLICIES


def _update_policy(request: Request, params: dict[str, str]) -> tuple[int, Any]:
    return HTTPStatus.OK, data.policy_update(params["id"], request.body, request.now)


def _logs(request: Request, params: dict[str, str]) -> tuple[int, Any]:
    return HTTPStatus.OK, data.log_entries(params["rest"], request.now)


def _delete_organization(request: Request, params: dict[str, str]) -> tuple[int, Any]:
    return HTTPStatus.OK, data.organization_deleted(params["id"], request.now)


def _current_organization(request: Request, params: dict[str, str]) -> tuple[int, Any]:
    return HTTPStatus.OK, data.ORGANIZATION


# The runbook's "Required Scopes by Endpoint", under each base path: any one scope suffices.
ENDPOINTS: dict[str, tuple[tuple[str, ...], Handler]] = {
    "GET /devices": (("read", "devices:read"), _devices),
    "POST /devices/{id}/actions": (("write", "devices:manage"), _device_action),
    "GET /policies": (("read", "policies:read"), _policies),
    "PUT /policies/{id}": (("write", "policies:write"), _update_policy),
    "GET /logs/*": (("logs:read", "admin"), _logs),
    "DELETE /organizations/{id}": (("admin",), _delete_organization),
    "GET /organizations/current": ((), _current_organization),
}

SCOPES_SUPPORTED = tuple(dict.fromkeys(s for scopes, _ in ENDPOINTS.values() for s in scopes))


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    scopes: tuple[str, ...]
    handler: Handler


def _compile(template: str) -> re.Pattern[str]:
    """`{name}` matches one path segment, a final `*` any non-empty rest (named `rest`)."""
    parts = []
    for segment in template.strip("/").split("/"):
        if segment == "*":
            parts.append("(?P<rest>.+)")
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    bases = "|".join(re.escape(base) for base in BASE_PATHS)
    return re.compile(f"(?:{bases})/" + "/".join(parts))


def _route(key: str, scopes: tuple[str, ...], handler: Handler) -> Route:
    method, template = key.split(" ")
    return Route(method, _compile(template), scopes, handler)


ROUTES = tuple(_route(key, scopes, handler) for key, (scopes, handler) in ENDPOINTS.items())


class ApiError(Exception):
    """An error answer in the runbook's JSON shape, with its WWW-Authenticate challenge."""

    def __init__(
        self,
        status: int,
        error: str,
        code: str,
        description: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.code = code
        self.description = description
        self.headers = headers or {}

    def response(self, request: Request) -> Response:
        body = {
            "error": self.error,
            "error_description": self.description,
            "error_code": self.code,
            "timestamp": iso_utc(request.now),
            "request_id": request.request_id,
        }
        return json_response(self.status, body, self.headers)


def _challenge(**params: str) -> dict[str, str]:
    rendered = "".join(f', {name}="{value}"' for name, value in params.items())
    return {"WWW-Authenticate": REALM + rendered}


def unauthenticated() -> ApiError:
    """No usable credentials: RFC 6750 §3.1 says no error code in the challenge."""
    return ApiError(HTTPStatus.UNAUTHORIZED, "unauthorized", "E-AUTH-002", NO_TOKEN, _challenge())


def invalid_token(description: str) -> ApiError:
    challenge = _challenge(error="invalid_token", error_description=description)
    return ApiError(HTTPStatus.UNAUTHORIZED, "unauthorized", "E-AUTH-001", description, challenge)


def insufficient_scope(scopes: tuple[str, ...]) -> ApiError:
    challenge = _challenge(
        error="insufficient_scope", error_description=MISSING_SCOPE, scope=" ".join(scopes)
    )
    return ApiError(HTTPStatus.FORBIDDEN, "forbidden", "E-AUTH-003", MISSING_SCOPE, challenge)


def duplicate_authorization() -> ApiError:
    description = "Multiple Authorization headers were sent"
    challenge = _challenge(error="invalid_request", error_description=description)
    return ApiError(HTTPStatus.BAD_REQUEST, "invalid_request", "E-AUTH-004", description, challenge)


def handle(request: Request, sandbox: ServerContext) -> Response:
    """Route, authenticate, authorize, answer."""
    try:
        route, params = find_route(request.method, request.path)
        claims = authenticate(request, sandbox)
        authorize(claims, route.scopes)
    except ApiError as error:
        return error.response(request)
    rate_headers = sandbox.rate_counter.hit(str(claims["client_id"]), request.now)
    status, payload = route.handler(request, params)
    return json_response(status, {"data": payload}, rate_headers)


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for this request; unknown paths are 404 and other methods 405, before auth."""
    allowed = []
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match is None:
            continue
        if route.method == method:
            return route, match.groupdict()
        allowed.append(route.method)
    if allowed:
        raise ApiError(
            HTTPStatus.METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "E-API-405",
            f"{method} is not supported here",
            {"Allow": ", ".join(allowed)},
        )
    raise ApiError(HTTPStatus.NOT_FOUND, "not_found", "E-API-404", "No such endpoint")


def bearer_token(request: Request) -> str:
    """The token of an exact `Authorization: Bearer <token>` header."""
    values = request.header_values("Authorization")
    if len(values) > 1:
        raise duplicate_authorization()
    match = _BEARER.fullmatch(values[0]) if values else None
    if match is None:
        raise unauthenticated()
    return match.group(1)


def authenticate(request: Request, sandbox: ServerContext) -> dict[str, Any]:
    """The claims of a token this environment accepts right now, else ApiError 401."""
    token = bearer_token(request)
    try:
        claims = tokens.verify(
            token, sandbox.key, issuer=sandbox.issuer, audience=sandbox.audience, now=request.now
        )
    except tokens.TokenRejected as rejected:
        raise invalid_token(rejected.description) from None
    token_id, client_id = claims.get("jti"), claims.get("client_id")
    if isinstance(token_id, str) and sandbox.registry.is_revoked(token_id):
        raise invalid_token(tokens.INVALID)
    if not isinstance(client_id, str) or not sandbox.registry.is_active(client_id):
        raise invalid_token(tokens.INVALID)
    return claims


def authorize(claims: dict[str, Any], required_any: tuple[str, ...]) -> None:
    """403 unless the token has one of the endpoint's scopes (none needed: any valid token)."""
    if required_any and not tokens.granted_scopes(claims) & set(required_any):
        raise insufficient_scope(required_any)
