"""token.signature: the verdict of the token's signature under the environment's keys, or,
while some of those keys are not available, token.signature_note saying why there is none.

Fetched keys that are not there yet (being fetched, failed, fetching off) make the token
"decoded, not verified": a verdict is only given when no missing key could change it.
"""

from __future__ import annotations

from typing import Any

from authdoctor.keys import KeyFetcher
from authdoctor.keys import KeySet
from authdoctor.keys import KeySources
from authdoctor.keys import verify_signature

FETCHING_OFF = (
    "key fetching is off: set authdoctor_fetch_keys=true, or fetch_keys: true in the profile"
)


def _check(
    token: str, kid: str | None, alg: str, sources: KeySources, fetcher: KeyFetcher | None
) -> tuple[str, list[str]]:
    """The verdict under every key at hand, and why some keys are missing."""
    key_sets: list[KeySet] = list(sources.local)
    missing: list[str] = []
    for remote in sources.remote:
        if fetcher is None:
            missing.append(f"keys from {remote.url} are not fetched ({FETCHING_OFF})")
            continue
        keys, why_not = fetcher.lookup(remote)
        if keys is None:
            missing.append(why_not)
        else:
            key_sets.append(keys)
    return verify_signature(token, tuple(key_sets), kid, alg), missing


def signature_facts(
    token: str, facts: dict[str, Any], sources: KeySources, fetcher: KeyFetcher | None
) -> dict[str, Any]:
    """{'token.signature': verdict} or {'token.signature_note': why not checked}; `fetcher`
    None means fetching is off for this profile."""
    kid, alg = facts.get("token.kid"), facts.get("token.alg", "")
    if alg == "none":
        return {"token.signature": "alg_none"}
    verdict, missing = _check(token, kid, alg, sources, fetcher)
    if verdict == "no_key" and not missing and fetcher is not None and kid is not None:
        # A kid that no fetched set has: a key rotation the cache has not seen yet?
        missing = [n for r in sources.remote if (n := fetcher.refetch_for_kid(r, kid))]
        if sources.remote and not missing:  # offline the refetch has run by now
            verdict, missing = _check(token, kid, alg, sources, fetcher)
    if verdict == "valid" or not missing:
        return {"token.signature": verdict}
    return {"token.signature_note": f" The signature was not checked: {missing[0]}."}
