"""Test-only mitmproxy script, loaded after addons/authdoctor.py: adds to AuthDoctor's ruleset
a rule whose condition raises for requests to /v2/devices/boom-*, with the request's
Authorization value in the exception's message, as a careless bug would.

    mitmdump -s addons/authdoctor.py -s tests/e2e/failing_rule.py
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from mitmproxy import ctx
from mitmproxy import http

from authdoctor.engine.rules.ruleset import Ruleset

FAILING_PATH = "/v2/devices/boom-"
RULE_ID = "never-harm-failing"
logger = logging.getLogger(__name__)


class FailingRule:
    def __init__(self) -> None:
        self.authorization: dict[str, str] = {}  # request path -> Authorization sent

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        # Runs before any `request` hook, so the rule below can quote the credential.
        path = flow.request.path.split("?", 1)[0]
        if path.startswith(FAILING_PATH):
            self.authorization[path] = flow.request.headers.get("authorization", "")

    def when(self, facts: Mapping[str, Any]) -> bool:
        path = facts.get("request.path", "")
        if path.startswith(FAILING_PATH):
            raise RuntimeError(f"rule failed on {path} for {self.authorization.get(path)}")
        return False

    def running(self) -> None:
        doctor = ctx.master.addons.get("authdoctor")
        ruleset: Ruleset = doctor.ruleset
        model = ruleset.rules[0]
        extra = {"gate": None} if hasattr(model, "gate") else {}
        failing = dataclasses.replace(
            model, id=RULE_ID, when=self.when, suppresses=frozenset(), applies_to="api", **extra
        )
        token_kind = dataclasses.replace(failing, applies_to="token_endpoint")
        doctor.ruleset = Ruleset((*ruleset.rules, failing, token_kind), ruleset.files)
        logger.warning(f"never-harm: rule {RULE_ID} added ({len(doctor.ruleset.rules)} rules)")


addons = [FailingRule()]
