"""The addon's options: declared for mitmproxy, parsed by plain functions that raise OptionError
(mitmproxy's way: the addon's configure() turns it into OptionsError)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from authdoctor.engine import DEFAULT_LEEWAY_S
from authdoctor.engine import DEFAULT_MAX_CLIENTS
from authdoctor.engine import DEFAULT_MAX_TOKENS
from authdoctor.engine import DEFAULT_REFRESH_WINDOW_S
from authdoctor.errors import AuthDoctorError
from authdoctor.keys import FetchLimits
from authdoctor.util import caches
from authdoctor.util import default_rule_packs

DEFAULT_FETCH_LIMITS = FetchLimits()


class OptionError(AuthDoctorError, ValueError):
    """An option value is out of shape or range; the message names the option."""


# (name, type, default, help). Numbers are declared as str so that a bad --set value reaches
# our own parser and its clear message: a type error in a -s script's option would make
# mitmproxy drop the whole script without a word.
OPTIONS: tuple[tuple[str, type, object, str], ...] = (
    (
        "authdoctor_profile",
        Sequence[str],
        [],
        "API profiles to load: a bundled name (company-x) or a path to a profile YAML file. "
        "A profile tells authdoctor an API's hosts per environment, issuers, audiences, token "
        "endpoint and endpoint scopes. Repeat --set to load several.",
    ),
    (
        "authdoctor_rules",
        Sequence[str],
        [],
        "Extra rule files or directories, loaded after the shipped rule packs. Files are "
        "watched: an edit is reloaded, and a broken edit keeps the previous rules active.",
    ),
    ("authdoctor_disable", Sequence[str], [], "Rule ids to switch off."),
    (
        "authdoctor_hosts",
        Sequence[str],
        [],
        "Only analyse requests to these host names. Default: every flow that carries "
        "credentials, gets a 401/403, or goes to a host of a loaded profile.",
    ),
    (
        "authdoctor_leeway",
        str,
        str(DEFAULT_LEEWAY_S),
        "Clock leeway in seconds for exp, nbf and iat, and the clock offset that counts as skew.",
    ),
    (
        "authdoctor_session_tokens",
        str,
        str(DEFAULT_MAX_TOKENS),
        "How many distinct tokens the session store remembers (least recently used go first).",
    ),
    (
        "authdoctor_session_clients",
        str,
        str(DEFAULT_MAX_CLIENTS),
        "How many distinct clients the session store remembers.",
    ),
    (
        "authdoctor_cache_entries",
        str,
        str(caches.DEFAULT_ENTRIES),
        "How many entries each cache keyed by traffic holds: decoded tokens, Authorization "
        "values, signature verdicts, hosts, issuers and paths (values over 16 KiB are never "
        "kept).",
    ),
    (
        "authdoctor_refresh_window",
        str,
        str(DEFAULT_REFRESH_WINDOW_S),
        "Warn when a token expires within this many seconds of a request (the runbook: 300).",
    ),
    (
        "authdoctor_fetch_keys",
        bool,
        False,
        "Fetch the signing keys that profiles name with jwks_uri or discovery, to verify token "
        "signatures. Off by default: when on, the proxy contacts the issuers. Fetches run in "
        "the background (flows never wait for them), ignore HTTP(S)_PROXY, and until keys "
        "arrive tokens are decoded, not verified.",
    ),
    (
        "authdoctor_fetch_keys_ttl",
        str,
        str(int(DEFAULT_FETCH_LIMITS.ttl_s)),
        "Seconds fetched signing keys are used before they are fetched again.",
    ),
    (
        "authdoctor_fetch_keys_retry",
        str,
        str(int(DEFAULT_FETCH_LIMITS.retry_s)),
        "Seconds to wait after a failed key fetch before asking that source again.",
    ),
    (
        "authdoctor_fetch_keys_timeout",
        str,
        str(int(DEFAULT_FETCH_LIMITS.timeout_s)),
        "Seconds a key fetch may take in all (discovery document and key set).",
    ),
)


@dataclass(frozen=True, slots=True)
class ParsedOptions:
    profiles: tuple[str, ...]
    rule_paths: tuple[Path, ...]
    disabled: tuple[str, ...]
    hosts: frozenset[str]
    leeway_s: int
    refresh_window_s: int
    session_tokens: int
    session_clients: int
    cache_entries: int = caches.DEFAULT_ENTRIES
    fetch_keys: bool = False
    fetch_limits: FetchLimits = DEFAULT_FETCH_LIMITS


def parse_whole_number(name: str, value: str, minimum: int, maximum: int, unit: str = "") -> int:
    """A whole number from `minimum` to `maximum`; the message names the option."""
    of_unit = f" of {unit}" if unit else ""
    try:
        number = int(value.strip())
    except ValueError:
        raise OptionError(f"{name} must be a whole number{of_unit}, not {value!r}") from None
    if not minimum <= number <= maximum:
        in_unit = f" {unit}" if unit else ""
        raise OptionError(f"{name} must be between {minimum} and {maximum}{in_unit}, not {number}")
    return number


def parse_seconds(name: str, value: str, maximum: int = 86400) -> int:
    return parse_whole_number(name, value, 0, maximum, "seconds")


def parse_count(name: str, value: str, maximum: int = 10_000_000) -> int:
    return parse_whole_number(name, value, 1, maximum)


def parse_fetch_limits(values: dict[str, object]) -> FetchLimits:
    """The key fetcher's TTL, negative-cache time and timeout, in whole seconds."""

    def seconds(name: str, maximum: int) -> int:
        return parse_whole_number(name, str(values[name]), 1, maximum, "seconds")

    return FetchLimits(
        ttl_s=seconds("authdoctor_fetch_keys_ttl", 7 * 86400),
        retry_s=seconds("authdoctor_fetch_keys_retry", 86400),
        timeout_s=seconds("authdoctor_fetch_keys_timeout", 60),
    )


def default_values() -> dict[str, object]:
    """Every option at its default, for uses outside mitmproxy (offline analysis)."""
    return {name: default for name, _, default, _ in OPTIONS}


def parse_options(values: dict[str, object]) -> ParsedOptions:
    """Check every option value; raise OptionError naming the option."""
    extra = tuple(Path(p).expanduser() for p in values["authdoctor_rules"])  # type: ignore[union-attr]
    return ParsedOptions(
        profiles=tuple(values["authdoctor_profile"]),  # type: ignore[arg-type]
        rule_paths=(*default_rule_packs(), *extra),
        disabled=tuple(values["authdoctor_disable"]),  # type: ignore[arg-type]
        hosts=frozenset(h.lower() for h in values["authdoctor_hosts"]),  # type: ignore[union-attr]
        leeway_s=parse_seconds("authdoctor_leeway", str(values["authdoctor_leeway"]), 3600),
        refresh_window_s=parse_seconds(
            "authdoctor_refresh_window", str(values["authdoctor_refresh_window"])
        ),
        session_tokens=parse_count(
            "authdoctor_session_tokens", str(values["authdoctor_session_tokens"])
        ),
        session_clients=parse_count(
            "authdoctor_session_clients", str(values["authdoctor_session_clients"])
        ),
        cache_entries=parse_count(
            "authdoctor_cache_entries", str(values["authdoctor_cache_entries"]), 1_000_000
        ),
        fetch_keys=bool(values["authdoctor_fetch_keys"]),
        fetch_limits=parse_fetch_limits(values),
    )
