"""Rule text templates: `{{ fact.name }}` placeholders with the filters `join` and `first`.

Deliberately tiny: no expressions and no attribute access (str.format would allow
`{x.__class__}` walks). Placeholders are checked against the catalogue at load time. Values
put into shell commands are shlex-quoted, because they come from servers and tokens.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authdoctor.engine.facts.catalogue import CATALOGUE
from authdoctor.errors import AuthDoctorError
from authdoctor.util import did_you_mean

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_FILTER = re.compile(r"^\s*(join|first)\s*(?:\(\s*(\"[^\"]*\"|'[^']*')\s*\))?\s*$")
_MAX_VALUE = 300
# What a command shows for a fact this flow does not have: a variable the user can set,
# rather than text a shell would misread.
COMMAND_PLACEHOLDERS = {
    "oauth.token_endpoint": '"$TOKEN_ENDPOINT"',
    "token.client_id": '"$CLIENT_ID"',
    "request.url": '"$API_URL"',
}


class TemplateError(AuthDoctorError, ValueError):
    """A template names an unknown fact or filter."""


@dataclass(frozen=True, slots=True)
class _Slot:
    fact: str
    filter: str | None
    argument: str


def _format(value: Any, slot: _Slot) -> str:
    if isinstance(value, (list, tuple)):
        if slot.filter == "first":
            return str(value[0]) if value else ""
        return slot.argument.join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled template: literal text and slots, alternating."""

    parts: tuple[str | _Slot, ...]
    quote: bool = False

    def render(self, facts: Mapping[str, Any]) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = facts.get(part.fact)
            if value is None and self.quote and part.fact in COMMAND_PLACEHOLDERS:
                out.append(COMMAND_PLACEHOLDERS[part.fact])
                continue
            text = f"<{part.fact}>" if value is None else _format(value, part)
            out.append(shlex.quote(text) if self.quote else text)
        return "".join(out)

    @property
    def facts(self) -> tuple[str, ...]:
        return tuple(p.fact for p in self.parts if isinstance(p, _Slot))


def _slot(expression: str) -> _Slot:
    name, _, filter_text = expression.partition("|")
    name = name.strip()
    if name not in CATALOGUE:
        raise TemplateError(f"unknown fact '{name}'{did_you_mean(name, CATALOGUE)}")
    if not filter_text:
        return _Slot(name, None, ", ")
    match = _FILTER.match(filter_text)
    if not match:
        raise TemplateError(f"unknown filter '{filter_text.strip()}' (use join(\", \") or first)")
    argument = match.group(2)[1:-1] if match.group(2) else ", "
    return _Slot(name, match.group(1), argument)


def _literal(text: str) -> str:
    if "{{" in text or "}}" in text:
        raise TemplateError("unbalanced '{{' or '}}'")
    return text


def compile_template(text: str, *, quote: bool = False) -> Template:
    """Compile `text`; raise TemplateError for an unknown fact or filter or a stray brace."""
    parts: list[str | _Slot] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(_literal(text[position : match.start()]))
        parts.append(_slot(match.group(1)))
        position = match.end()
    parts.append(_literal(text[position:]))
    return Template(tuple(p for p in parts if p != ""), quote)
