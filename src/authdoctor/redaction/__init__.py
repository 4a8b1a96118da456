"""Redaction of recordings for support tickets (see redactor.py). Other layers import these
names from here; the modules of this package import each other directly, never through this
file."""

from authdoctor.redaction.bodies import BodyDropped
from authdoctor.redaction.redactor import Redactor

__all__ = ["BodyDropped", "Redactor"]
