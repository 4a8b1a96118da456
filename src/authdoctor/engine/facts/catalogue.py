"""Every fact a rule may test or print: name, type and meaning, in one place.

Rules are checked against this catalogue when they load (unknown fact -> error with a
did-you-mean), and a test checks that the extractors produce only these names and types.
A fact that is absent means "not known for this flow": conditions on it are false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

type FactType = Literal["bool", "int", "float", "str", "list"]

PYTHON_TYPES: dict[FactType, tuple[type, ...]] = {
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "list": (list, tuple),
}


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    type: FactType
    description: str
    text_only: bool = False  # formatted lazily for explanations; conditions may not test it


_TABLE: tuple[tuple[str, FactType, str], ...] = (
    # request: what the client sent
    ("request.method", "str", "HTTP method"),
    ("request.url", "str", "URL with secret-looking query values redacted"),
    ("request.host", "str", "host name the request was sent to"),
    ("request.path", "str", "path without the query string"),
    ("request.kind", "str", "api | token_endpoint: which rules apply"),
    ("request.is_https", "bool", "the request used TLS"),
    ("request.is_loopback", "bool", "the host is localhost, 127.0.0.0/8 or ::1"),
    ("request.secret_query_params", "list", "names of query parameters carrying secrets"),
    ("request.sent_iso", "str", "when the request was sent (UTC, ISO-8601)"),
    ("request.auth_present", "bool", "an Authorization header was sent"),
    ("request.auth_header_count", "int", "number of Authorization headers"),
    ("request.auth_scheme_raw", "str", "the scheme word as sent (e.g. 'bearer'); '' if none"),
    ("request.auth_scheme", "str", "the scheme word lower-cased"),
    ("request.auth_scheme_missing", "bool", "the Authorization value is a bare token, no scheme"),
    ("request.auth_double_scheme", "bool", "the scheme is repeated ('Bearer Bearer ...')"),
    ("request.header_ok", "bool", "exactly one well-formed 'Bearer <token>' header"),
    (
        "request.stray_characters",
        "list",
        "problems around/in the token (spaces, tabs, quotes, ...)",
    ),
    (
        "request.token_placeholder",
        "str",
        "the token is a placeholder such as 'undefined' or 'null'",
    ),
    ("request.alt_auth_header", "str", "non-standard header that carries a credential"),
    ("request.query_token_param", "str", "query parameter that carries a credential"),
    ("request.api_key_header", "str", "header made for API keys that carried the credential"),
    (
        "request.credential_location",
        "str",
        "authorization | alt_header | api_key_header | query | none",
    ),
    # token: the credential itself, decoded without verification
    ("token.present", "bool", "a credential value was found in the request"),
    ("token.format", "str", "jwt | opaque | malformed (looks like a JWT but does not decode)"),
    ("token.fingerprint", "str", "short SHA-256 prefix that identifies the token"),
    ("token.length", "int", "length of the token in characters"),
    ("token.malformed_reason", "str", "why the JWT does not decode"),
    ("token.truncated", "bool", "the signature is shorter than the algorithm produces"),
    ("token.alg", "str", "JWT header alg"),
    ("token.kid", "str", "JWT header kid"),
    ("token.typ", "str", "JWT header typ"),
    ("token.iss", "str", "issuer claim"),
    ("token.aud", "list", "audience claim as a list"),
    ("token.sub", "str", "subject claim"),
    ("token.client_id", "str", "client_id, azp or cid claim"),
    ("token.scopes", "list", "scopes from the scope string or the scp list"),
    ("token.has_scope_claim", "bool", "the token carries scope or scp"),
    ("token.app_roles", "list", "roles claim (Entra application permissions, app roles)"),
    ("token.exp_iso", "str", "exp as UTC ISO-8601"),
    ("token.expired", "bool", "exp is at or before the request time minus leeway"),
    ("token.expired_ago", "str", "how long before the request the token expired"),
    ("token.expires_in_s", "int", "seconds from the request to exp (negative: expired)"),
    ("token.expires_in", "str", "human form of expires_in_s"),
    ("token.expiring_soon", "bool", "valid, but expires within the refresh window"),
    ("token.nbf_iso", "str", "nbf as UTC ISO-8601"),
    ("token.not_yet_valid", "bool", "nbf is after the request time plus leeway"),
    ("token.valid_in", "str", "how long after the request the token becomes valid"),
    ("token.iat_iso", "str", "iat as UTC ISO-8601"),
    ("token.iat_in_future", "bool", "iat is after the request time plus leeway"),
    ("token.iat_ahead", "str", "how far iat lies after the request time"),
    ("token.iat_ahead_s", "int", "seconds iat lies after the request time"),
    ("token.lifetime", "str", "exp - iat, human form"),
    ("token.lifetime_s", "int", "exp - iat in seconds"),
    ("token.issuer_known", "bool", "the issuer belongs to one of the profile's environments"),
    ("token.audience_ok", "bool", "aud names this API (profile audiences)"),
    ("token.expected_audience", "list", "the audiences this API accepts"),
    (
        "token.signature",
        "str",
        "valid | invalid | no_key | alg_not_allowed | alg_none (the profile's keys)",
    ),
    (
        "token.signature_note",
        "str",
        "why the signature was not checked (keys not available yet), as a sentence; '' if not",
    ),
    ("token.claims_ok", "bool", "decodes, time-valid, known issuer of this environment, right aud"),
    ("token.time_known", "bool", "the token carries exp, so expiry can be judged"),
    ("token.kind", "str", "access | id | refresh | unknown: what the evidence says it is"),
    ("token.kind_evidence", "list", "why token.kind says so (markers, claims, the session)"),
    ("token.access_token_field", "str", "where the token's issuer hands out access tokens"),
    ("token.typ_ok", "bool", "the JWT header typ is the profile's access_token_typ"),
    # response: what came back
    ("response.received", "bool", "a response arrived"),
    ("response.status", "int", "HTTP status code"),
    ("response.auth_failed", "bool", "401, 403, 400 invalid_request (RFC 6750) or NotAuthorized"),
    ("response.summary", "str", "the answer in one line: status, error, description, request id"),
    ("response.challenge_schemes", "list", "schemes of all WWW-Authenticate challenges"),
    ("response.auth_scheme", "str", "scheme of the first challenge"),
    ("response.realm", "str", "realm of the Bearer challenge"),
    (
        "response.auth_error",
        "str",
        "structured error code (challenge error=, body error, code map)",
    ),
    ("response.error_description", "str", "error text from the challenge or the body"),
    ("response.error_code", "str", "provider-specific error code from the body"),
    ("response.error_text", "str", "all error text, lower-cased, for free-text matching"),
    ("response.challenge_scope", "list", "scope= of an insufficient_scope challenge"),
    ("response.request_id", "str", "request id from headers or body"),
    ("response.server", "str", "the Server header, lower-cased (e.g. 'istio-envoy', 'kestrel')"),
    ("response.date_iso", "str", "the server's Date header (UTC)"),
    ("response.clock_offset_s", "int", "server Date minus this machine's clock, seconds"),
    ("response.clock_offset", "str", "human form, e.g. 'server 10 min ahead'"),
    ("response.clock_skewed", "bool", "|clock offset| exceeds the leeway"),
    ("response.oauth_scopes", "list", "GitHub X-OAuth-Scopes: the scopes the token has"),
    ("response.accepted_oauth_scopes", "list", "GitHub X-Accepted-OAuth-Scopes: any one will do"),
    ("response.oauth_scope_missing", "bool", "the token has none of the accepted OAuth scopes"),
    ("response.accepted_github_permissions", "str", "GitHub: permissions the endpoint needs"),
    # api_key: credentials that are not OAuth tokens (never the key itself)
    (
        "api_key.present",
        "bool",
        "the credential is an API key (by its header, parameter or prefix)",
    ),
    ("api_key.kind", "str", "stripe_secret, stripe_publishable, github_pat, github_refresh, ..."),
    ("api_key.provider", "str", "whose key format it is: Stripe, GitHub, OpenAI, ..."),
    ("api_key.label", "str", "the kind of key in words"),
    ("api_key.where", "str", "where the key was sent, in words"),
    ("api_key.prefix", "str", "the documented prefix that identifies the kind"),
    ("api_key.mode", "str", "live | test (Stripe)"),
    ("api_key.note", "str", "what this kind of key can and cannot do"),
    # scope: what the endpoint needs against what the token grants
    ("scope.endpoint", "str", "matched endpoint, e.g. 'GET /devices'"),
    ("scope.required_any", "list", "scopes of which the endpoint accepts any one"),
    ("scope.source", "str", "where required_any came from (profile or the server's challenge)"),
    ("scope.satisfied", "bool", "the token grants one of required_any (absent when unknown)"),
    ("scope.suggested_request", "str", "scope string to ask for: current scopes plus one needed"),
    # profile and environment
    ("profile.id", "str", "id of the API or identity-provider profile that applies"),
    ("profile.matched_by", "str", "host | issuer: how the profile was chosen"),
    ("profile.title", "str", "name of the API"),
    ("profile.strict_bearer_case", "bool", "the API rejects any scheme spelling but 'Bearer'"),
    ("profile.expects_jwt", "bool", "the API's access tokens are JWTs"),
    ("profile.access_token_typ", "str", "JWT header typ of the API's access tokens (at+jwt)"),
    ("profile.admin_portal", "str", "where client applications are managed"),
    ("env.request", "str", "environment of the request's host"),
    ("env.token", "str", "environment of the token's issuer"),
    ("env.mismatch", "bool", "the token's environment differs from the host's"),
    ("env.expected_issuers", "list", "issuers of the request host's environment"),
    ("oauth.token_endpoint", "str", "token endpoint of the request's environment"),
    # token endpoint calls (request.kind == token_endpoint)
    ("oauth.grant_type", "str", "grant_type of the token request"),
    ("oauth.client_auth", "str", "basic | form | both | client_assertion | none"),
    ("oauth.client_id", "str", "client_id sent (form field or HTTP Basic user)"),
    ("oauth.scope_requested", "list", "scopes asked for"),
    ("oauth.expires_in", "int", "expires_in of a successful token response"),
    ("oauth.scope_granted", "list", "scope of a successful token response"),
    ("oauth.scope_narrowed", "bool", "fewer scopes were granted than asked for"),
    ("oauth.refresh_issued", "bool", "the response carries a refresh token"),
    ("oauth.refresh_rotated", "bool", "the refresh token returned differs from the one sent"),
    # session: what earlier flows of this proxy session showed (bounded store)
    ("session.rejected_before", "bool", "the API already answered 401 to this very token"),
    ("session.rejected_ago", "str", "how long ago that 401 came"),
    ("session.identical_failures", "int", "earlier failures of the same method, path and token"),
    ("session.superseded", "bool", "a newer token was issued to this client before this use"),
    ("session.token_requests_last_minute", "int", "token requests of this client in 60 s"),
    ("session.concurrent_refresh", "bool", "another refresh of this client was still in flight"),
    ("session.reactive_refresh", "bool", "the client's token had expired or died of expiry"),
    ("session.refresh_replayed", "bool", "this refresh token was already exchanged (rotated)"),
    ("session.refresh_replayed_ago", "str", "how long ago it was exchanged"),
    ("session.issued_as", "str", "id_token | refresh_token: a token response carried this token"),
    ("session.issued_as_ago", "str", "how long before this request that token response came"),
    ("session.clock_offset_median_s", "int", "median server clock offset over the session"),
    ("session.clock_samples", "int", "how many answers carried a Date"),
    ("session.clock_skewed", "bool", "the median offset exceeds the leeway"),
    ("session.clock_offset", "str", "the session's clock offset in words"),
    ("session.clock_note", "str", "a sentence on the session's clock skew, or '' if none"),
    # settings and derived analysis
    ("config.leeway_s", "int", "clock leeway in seconds"),
    ("config.refresh_window_s", "int", "refresh this many seconds before exp"),
    ("analysis.open_causes", "list", "causes the evidence cannot rule out"),
)

# Text formatted only when an explanation is rendered (see deferred.py): conditions test the
# facts these are made from (request.path, token.expired, response.clock_offset_s, ...).
TEXT_ONLY = frozenset(
    {
        "request.url", "request.sent_iso", "token.exp_iso", "token.expires_in",
        "token.expired_ago", "token.nbf_iso", "token.valid_in", "token.iat_iso",
        "token.iat_ahead", "token.lifetime", "response.date_iso", "response.clock_offset",
        "response.summary", "session.rejected_ago", "session.refresh_replayed_ago",
        "session.clock_offset", "session.clock_note", "session.issued_as_ago",
        "token.access_token_field",
    }
)  # fmt: skip

CATALOGUE: dict[str, FactSpec] = {
    name: FactSpec(name, t, d, name in TEXT_ONLY) for name, t, d in _TABLE
}
