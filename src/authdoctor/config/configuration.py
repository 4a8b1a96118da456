"""Options turned into what the analysis runs with: loaded profiles and compiled rules."""

from __future__ import annotations

import argparse

from authdoctor.config.options import ParsedOptions
from authdoctor.config.options import default_values
from authdoctor.config.options import parse_options
from authdoctor.engine import Ruleset
from authdoctor.engine import Settings
from authdoctor.engine import load_ruleset
from authdoctor.keys import KeyFetcher
from authdoctor.profiles import load_profiles
from authdoctor.profiles import with_provider_profiles
from authdoctor.util import caches


def load_configuration(
    parsed: ParsedOptions, key_fetcher: KeyFetcher | None = None
) -> tuple[Settings, Ruleset]:
    """Profiles and rules, the same for the live addon and offline analysis; raises
    LoadError naming file, line and field. Without the addon's fetcher (offline analysis)
    signing keys are fetched inline: a recording may wait for them, within the timeout."""
    profiles = with_provider_profiles(load_profiles(parsed.profiles))
    fetcher = key_fetcher or KeyFetcher(parsed.fetch_limits, background=False)
    settings = Settings(
        parsed.leeway_s, parsed.refresh_window_s, profiles, parsed.fetch_keys, fetcher
    )
    ruleset = load_ruleset(parsed.rule_paths, parsed.disabled)
    if parsed.cache_entries != caches.entries():  # resizing empties the caches
        caches.set_entries(parsed.cache_entries)
    return settings, ruleset


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """The options every offline command shares with the addon's authdoctor_* options."""
    parser.add_argument(
        "--profile", action="append", default=[], help="API profile: bundled name or YAML path"
    )
    parser.add_argument("--rules", action="append", default=[], help="extra rule file or folder")
    parser.add_argument("--disable", action="append", default=[], help="rule id to switch off")
    parser.add_argument("--leeway", default=None, help="clock leeway in seconds (default 30)")
    parser.add_argument(
        "--fetch-keys",
        action="store_true",
        help="fetch signing keys that profiles name by jwks_uri or discovery (contacts issuers)",
    )


def configuration_from_args(args: argparse.Namespace) -> tuple[ParsedOptions, Settings, Ruleset]:
    """Parse and load what add_analysis_options collected; raises OptionError or LoadError."""
    values = default_values()
    values.update(
        authdoctor_profile=args.profile,
        authdoctor_rules=args.rules,
        authdoctor_disable=args.disable,
    )
    if args.leeway is not None:
        values["authdoctor_leeway"] = args.leeway
    if args.fetch_keys:
        values["authdoctor_fetch_keys"] = True
    parsed = parse_options(values)
    return (parsed, *load_configuration(parsed))
