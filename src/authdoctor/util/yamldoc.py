"""YAML loading for rules and profiles: duplicate keys rejected, every value's line remembered.

PyYAML silently keeps the last of two duplicate keys, so a second `when:` would replace the
first without a word; this loader refuses that and keeps a path -> line index so that later
checks can say on which line a bad field sits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from authdoctor.errors import LoadError

type YamlPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """A parsed YAML document plus the line (1-based) of every node, keyed by its path."""

    file: str
    data: Any
    lines: dict[YamlPath, int]

    def line_of(self, path: YamlPath) -> int:
        """Line of the deepest known node on `path` (the document start when none)."""
        for end in range(len(path), -1, -1):
            if (line := self.lines.get(tuple(path[:end]))) is not None:
                return line
        return 1


def format_path(path: YamlPath) -> str:
    """`("when", "all", 1, "token.exp")` -> `when.all[1].token.exp`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _walk(node: yaml.Node, path: YamlPath, file: str) -> Iterator[tuple[YamlPath, int]]:
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise LoadError(
                    "a key must be plain text, not a list or mapping",
                    file=file,
                    line=key_node.start_mark.line + 1,
                )
            key = key_node.value
            if key in seen:
                raise LoadError(
                    f"duplicate key '{key}' (first at line {seen[key]}); YAML would silently keep "
                    "only the last one",
                    file=file,
                    line=key_node.start_mark.line + 1,
                )
            seen[key] = key_node.start_mark.line + 1
            yield from _walk(value_node, (*path, key), file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index), file)


def parse_yaml(text: str, file: str) -> YamlDoc:
    """Parse one YAML document; raise LoadError with file and line on any syntax problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        lines = dict(_walk(node, (), file)) if node is not None else {}
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        hint = ""
        if "mapping values are not allowed" in str(e) or "expected <block end>" in str(e):
            hint = " (a value containing ': ' must be quoted or written as a '>-' block)"
        raise LoadError(f"YAML syntax error: {e.problem}{hint}", file=file, line=line) from None
    except yaml.YAMLError as e:
        raise LoadError(f"YAML error: {e}", file=file) from None
    return YamlDoc(file=file, data=data, lines=lines)


def load_yaml(path: Path) -> YamlDoc:
    """Read and parse a YAML file; I/O and decoding errors become LoadError too."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError(f"cannot read: {e}", file=str(path)) from None
    return parse_yaml(text, str(path))
