"""One flow judged: relevance, facts, rules, diagnosis and the session record, in one place
(the pipeline of docs/architecture.md).

The proxy, offline analysis and the recording writer all judge flows through an Analyzer, so
the steps run in the same order everywhere; annotating the flow stays with the callers that do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mitmproxy import http

from authdoctor.engine.diagnosis import Diagnosis
from authdoctor.engine.diagnosis import diagnose
from authdoctor.engine.facts import Extracted
from authdoctor.engine.facts import RequestSide
from authdoctor.engine.facts import extract_facts
from authdoctor.engine.facts import request_side
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.session_record import record
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.settings import Settings


@dataclass(frozen=True, slots=True)
class Analysis:
    """A flow's diagnosis, with its facts and what the facts step read (for the record)."""

    extracted: Extracted
    diagnosis: Diagnosis

    @property
    def facts(self) -> dict[str, Any]:
        return self.extracted.facts

    def token_summary(self) -> dict[str, Any] | None:
        """Decoded, non-secret view of the token for flow metadata (never the token itself)."""
        token = self.extracted.token
        if token is None:
            return None
        summary: dict[str, Any] = {"format": token.format, "fingerprint": token.fingerprint}
        if token.format == "jwt":
            summary["header"] = token.header
            summary["claims"] = token.claims
            # Kept apart from the claims: verified, or why not (keys not available yet).
            for name in ("signature", "signature_note"):
                if value := self.extracted.facts.get(f"token.{name}"):
                    summary[name] = value.strip()
        return summary


@dataclass(frozen=True, slots=True)
class Analyzer:
    """Judges flows against one configuration, remembering them in one session store.

    Frozen: the proxy makes a new one when its options or rule files change, around the same
    store, so a flow is never judged by half of an old configuration and half of a new one.
    Without a store, flows are judged alone and nothing is recorded.
    """

    ruleset: Ruleset
    settings: Settings
    store: SessionStore | None = None
    hosts: frozenset[str] = frozenset()  # when not empty: judge flows to these hosts only

    def is_relevant(self, flow: http.HTTPFlow) -> bool:
        """Flows that carry credentials, fail on auth, or go to a profiled host."""
        request = flow.request
        if self.hosts:
            return request.host.lower() in self.hosts
        if request.headers.get("authorization") is not None:
            return True
        if flow.response is not None and flow.response.status_code in (401, 403):
            return True
        return self.settings.profile_for(request.host, request.port) is not None

    def request_side(self, flow: http.HTTPFlow) -> RequestSide | None:
        """The request hook's share of the work, reused when the response arrives; None for a
        flow not worth judging."""
        if not self.is_relevant(flow):
            return None
        return request_side(flow, self.settings)

    def analyze(self, flow: http.HTTPFlow, side: RequestSide | None = None) -> Analysis:
        """Facts, rules and diagnosis, reading what the session saw before and recording
        nothing: the provisional step of a slow response, or a flow judged on its own."""
        extracted = extract_facts(flow, self.settings, side, self.store)
        facts = extracted.facts
        return Analysis(extracted, diagnose(self.ruleset.evaluate(facts), facts))

    def judge(self, flow: http.HTTPFlow, side: RequestSide | None = None) -> Analysis | None:
        """The final diagnosis of a relevant flow, recorded in the session; None for a flow
        not worth judging. A flow with a request side was found relevant by the request hook;
        one without may still be (a 401 makes it so)."""
        if side is None and not self.is_relevant(flow):
            return None
        analysis = self.analyze(flow, side)
        if self.store is not None:
            record(self.store, flow, analysis.extracted, analysis.diagnosis)
        return analysis
