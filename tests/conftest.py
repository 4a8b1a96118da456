"""Hypothesis profiles for every test directory (the hostile-input suite uses them most).

`ci` (the default) is reproducible and bounded: derandomize draws the same examples on every
run, so a red CI points at a bug rather than at a lucky draw, and no example database is read
or written (a fresh clone has none anyway). Deadlines are off because this 2-core machine runs
several suites at once; the time a parser may take is asserted where it matters, with inputs
made to be slow. `deep` (HYPOTHESIS_PROFILE=deep) draws fresh random examples, about 40 times
as many, and keeps the failures it finds in .hypothesis/ to replay them first next time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck
from hypothesis import settings

# Big generated inputs (headers, bodies, flows) are the point of these tests, not a mistake.
_LARGE_INPUTS = (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example)

settings.register_profile(
    "ci",
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_LARGE_INPUTS,
)
settings.register_profile(
    "deep",
    max_examples=5000,
    deadline=None,
    print_blob=True,
    suppress_health_check=_LARGE_INPUTS,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
