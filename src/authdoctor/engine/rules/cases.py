"""Rule test cases, in the manner of `semgrep test`: beside each rule, facts that must match
and facts that must not, plus a check of the house style (key order, cases present)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authdoctor.engine.facts.catalogue import CATALOGUE
from authdoctor.engine.facts.catalogue import PYTHON_TYPES
from authdoctor.engine.rules.ruleset import CASES_SUFFIX
from authdoctor.engine.rules.ruleset import Rule
from authdoctor.engine.rules.ruleset import compile_rule
from authdoctor.engine.rules.ruleset import rule_files
from authdoctor.errors import LoadError
from authdoctor.util import YamlDoc
from authdoctor.util import did_you_mean
from authdoctor.util import load_yaml

KEY_ORDER = (
    "id", "title", "cause", "severity", "confidence", "applies_to", "when", "explain", "fix",
    "caveats", "suppresses", "references", "tags",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LintReport:
    rules: int
    cases: int
    problems: tuple[str, ...]


def cases_file(rule_file: Path) -> Path:
    return rule_file.with_name(rule_file.stem + CASES_SUFFIX)


def _check_facts(doc: YamlDoc, path: tuple[str | int, ...], facts: Any) -> dict[str, Any]:
    if not isinstance(facts, dict):
        raise LoadError("a case is a mapping of fact: value", file=doc.file, line=doc.line_of(path))
    for name, value in facts.items():
        if name not in CATALOGUE:
            hint = did_you_mean(name, CATALOGUE)
            raise LoadError(
                f"unknown fact '{name}'{hint}", file=doc.file, line=doc.line_of((*path, name))
            )
        spec_type = CATALOGUE[name].type
        wrong_bool = isinstance(value, bool) and spec_type != "bool"
        if wrong_bool or not isinstance(value, PYTHON_TYPES[spec_type]):
            raise LoadError(
                f"'{name}' is a {spec_type}, not {value!r}",
                file=doc.file,
                line=doc.line_of((*path, name)),
            )
    return facts


def run_cases(rule: Rule, doc: YamlDoc) -> tuple[int, list[str]]:
    """(number of cases, problems) for one rule's cases document."""
    data = doc.data if isinstance(doc.data, dict) else {}
    problems: list[str] = []
    count = 0
    for key, expected in (("match", True), ("no_match", False)):
        cases = data.get(key) or []
        if not cases:
            problems.append(f"{doc.file}: '{rule.id}': needs at least one '{key}' case")
        for index, case in enumerate(cases):
            facts = _check_facts(doc, (key, index), case)
            count += 1
            if rule.when(facts) is not expected:
                verb = "should match but does not" if expected else "should not match but does"
                problems.append(
                    f"{doc.file}:{doc.line_of((key, index))}: '{rule.id}': {key}[{index}] {verb}"
                )
            else:
                rule.finding(facts)  # rendering must not fail on partial facts
    return count, problems


def _key_order(doc: YamlDoc, rule_id: str) -> list[str]:
    keys = list(doc.data)
    wanted = [k for k in KEY_ORDER if k in keys]
    if keys == wanted:
        return []
    return [f"{doc.file}:1: '{rule_id}': keys should be in the order {', '.join(wanted)}"]


def _cases_files(paths: Iterable[Path]) -> set[Path]:
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(path.rglob(f"*{CASES_SUFFIX}"))
    return found


def lint(paths: Iterable[Path]) -> LintReport:
    """Compile every rule, check its style and run its cases; collect every problem."""
    problems: list[str] = []
    rules = cases = 0
    files = rule_files(paths)
    for orphan in sorted(_cases_files(paths) - {cases_file(f) for f in files}):
        problems.append(f"{orphan}: a cases file with no rule file beside it (renamed rule?)")
    for file in files:
        try:
            doc = load_yaml(file)
            rule = compile_rule(doc)
            rules += 1
            problems += _key_order(doc, rule.id)
            case_path = cases_file(file)
            if not case_path.exists():
                problems.append(f"{file}: '{rule.id}': no cases file {case_path.name} beside it")
                continue
            count, found = run_cases(rule, load_yaml(case_path))
            cases += count
            problems += found
        except LoadError as e:
            problems.append(str(e))
    return LintReport(rules, cases, tuple(problems))
