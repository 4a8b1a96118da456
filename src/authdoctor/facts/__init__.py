"""Facts: plain values extracted from one flow, in a flat dict with dotted names.

All computing happens here (expiry, scope satisfaction, clock offset), in small pure
extractors; rules only select facts and render text. See catalogue.py for every name.
"""

from __future__ import annotations

from typing import Any

from mitmproxy import http

from authdoctor.facts.candidates import open_causes
from authdoctor.facts.environment import claims_ok
from authdoctor.facts.environment import issuer_facts
from authdoctor.facts.environment import profile_facts
from authdoctor.facts.header import header_facts
from authdoctor.facts.request import request_facts
from authdoctor.facts.response import response_facts
from authdoctor.facts.scope import scope_facts
from authdoctor.facts.token import DecodedToken
from authdoctor.facts.token import token_facts
from authdoctor.profiles import profile_for
from authdoctor.settings import Settings

type Facts = dict[str, Any]


def extract_facts(flow: http.HTTPFlow, settings: Settings) -> tuple[Facts, DecodedToken | None]:
    """Every fact of this flow; "now" is the time the request was sent."""
    request = flow.request
    match = profile_for(settings.profiles, request.pretty_host, request.port)
    profile, environment = match if match else (None, None)
    facts: Facts = {
        "config.leeway_s": settings.leeway_s,
        "config.refresh_window_s": settings.refresh_window_s,
    }
    facts.update(request_facts(request, environment.token_endpoint if environment else None))
    strict = profile.strict_bearer_case if profile else False
    header, credential = header_facts(request, strict)
    facts.update(header)
    tokens, decoded = token_facts(
        credential, request.timestamp_start, settings.leeway_s, settings.refresh_window_s
    )
    facts.update(tokens)
    if profile and environment:
        facts.update(profile_facts(profile, environment))
        facts.update(issuer_facts(facts, profile, environment))
    if facts.get("token.format") == "jwt":
        facts["token.claims_ok"] = claims_ok(facts)
    facts.update(response_facts(flow.response, request, profile, settings.leeway_s))
    facts.update(scope_facts(request, profile, facts))
    if facts.get("response.auth_failed"):
        facts["analysis.open_causes"] = open_causes(facts)
    return facts, decoded
