"""The authorization-server side: token endpoint, revocation, JWKS and discovery.

RFC 6749 §4.4 (client_credentials), §6 (refresh, with rotation), §5.2 (errors), §2.3.1
(client authentication by form or HTTP Basic, never both) and RFC 7009 (revocation). With the
`openid` scope the token response also carries an OpenID Connect ID token (OIDC Core 3.1.3.3),
for the client itself: a `nonce` form field is echoed into it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import parse_qsl
from urllib.parse import unquote_plus

from authdoctor.sandbox import tokens
from authdoctor.sandbox.api import SCOPES_SUPPORTED
from authdoctor.sandbox.context import ServerContext
from authdoctor.sandbox.messages import Request
from authdoctor.sandbox.messages import Response
from authdoctor.sandbox.messages import json_response
from authdoctor.sandbox.registry import Client
from authdoctor.sandbox.registry import Grant
from authdoctor.sandbox.registry import new_grant

DEFAULT_SCOPE = "read write"
OPENID = "openid"  # asks for an ID token; every client may
GRANT_TYPES = ("client_credentials", "refresh_token")
CLIENT_AUTH_FAILED = "Client authentication failed"
FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An RFC 6749 §5.2 error response."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description

    def response(self) -> Response:
        payload = {"error": self.error, "error_description": self.description}
        if self.error == "invalid_client":
            headers = {**NO_STORE, "WWW-Authenticate": 'Basic realm="Company X"'}
            return json_response(HTTPStatus.UNAUTHORIZED, payload, headers)
        return json_response(HTTPStatus.BAD_REQUEST, payload, NO_STORE)


Endpoint = Callable[[Request, "ServerContext"], Response]


def handle(request: Request, sandbox: ServerContext) -> Response | None:
    """Serve an authorization-server path, or None when the path belongs to the API."""
    route = ROUTES.get(request.path)
    if route is None:
        return None
    method, endpoint = route
    if request.method != method:
        payload = {"error": "invalid_request", "error_description": f"Use {method}"}
        return json_response(HTTPStatus.METHOD_NOT_ALLOWED, payload, {"Allow": method})
    try:
        return endpoint(request, sandbox)
    except OAuthError as error:
        return error.response()


def token(request: Request, sandbox: ServerContext) -> Response:
    """POST /oauth/token."""
    form = parse_form(request)
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "Missing grant_type parameter")
    client = authenticate_client(request, form, sandbox)
    if grant_type == "client_credentials":
        return _client_credentials(request, form, client, sandbox)
    if grant_type == "refresh_token":
        return _refresh(request, form, client, sandbox)
    supported = ", ".join(GRANT_TYPES)
    raise OAuthError("unsupported_grant_type", f"Supported grant types: {supported}")


def _client_credentials(
    request: Request, form: dict[str, str], client: Client, sandbox: ServerContext
) -> Response:
    scope = _normalise_scope(form.get("scope", "")) or DEFAULT_SCOPE
    refused = set(scope.split()) - client.scopes - {OPENID}
    if refused:
        raise OAuthError(
            "invalid_scope", f"Scope not allowed for this client: {' '.join(sorted(refused))}"
        )
    grant = new_grant(client.client_id, scope, request.now)
    refresh_token = sandbox.registry.issue_refresh_token(grant)
    return _token_response(request, grant, scope, refresh_token, sandbox, form.get("nonce"))


def _refresh(
    request: Request, form: dict[str, str], client: Client, sandbox: ServerContext
) -> Response:
    presented = form.get("refresh_token")
    if presented is None:
        raise OAuthError("invalid_request", "Missing refresh_token parameter")
    grant = sandbox.registry.find_grant(presented, client.client_id, request.now)
    if grant is None:
        raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked")
    scope = _normalise_scope(form.get("scope", "")) or grant.scope
    beyond = set(scope.split()) - set(grant.scope.split())
    if beyond:
        raise OAuthError(
            "invalid_scope",
            f"Scope exceeds the scope originally granted: {' '.join(sorted(beyond))}",
        )
    successor = sandbox.registry.rotate_refresh_token(presented)
    if successor is None:
        raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked")
    return _token_response(request, grant, scope, successor, sandbox)


def _token_response(
    request: Request,
    grant: Grant,
    scope: str,
    refresh_token: str,
    sandbox: ServerContext,
    nonce: str | None = None,
) -> Response:
    claims = tokens.access_token_claims(
        issuer=sandbox.issuer,
        audience=sandbox.audience,
        client_id=grant.client_id,
        scope=scope,
        now=request.now,
        lifetime=tokens.ACCESS_TOKEN_LIFETIME,
    )
    sandbox.registry.record_access_token(grant, claims["jti"])
    access_token = tokens.sign(claims, sandbox.key, {})
    payload = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": tokens.ACCESS_TOKEN_LIFETIME,
        "refresh_token": refresh_token,
        "scope": scope,
    }
    if OPENID in scope.split():
        id_claims = tokens.id_token_claims(
            issuer=sandbox.issuer,
            client_id=grant.client_id,
            access_token=access_token,
            nonce=nonce,
            now=request.now,
            lifetime=tokens.ACCESS_TOKEN_LIFETIME,
        )
        payload["id_token"] = tokens.sign(id_claims, sandbox.key, {"typ": "JWT"})
    return json_response(HTTPStatus.OK, payload, NO_STORE)


def revoke(request: Request, sandbox: ServerContext) -> Response:
    """POST /oauth/revoke (RFC 7009): 200 whether or not the token was known (§2.2)."""
    form = parse_form(request)
    client = authenticate_client(request, form, sandbox)
    presented = form.get("token")
    if presented is None:
        raise OAuthError("invalid_request", "Missing token parameter")
    if not sandbox.registry.revoke_refresh_token(presented, client.client_id):
        try:
            claims = tokens.verify_signature(presented, sandbox.key)
        except tokens.TokenRejected:
            claims = {}
        token_id = claims.get("jti")
        if claims.get("client_id") == client.client_id and isinstance(token_id, str):
            sandbox.registry.revoke_token_id(token_id)
    return Response(HTTPStatus.OK, b"", dict(NO_STORE))


def jwks(request: Request, sandbox: ServerContext) -> Response:
    """GET /.well-known/jwks.json: only this environment's key."""
    return json_response(HTTPStatus.OK, {"keys": [sandbox.key.public_jwk()]})


def discovery(request: Request, sandbox: ServerContext) -> Response:
    """GET /.well-known/openid-configuration (and its RFC 8414 twin)."""
    auth_methods = ["client_secret_basic", "client_secret_post"]
    metadata = {
        "issuer": sandbox.issuer,
        "token_endpoint": f"{sandbox.url}/oauth/token",
        "jwks_uri": f"{sandbox.url}/.well-known/jwks.json",
        "revocation_endpoint": f"{sandbox.url}/oauth/revoke",
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": [OPENID, *SCOPES_SUPPORTED],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    return json_response(HTTPStatus.OK, metadata)


ROUTES: dict[str, tuple[str, Endpoint]] = {
    "/oauth/token": ("POST", token),
    "/oauth/revoke": ("POST", revoke),
    "/.well-known/jwks.json": ("GET", jwks),
    "/.well-known/openid-configuration": ("GET", discovery),
    "/.well-known/oauth-authorization-server": ("GET", discovery),
}


def parse_form(request: Request) -> dict[str, str]:
    """The form body; empty values count as absent and repeated parameters are refused (§3.1)."""
    media_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise OAuthError("invalid_request", f"Content-Type must be {FORM}")
    try:
        pairs = parse_qsl(request.body.decode(), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "The request body is not a valid form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OAuthError("invalid_request", f"Parameter {name} was sent more than once")
        if value:
            form[name] = value
    return form


def authenticate_client(request: Request, form: dict[str, str], sandbox: ServerContext) -> Client:
    """Client authentication by HTTP Basic or by form fields; the error never says what failed."""
    basic = _basic_credentials(request)
    if basic is not None and "client_secret" in form:
        raise OAuthError("invalid_request", "Use only one client authentication method")
    if basic is not None:
        client_id, secret = basic
        if form.get("client_id", client_id) != client_id:
            raise OAuthError("invalid_request", "client_id does not match the Basic credentials")
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    client = sandbox.registry.authenticate(client_id, secret) if client_id and secret else None
    if client is None:
        raise OAuthError("invalid_client", CLIENT_AUTH_FAILED)
    return client


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    values = request.header_values("Authorization")
    if len(values) > 1:
        raise OAuthError("invalid_request", "Multiple Authorization headers")
    if not values or not values[0].startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(values[0][len("Basic ") :].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", CLIENT_AUTH_FAILED) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", CLIENT_AUTH_FAILED)
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def _normalise_scope(scope: str) -> str:
    """Space-separated scopes, duplicates dropped, order kept (as echoed in the response)."""
    return " ".join(dict.fromkeys(scope.split()))
