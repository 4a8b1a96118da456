"""Fixtures shared by the unit tests: a token issuer, the shipped rules, Company X settings."""

from __future__ import annotations

import pytest

from authdoctor.paths import default_rule_packs
from authdoctor.profiles import load_profiles
from authdoctor.ruleset import Ruleset
from authdoctor.ruleset import load_ruleset
from authdoctor.settings import Settings
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
