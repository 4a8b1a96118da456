"""Text that can be written anywhere: lone surrogates replaced.

Header and URL bytes that are not UTF-8 reach Python as surrogate escapes, and JSON's
"\\ud800" escapes (in token claims, error bodies, HAR files) as lone surrogates. A flow file
(tnetstring), a terminal and a HAR writer all refuse them, so text of ours that carries such
values is made valid before it is written.
"""

from __future__ import annotations

import json
from typing import Any

_as_json = json.JSONEncoder(ensure_ascii=False).encode


def valid_unicode(value: Any) -> Any:
    """The value with every string in it valid UTF-8 (a lone surrogate becomes '?'). Nearly
    always it already is: one encoding pass (in C) says so, before any copy is made."""
    try:
        text = value if isinstance(value, str) else _as_json(value)
        text.encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return _replaced(value)
    return value


def _replaced(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_replaced(k): _replaced(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v) for v in value]
    return value
