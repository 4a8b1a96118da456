"""API and identity-provider profiles and their endpoint -> scopes tables. Other layers
import these names from here; the modules of this package import each other directly, never
through this file."""

from authdoctor.profiles.profile import Environment
from authdoctor.profiles.profile import Profile
from authdoctor.profiles.profile import load_profiles
from authdoctor.profiles.profile import profile_for
from authdoctor.profiles.profile import profile_for_issuer
from authdoctor.profiles.profile import with_provider_profiles

__all__ = [
    "Environment",
    "Profile",
    "load_profiles",
    "profile_for",
    "profile_for_issuer",
    "with_provider_profiles",
]
