"""The pipeline for one flow: facts -> rules -> diagnosis. Live and offline use this alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mitmproxy import http

from authdoctor.engine.diagnosis import Diagnosis
from authdoctor.engine.diagnosis import diagnose
from authdoctor.engine.facts import RequestSide
from authdoctor.engine.facts import extract_facts
from authdoctor.engine.facts.token import DecodedToken
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.settings import Settings


@dataclass(frozen=True, slots=True)
class Analysis:
    facts: dict[str, Any]
    diagnosis: Diagnosis
    token: DecodedToken | None

    def token_summary(self) -> dict[str, Any] | None:
        """Decoded, non-secret view of the token for flow metadata (never the token itself)."""
        if self.token is None:
            return None
        summary: dict[str, Any] = {
            "format": self.token.format,
            "fingerprint": self.token.fingerprint,
        }
        if self.token.format == "jwt":
            summary["header"] = self.token.header
            summary["claims"] = self.token.claims
            # Kept apart from the claims: verified, or why not (keys not available yet).
            for name in ("signature", "signature_note"):
                if value := self.facts.get(f"token.{name}"):
                    summary[name] = value.strip()
        return summary


def is_relevant(flow: http.HTTPFlow, settings: Settings, hosts: frozenset[str]) -> bool:
    """Analyse flows that carry credentials, fail on auth, or go to a profiled host."""
    request = flow.request
    if hosts:
        return request.host.lower() in hosts
    if request.headers.get("authorization") is not None:
        return True
    if flow.response is not None and flow.response.status_code in (401, 403):
        return True
    return settings.profile_for(request.host, request.port) is not None


def analyze(
    flow: http.HTTPFlow,
    ruleset: Ruleset,
    settings: Settings,
    side: RequestSide | None = None,
    store: SessionStore | None = None,
) -> Analysis:
    facts, token = extract_facts(flow, settings, side, store)
    return Analysis(facts, diagnose(ruleset.evaluate(facts), facts), token)
