"""Options turned into what the analysis runs with: loaded profiles and compiled rules."""

from __future__ import annotations

from authdoctor.options import ParsedOptions
from authdoctor.profiles import load_profiles
from authdoctor.ruleset import Ruleset
from authdoctor.ruleset import load_ruleset
from authdoctor.settings import Settings


def load_configuration(parsed: ParsedOptions) -> tuple[Settings, Ruleset]:
    """Profiles and rules, the same for the live addon and offline analysis; raises
    LoadError naming file, line and field."""
    profiles = load_profiles(parsed.profiles)
    settings = Settings(parsed.leeway_s, parsed.refresh_window_s, profiles)
    return settings, load_ruleset(parsed.rule_paths, parsed.disabled)
