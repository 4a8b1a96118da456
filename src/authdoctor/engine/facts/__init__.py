"""Facts: plain values extracted from one flow, in a flat dict with dotted names.

All computing happens here (expiry, scope satisfaction, clock offset), in small pure
extractors; rules only select facts and render text. See catalogue.py for every name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mitmproxy import http

from authdoctor.engine.facts import session
from authdoctor.engine.facts import token_endpoint
from authdoctor.engine.facts.api_key import api_key_facts
from authdoctor.engine.facts.api_key import github_scope_facts
from authdoctor.engine.facts.candidates import open_causes
from authdoctor.engine.facts.environment import claims_ok
from authdoctor.engine.facts.environment import issuer_facts
from authdoctor.engine.facts.environment import profile_facts
from authdoctor.engine.facts.header import header_facts
from authdoctor.engine.facts.request import request_facts
from authdoctor.engine.facts.response import TOKEN_ENDPOINT_ERRORS
from authdoctor.engine.facts.response import response_facts
from authdoctor.engine.facts.scope import scope_facts
from authdoctor.engine.facts.signature import signature_facts
from authdoctor.engine.facts.token import REDACTED_SIGNATURE
from authdoctor.engine.facts.token import DecodedToken
from authdoctor.engine.facts.token import token_facts
from authdoctor.engine.facts.token_kind import typ_facts
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.settings import Settings
from authdoctor.profiles import Profile

type Facts = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RequestSide:
    """Facts that depend on the request alone, computed once in the request hook and reused
    when the response arrives (unless another addon changed the request in between)."""

    facts: Facts
    decoded: DecodedToken | None
    profile: Profile | None
    fingerprint: tuple[object, ...]

    def still_matches(self, request: http.Request) -> bool:
        return self.fingerprint == _request_fingerprint(request)


def _request_fingerprint(request: http.Request) -> tuple[object, ...]:
    return (request.method, request.host, request.port, request.path, request.headers.fields)


def request_side(
    flow: http.HTTPFlow, settings: Settings, store: SessionStore | None = None
) -> RequestSide:
    """Facts of the request line, the credential and the token; "now" is the send time."""
    request = flow.request
    match = settings.profile_for(request.host, request.port)
    profile, environment = match if match else (None, None)
    facts: Facts = {
        "config.leeway_s": settings.leeway_s,
        "config.refresh_window_s": settings.refresh_window_s,
    }
    endpoints = set(store.token_endpoints) if store else set()
    if environment and environment.token_endpoint:
        endpoints.add(environment.token_endpoint.rstrip("/"))
    facts.update(request_facts(request, endpoints))
    header, credential = header_facts(request, profile.strict_bearer_case if profile else False)
    facts.update(header)
    tokens, decoded = token_facts(
        credential, request.timestamp_start, settings.leeway_s, settings.refresh_window_s
    )
    facts.update(tokens)
    matched_by = "host"
    if match is None and isinstance(issuer := facts.get("token.iss"), str):
        # No host is known: the token's issuer names the provider if exactly one does.
        match = settings.profile_for_issuer(issuer)
        profile, environment = match if match else (None, None)
        matched_by = "issuer"
    facts.update(api_key_facts(facts, credential))
    if profile and environment:
        facts.update(profile_facts(profile, environment, matched_by))
        if matched_by == "host":
            facts.update(issuer_facts(facts, profile, environment))
        facts.update(typ_facts(profile.access_token_typ, facts))
    if facts.get("token.format") == "jwt":
        facts["token.claims_ok"] = claims_ok(facts)
        signed = credential is not None and not REDACTED_SIGNATURE.search(credential.value)
        if environment is not None and environment.keys is not None and signed:
            keys = environment.keys
            fetcher = settings.key_fetcher if settings.fetch_keys or keys.fetch else None
            facts.update(signature_facts(credential.value, facts, keys, fetcher))
    return RequestSide(facts, decoded, profile, _request_fingerprint(request))


def _awaiting_keys(side: RequestSide) -> bool:
    """The request hook had no keys to check the signature: they may have arrived since."""
    return bool(side.facts.get("token.signature_note"))


@dataclass(slots=True)  # not frozen: made for every flow, and frozen costs 3x as much to make
class Extracted:
    """The facts of one flow, and what was read on the way that later steps need, so that no
    step after this one reads the flow again: the decoded token (for the flow's metadata),
    and for the session record the client's name, the token-endpoint call and the token
    endpoint a discovery document named."""

    facts: Facts
    token: DecodedToken | None
    client: str  # the session's name for the client (session.client_key)
    call: token_endpoint.TokenCall | None = None
    discovered_endpoint: str | None = None


def _token_endpoint_facts(call: token_endpoint.TokenCall, facts: Facts) -> Facts:
    out = call.facts()
    # An RFC 6749 error from the token endpoint is the failure this flow is about.
    if facts.get("response.auth_error") in TOKEN_ENDPOINT_ERRORS:
        out["response.auth_failed"] = True
    return out


def extract_facts(
    flow: http.HTTPFlow,
    settings: Settings,
    side: RequestSide | None = None,
    store: SessionStore | None = None,
) -> Extracted:
    """Every fact of this flow, reusing the request hook's work when it still applies, and
    what the session saw before it when a store is given."""
    if side is None or not side.still_matches(flow.request) or _awaiting_keys(side):
        side = request_side(flow, settings, store)
    facts = dict(side.facts)
    facts.setdefault("token.signature_note", "")
    facts.update(response_facts(flow.response, flow.request, side.profile, settings.leeway_s))
    if "api_key.present" in facts:
        facts.update(github_scope_facts(flow.response))
    now = flow.request.timestamp_start
    call = None
    if facts["request.kind"] == "token_endpoint":
        call = token_endpoint.read_call(flow)
        facts.update(_token_endpoint_facts(call, facts))  # names the client: before its key
    key = session.client_key(flow, facts, store)
    client = store.clients.peek(key) if store is not None else None
    if call is not None:
        if store is not None:
            answered = flow.response.timestamp_end if flow.response else None
            facts.update(
                session.token_call_facts(store, client, facts, now, call.sent_refresh, answered)
            )
    else:
        if store is not None:
            facts.update(session.issued_token_facts(store, facts, now, settings))
            facts.update(session.api_session_facts(store, client, facts, flow.request))
        facts.update(scope_facts(flow.request, side.profile, facts))
    facts["session.clock_note"] = ""  # filled in below when the session shows a skew
    if store is not None:
        facts.update(session.clock_facts(store, settings.leeway_s))
    if facts.get("response.auth_failed"):
        facts["analysis.open_causes"] = open_causes(facts)
    discovered = token_endpoint.discovered_token_endpoint(flow) if store is not None else None
    return Extracted(facts, side.decoded, key, call, discovered)
