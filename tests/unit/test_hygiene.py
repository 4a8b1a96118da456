"""Hygiene warnings through the whole pipeline: they warn, they never decide a flow's cause."""

from __future__ import annotations

import jwt
import pytest

from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.settings import Settings
from tests.unit.authflows import SENT
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import flow
from tests.unit.authflows import response


def _rules_hit(url: str, token: str, ruleset: Ruleset, settings: Settings) -> dict[str, str]:
    diagnosis = Analyzer(ruleset, settings).analyze(
        flow(url, headers=[bearer(token)], resp=response(200))
    )
    assert diagnosis.diagnosis.cause is None
    return {f.rule: f.severity for f in diagnosis.diagnosis.findings}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://api.example.com/v1/orders", {"token-over-plaintext": "warning"}),
        ("https://api.example.com/v1/orders", {}),
        ("http://127.0.0.1:8400/v2/devices", {}),
        ("http://localhost:3000/api", {}),
        (
            "https://api.example.com/v1/orders?client_secret=s3cret",
            {"secret-in-url": "warning"},
        ),
    ],
)
def test_plaintext_and_url_secrets(url, expected, issuer: Issuer, ruleset, settings) -> None:
    assert _rules_hit(url, issuer.token(), ruleset, settings) == expected


def test_unsigned_and_long_lived_tokens_warn(ruleset: Ruleset, settings: Settings) -> None:
    claims = {"iss": "https://id.example.com/", "iat": SENT - 60, "exp": SENT + 30 * 86400}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    hits = _rules_hit("https://api.example.com/v1/orders", unsigned, ruleset, settings)
    assert hits == {"alg-none-token": "warning", "long-lived-token": "warning"}
