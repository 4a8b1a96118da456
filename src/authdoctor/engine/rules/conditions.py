"""Rule conditions: a declarative all/any/not tree over named facts, compiled to closures.

No eval and no expression language: a leaf names exactly one fact and one operator from a
closed set, checked against the fact catalogue when the rule loads. An absent fact makes a
leaf false (so `not:` over it is true); `exists` tests presence on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from authdoctor.engine.facts.catalogue import CATALOGUE
from authdoctor.engine.facts.catalogue import PYTHON_TYPES
from authdoctor.engine.facts.catalogue import FactType
from authdoctor.errors import AuthDoctorError
from authdoctor.util import YamlPath
from authdoctor.util import did_you_mean

type Facts = Mapping[str, Any]
type Predicate = Callable[[Facts], bool]

_ABSENT = object()
_ORDERED: frozenset[FactType] = frozenset({"int", "float"})


class ConditionError(AuthDoctorError, ValueError):
    """A condition is malformed; `path` says where inside `when`."""

    def __init__(self, message: str, path: YamlPath) -> None:
        super().__init__(message)
        self.path = path


def _check_value(spec_type: FactType, value: Any, path: YamlPath) -> None:
    allowed = PYTHON_TYPES[spec_type]
    if spec_type == "list":
        allowed = (str,)  # a list fact is compared element-wise with strings
    if isinstance(value, bool) and spec_type in ("int", "float"):
        allowed = ()
    if not isinstance(value, allowed):
        raise ConditionError(f"value {value!r} does not fit a fact of type {spec_type}", path)


OPERATORS = (
    "equals", "not_equals", "in", "not_in", "lt", "lte", "gt", "gte", "contains", "matches",
    "exists",
)  # fmt: skip
_LIST_OPERATORS = frozenset({"contains", "exists"})


def _leaf(fact: str, op: str, value: Any, path: YamlPath) -> Predicate:
    """One compiled leaf; every operator is false when the fact is absent."""
    spec = CATALOGUE[fact]
    if op not in OPERATORS:
        raise ConditionError(f"unknown operator '{op}'{did_you_mean(op, OPERATORS)}", path)
    if spec.type == "list" and op not in _LIST_OPERATORS:
        raise ConditionError(f"'{fact}' is a list: test it with contains or exists", path)
    if op == "exists":
        if not isinstance(value, bool):
            raise ConditionError("exists takes true or false", path)
        return lambda f: (fact in f) is value
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{op} takes a non-empty list", path)
        for item in value:
            _check_value(spec.type, item, path)
        members = frozenset(value)
        if op == "in":
            return lambda f: (v := f.get(fact, _ABSENT)) is not _ABSENT and v in members
        return lambda f: (v := f.get(fact, _ABSENT)) is not _ABSENT and v not in members
    if op == "matches":
        if spec.type != "str" or not isinstance(value, str):
            raise ConditionError("matches takes a regular expression and a str fact", path)
        try:
            pattern = re.compile(value)
        except re.error as e:
            raise ConditionError(f"bad regular expression: {e}", path) from None
        return lambda f: isinstance(v := f.get(fact), str) and pattern.search(v) is not None
    if op == "contains":
        if spec.type not in ("list", "str") or not isinstance(value, str):
            raise ConditionError("contains takes a string and a list or str fact", path)
        return lambda f: (v := f.get(fact)) is not None and value in v
    _check_value(spec.type, value, path)
    if op == "equals":
        return lambda f: (v := f.get(fact, _ABSENT)) is not _ABSENT and v == value
    if op == "not_equals":
        return lambda f: (v := f.get(fact, _ABSENT)) is not _ABSENT and v != value
    if spec.type not in _ORDERED:
        raise ConditionError(f"{op} needs a number fact; '{fact}' is {spec.type}", path)
    compare: dict[str, Callable[[Any], bool]] = {
        "lt": lambda v: v < value,
        "lte": lambda v: v <= value,
        "gt": lambda v: v > value,
        "gte": lambda v: v >= value,
    }
    test = compare[op]
    return lambda f: (v := f.get(fact)) is not None and test(v)


def _compile_leaf(node: dict[str, Any], path: YamlPath) -> Predicate:
    ((fact, spec),) = node.items()
    if fact not in CATALOGUE:
        raise ConditionError(f"unknown fact '{fact}'{did_you_mean(fact, CATALOGUE)}", path)
    if CATALOGUE[fact].text_only:
        raise ConditionError(
            f"'{fact}' is text for explanations only; test the facts it is made from", path
        )
    if isinstance(spec, dict):
        if len(spec) != 1:
            raise ConditionError("an operator mapping holds exactly one operator", (*path, fact))
        ((op, value),) = spec.items()
        return _leaf(fact, str(op), value, (*path, fact, op))
    return _leaf(fact, "equals", spec, (*path, fact))


def compile_condition(node: Any, path: YamlPath = ("when",)) -> Predicate:
    """Compile a `when` tree; raise ConditionError naming the path of the first problem."""
    if not isinstance(node, dict) or len(node) != 1:
        raise ConditionError("a condition is a mapping with exactly one key", path)
    ((key, child),) = node.items()
    if key in ("all", "any"):
        if not isinstance(child, list) or not child:
            raise ConditionError(f"{key} takes a non-empty list of conditions", (*path, key))
        parts = tuple(compile_condition(c, (*path, key, i)) for i, c in enumerate(child))
        return _all_of(parts) if key == "all" else _any_of(parts)
    if key == "not":
        inner = compile_condition(child, (*path, key))
        return lambda f: not inner(f)
    return _compile_leaf(node, path)


type Gate = tuple[str, str, Any]  # (fact, "equals" | "in" | "present", value)


def _leaf_gate(fact: str, spec: Any) -> Gate | None:
    """What a leaf requires of its fact, in a form one lookup can test. Every operator but
    `exists: false` needs the fact present (an absent fact makes a leaf false)."""
    if fact not in CATALOGUE:
        return None
    scalar = CATALOGUE[fact].type != "list"
    if not isinstance(spec, dict):
        return (fact, "equals", spec) if scalar and not isinstance(spec, list) else None
    ((op, value),) = spec.items()
    if op == "in" and scalar and isinstance(value, list):
        return fact, "in", frozenset(value)
    if op == "exists" and value is not True:
        return None
    return fact, "present", None


def gate_of(node: Any) -> Gate | None:
    """A test the whole condition requires (of the tree itself, or of one of its top-level
    `all` items), so that rules sharing it are skipped with one lookup. The first leaf that
    gives one is taken: rule authors put the cheap, usually false test first."""
    ((key, child),) = node.items()
    items = child if key == "all" else [node] if key not in ("any", "not") else []
    for item in items:
        ((fact, spec),) = item.items()
        if fact not in ("all", "any", "not") and (gate := _leaf_gate(fact, spec)) is not None:
            return gate
    return None


def _all_of(parts: tuple[Predicate, ...]) -> Predicate:
    def all_of(facts: Facts) -> bool:
        for part in parts:  # noqa: SIM110 - no generator per call on the hot path
            if not part(facts):
                return False
        return True

    return all_of


def _any_of(parts: tuple[Predicate, ...]) -> Predicate:
    def any_of(facts: Facts) -> bool:
        for part in parts:  # noqa: SIM110 - no generator per call on the hot path
            if part(facts):
                return True
        return False

    return any_of


def count_leaves(node: Any) -> int:
    """How many facts a condition tests: the rule's specificity when findings are ranked."""
    if isinstance(node, dict) and len(node) == 1:
        ((key, child),) = node.items()
        if key in ("all", "any") and isinstance(child, list):
            return sum(count_leaves(c) for c in child)
        if key == "not":
            return count_leaves(child)
    return 1
