"""Signing keys: key sets (JWKS, PEM, HMAC), where a profile says to find them, and the
bounded background fetcher. Other layers import these names from here; the modules of this
package import each other directly, never through this file."""

from authdoctor.keys.fetch import FetchLimits
from authdoctor.keys.fetch import KeyFetcher
from authdoctor.keys.signing_keys import KeySet
from authdoctor.keys.signing_keys import verify_signature
from authdoctor.keys.sources import KeySources
from authdoctor.keys.sources import key_sources

__all__ = [
    "FetchLimits",
    "KeyFetcher",
    "KeySet",
    "KeySources",
    "key_sources",
    "verify_signature",
]
