"""Fixtures shared by the unit tests: a token issuer, the shipped rules, Company X settings."""

from __future__ import annotations

import json

import pytest
from jwt.algorithms import RSAAlgorithm

from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.rules.ruleset import load_ruleset
from authdoctor.engine.settings import Settings
from authdoctor.profiles.profile import load_profiles
from authdoctor.util.paths import default_rule_packs
from tests.unit.authflows import Issuer


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="session")
def ruleset() -> Ruleset:
    return load_ruleset(default_rule_packs())


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(profiles=load_profiles(["company-x"]))


@pytest.fixture(scope="session")
def keyed_settings(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> Settings:
    """Company X, with the issuer's public key as the profile's signing keys (a JWKS file)."""
    folder = tmp_path_factory.mktemp("keys")
    jwk = json.loads(RSAAlgorithm.to_jwk(issuer.key.public_key()))
    (folder / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "cx-2026-01"}]}))
    (folder / "keyed.yaml").write_text(
        "id: company-x-keyed\ntitle: Company X REST API\nextends: company-x\nkeys: jwks.json\n"
    )
    return Settings(profiles=load_profiles([str(folder / "keyed.yaml")]))
