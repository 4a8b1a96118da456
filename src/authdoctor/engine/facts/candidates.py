"""Which causes the evidence cannot rule out: the honest answer when no rule decides."""

from __future__ import annotations

from typing import Any


def open_causes(facts: dict[str, Any]) -> list[str]:
    causes: list[str] = []
    token_format = facts.get("token.format")
    if facts.get("api_key.present"):
        causes.append("api_key_invalid")
    elif token_format == "opaque":
        causes += ["token_expired", "token_revoked", "wrong_environment"]
    if token_format == "jwt":
        causes.append("token_revoked")
        if facts.get("token.signature") != "valid":
            causes.append("signature_invalid")
    if token_format in ("jwt", "opaque") and facts.get("token.kind") in (None, "unknown"):
        causes.append("wrong_token_type")  # neither marker nor claims say "access token"
    if token_format and "scope.satisfied" not in facts:
        causes.append("insufficient_scope")
    if token_format and "token.audience_ok" not in facts:
        causes.append("audience_mismatch")
    if not facts.get("token.present"):
        causes.append("missing_authorization")
    return causes
