"""The two Company X environments a sandbox can stand in for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Environment:
    """Who issues tokens and which API they are for; mixing them up is a runbook cause."""

    name: str
    issuer: str
    audience: str


ENVIRONMENTS: dict[str, Environment] = {
    "production": Environment("production", "https://auth.xxx.com/", "https://api.xxx.com"),
    "staging": Environment(
        "staging", "https://auth.staging.xxx.com/", "https://api.staging.xxx.com"
    ),
}


def environment(name: str) -> Environment:
    """Look an environment up by name; a typo must fail loudly, not fall back to production."""
    try:
        return ENVIRONMENTS[name]
    except KeyError:
        known = ", ".join(ENVIRONMENTS)
        raise ValueError(f"unknown environment {name!r}; expected one of: {known}") from None
