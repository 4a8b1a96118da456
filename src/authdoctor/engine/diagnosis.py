"""From findings to one diagnosis: rank them and pick the flow's primary cause.

An error-level finding explains a failure, so a flow the server accepted gets warnings at
most. `unknown` is only kept when nothing more specific explains the failure. Before the
response arrives a diagnosis is provisional; the response settles it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from authdoctor.engine.causes import PRECEDENCE_RANK
from authdoctor.engine.rules.ruleset import CONFIDENCE_RANK
from authdoctor.engine.rules.ruleset import SEVERITY_RANK
from authdoctor.engine.rules.ruleset import Finding

ACCEPTED_NOTE = (
    "The server accepted this request anyway, so it did not fail here; "
    "a stricter server would reject it."
)
OTHER_FAILURE_NOTE = (
    "The server's answer is not an authentication failure, so this did not cause it."
)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    cause: str | None
    severity: str | None
    provisional: bool
    findings: tuple[Finding, ...]

    @property
    def primary(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def as_metadata(self, token: dict[str, Any] | None = None) -> dict[str, Any]:
        """flow.metadata["authdoctor"]: plain JSON, saved with the flow."""
        data: dict[str, Any] = {
            "version": 1,
            "cause": self.cause,
            "severity": self.severity,
            "provisional": self.provisional,
            "findings": [f.as_dict() for f in self.findings],
        }
        if token:
            data["token"] = token
        return data


def _rank(finding: Finding) -> tuple[int, int, int, int, str]:
    return (
        -SEVERITY_RANK[finding.severity],
        -CONFIDENCE_RANK[finding.confidence],
        PRECEDENCE_RANK.get(finding.cause, len(PRECEDENCE_RANK)),
        -finding.specificity,
        finding.rule,
    )


def _not_the_failure(finding: Finding, note: str) -> Finding:
    if finding.severity != "error":
        return finding
    return replace(finding, severity="warning", explain=f"{finding.explain} {note}")


def diagnose(findings: list[Finding], facts: Mapping[str, Any]) -> Diagnosis:
    received = bool(facts.get("response.received"))
    if received and not facts.get("response.auth_failed"):
        note = ACCEPTED_NOTE if facts.get("response.status", 0) < 400 else OTHER_FAILURE_NOTE
        findings = [_not_the_failure(f, note) for f in findings if f.cause != "unknown"]
    if any(f.severity == "error" and f.cause != "unknown" for f in findings):
        findings = [f for f in findings if f.cause != "unknown"]
    ranked = tuple(sorted(findings, key=_rank))
    errors = [f for f in ranked if f.severity == "error"]
    return Diagnosis(
        cause=errors[0].cause if errors else None,
        severity=ranked[0].severity if ranked else None,
        provisional=not received,
        findings=ranked,
    )
