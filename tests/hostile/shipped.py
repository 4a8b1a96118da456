"""The shipped rules and every shipped profile, loaded once: hostile input meets all of them.

Plain cached functions rather than fixtures, so that Hypothesis, which prints every argument
of a failing example, prints the example and not the whole rule set.
"""

from __future__ import annotations

from functools import cache

from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.rules.ruleset import load_ruleset
from authdoctor.engine.settings import Settings
from authdoctor.profiles.profile import load_profiles
from authdoctor.profiles.profile import with_provider_profiles
from authdoctor.util.paths import default_rule_packs


@cache
def rules() -> Ruleset:
    return load_ruleset(default_rule_packs())


@cache
def settings() -> Settings:
    """Company X plus the identity-provider profiles, as `./run proxy` loads them."""
    return Settings(profiles=with_provider_profiles(load_profiles(["company-x"])))
