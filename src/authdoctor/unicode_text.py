"""Text that can be written anywhere: lone surrogates replaced.

Header and URL bytes that are not UTF-8 reach Python as surrogate escapes, and JSON's
"\\ud800" escapes (in token claims, error bodies, HAR files) as lone surrogates. A flow file
(tnetstring), a terminal and a HAR writer all refuse them, so text of ours that carries such
values is made valid before it is written.
"""

from __future__ import annotations

from typing import Any


def valid_unicode(value: Any) -> Any:
    """The value with every string in it valid UTF-8 (a lone surrogate becomes '?')."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {valid_unicode(k): valid_unicode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [valid_unicode(v) for v in value]
    return value
