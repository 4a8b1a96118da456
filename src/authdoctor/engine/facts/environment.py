"""Facts that need the API profile: environments, issuers, audiences, the token endpoint."""

from __future__ import annotations

from typing import Any

from authdoctor.profiles import Environment
from authdoctor.profiles import Profile


def profile_facts(
    profile: Profile, environment: Environment, matched_by: str = "host"
) -> dict[str, Any]:
    """What the profile says about this request. A profile found by the token's issuer
    knows the identity provider, not the API: its hosts, issuers and audiences do not
    describe the request's host, so they are left out."""
    facts: dict[str, Any] = {
        "profile.id": profile.id,
        "profile.title": profile.title,
        "profile.matched_by": matched_by,
        "profile.strict_bearer_case": profile.strict_bearer_case,
        "profile.expects_jwt": profile.expects_jwt,
    }
    if profile.admin_portal:
        facts["profile.admin_portal"] = profile.admin_portal
    if environment.token_endpoint:
        facts["oauth.token_endpoint"] = environment.token_endpoint
    if matched_by != "host":
        facts["env.token"] = environment.name
        return facts
    facts["env.request"] = environment.name
    facts["env.expected_issuers"] = list(environment.issuers)
    if environment.audiences:
        facts["token.expected_audience"] = list(environment.audiences)
    return facts


def issuer_facts(
    facts: dict[str, Any], profile: Profile, environment: Environment
) -> dict[str, Any]:
    """Where the token's issuer and audience fit the profile (needs token facts first)."""
    out: dict[str, Any] = {}
    issuer = facts.get("token.iss")
    if issuer is not None:
        token_env = profile.environment_of_issuer(issuer)
        out["token.issuer_known"] = token_env is not None
        if token_env is not None:
            out["env.token"] = token_env.name
            out["env.mismatch"] = token_env.name != environment.name
    if environment.audiences and facts.get("token.format") == "jwt":
        audiences = facts.get("token.aud", [])
        out["token.audience_ok"] = any(a in environment.audiences for a in audiences)
    return out


def claims_ok(facts: dict[str, Any]) -> bool:
    """The token passes every claim check authdoctor can make without a key; without a
    profile the issuer and audience cannot be judged, so the answer is no."""
    return (
        facts.get("token.format") == "jwt"
        and not facts.get("token.expired", False)
        and not facts.get("token.not_yet_valid", False)
        and not facts.get("token.iat_in_future", False)
        and facts.get("token.issuer_known") is True
        and not facts.get("env.mismatch", False)
        and facts.get("token.audience_ok", True)
    )
