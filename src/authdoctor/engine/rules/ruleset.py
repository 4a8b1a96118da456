"""Rule packs: load YAML rules, check them, compile them once, evaluate them per flow.

Loading runs in stages (YAML with duplicate keys rejected -> JSON Schema envelope ->
compile conditions and templates against the fact catalogue -> ruleset checks), and every
error names file, line, rule and field.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from authdoctor.engine.causes import ALL_CAUSES
from authdoctor.engine.rules.conditions import ConditionError
from authdoctor.engine.rules.conditions import Gate
from authdoctor.engine.rules.conditions import Predicate
from authdoctor.engine.rules.conditions import compile_condition
from authdoctor.engine.rules.conditions import count_leaves
from authdoctor.engine.rules.conditions import gate_of
from authdoctor.engine.rules.templates import Template
from authdoctor.engine.rules.templates import TemplateError
from authdoctor.engine.rules.templates import compile_template
from authdoctor.errors import LoadError
from authdoctor.util import YamlDoc
from authdoctor.util import check_schema
from authdoctor.util import did_you_mean
from authdoctor.util import format_path
from authdoctor.util import load_yaml

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
CONFIDENCE_RANK = {"high": 3, "medium": 2, "low": 1}
CASES_SUFFIX = ".cases.yaml"


@dataclass(frozen=True, slots=True)
class FixStep:
    text: Template
    command: Template | None

    def render(self, facts: Mapping[str, Any]) -> str:
        text = self.text.render(facts)
        return text if self.command is None else f"{text}\n$ {self.command.render(facts)}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a rule says of any flow it matches, whatever the flow's facts: the cause, how bad
    and how sure. A Finding carries its rule's verdict (diagnosis may soften its severity)."""

    cause: str
    severity: str
    confidence: str
    title: str
    references: tuple[str, ...]
    specificity: int


@dataclass(frozen=True, slots=True)
class Finding(Verdict):
    """One rule that matched one flow, with its text rendered from the flow's facts."""

    rule: str
    explain: str
    fix: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON-serialisable form stored in flow.metadata (docs/architecture.md,
        "Contracts")."""
        return {
            "rule": self.rule,
            "cause": self.cause,
            "severity": self.severity,
            "confidence": self.confidence,
            "title": self.title,
            "explain": self.explain,
            "fix": list(self.fix),
            "references": list(self.references),
        }


@dataclass(frozen=True, slots=True)
class Rule(Verdict):
    id: str
    when: Predicate
    explain: Template
    fix: tuple[FixStep, ...]
    suppresses: frozenset[str]
    file: str
    applies_to: str = "api"
    gate: Gate | None = None

    def finding(self, facts: Mapping[str, Any]) -> Finding:
        return Finding(
            rule=self.id,
            cause=self.cause,
            severity=self.severity,
            confidence=self.confidence,
            title=self.title,
            explain=" ".join(self.explain.render(facts).split()),
            fix=tuple(step.render(facts) for step in self.fix),
            references=self.references,
            specificity=self.specificity,
        )


_ABSENT = object()


@dataclass(frozen=True, slots=True)
class _Plan:
    """The rules of one request kind: those to test always, and those grouped by a test of
    one fact they all require (conditions.gate_of), so a healthy flow skips a group with one
    lookup."""

    always: tuple[Rule, ...]
    gated: tuple[tuple[str, str, Any, tuple[Rule, ...]], ...]

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> _Plan:
        always: list[Rule] = []
        groups: dict[tuple[str, str, Any, type], list[Rule]] = {}
        for rule in rules:
            if rule.gate is None:
                always.append(rule)
            else:
                fact, test, value = rule.gate
                groups.setdefault((fact, test, value, type(value)), []).append(rule)
        gated = tuple((f, test, v, tuple(g)) for (f, test, v, _), g in groups.items())
        return cls(tuple(always), gated)

    def matching(self, facts: Mapping[str, Any]) -> list[Rule]:
        matched = [rule for rule in self.always if rule.when(facts)]
        for fact, test, value, rules in self.gated:
            # the same tests as the rules' own leaves (conditions.py: equals, in, presence)
            if (found := facts.get(fact, _ABSENT)) is _ABSENT:
                continue
            if test == "equals" and found != value:
                continue
            if test == "in" and found not in value:
                continue
            matched.extend(rule for rule in rules if rule.when(facts))
        return matched


@dataclass(frozen=True, slots=True)
class Ruleset:
    rules: tuple[Rule, ...]
    files: tuple[Path, ...] = ()
    by_kind: dict[str, _Plan] = field(init=False)

    def __post_init__(self) -> None:
        kinds = {rule.applies_to for rule in self.rules}
        plans = {k: _Plan.of(r for r in self.rules if r.applies_to == k) for k in kinds}
        object.__setattr__(self, "by_kind", plans)

    def evaluate(self, facts: Mapping[str, Any]) -> list[Finding]:
        """Every matching rule's finding, minus those a more specific match suppresses.
        Their order is not meaningful: diagnosis ranks them."""
        plan = self.by_kind.get(facts.get("request.kind", "api"))
        matched = plan.matching(facts) if plan else []
        suppressed = {target for rule in matched for target in rule.suppresses}
        return [rule.finding(facts) for rule in matched if rule.id not in suppressed]

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def _template(doc: YamlDoc, path: tuple[str | int, ...], text: str, rule_id: str, quote: bool):
    try:
        return compile_template(text, quote=quote)
    except TemplateError as e:
        raise LoadError(
            str(e), file=doc.file, line=doc.line_of(path), item=rule_id, field=format_path(path)
        ) from None


def _fix_step(doc: YamlDoc, index: int, step: Any, rule_id: str) -> FixStep:
    path: tuple[str | int, ...] = ("fix", index)
    if isinstance(step, str):
        return FixStep(_template(doc, path, step, rule_id, quote=False), None)
    text = _template(doc, (*path, "text"), step["text"], rule_id, quote=False)
    command = _template(doc, (*path, "command"), " ".join(step["command"].split()), rule_id, True)
    return FixStep(text, command)


def compile_rule(doc: YamlDoc) -> Rule:
    """Check and compile one rule document."""
    data = doc.data
    item = data.get("id") if isinstance(data, dict) else None
    if not isinstance(data, dict):
        raise LoadError("a rule file holds one mapping", file=doc.file, line=1)
    check_schema(doc, "rule", item if isinstance(item, str) else None)
    rule_id = data["id"]

    def fail(message: str, path: tuple[str | int, ...]) -> LoadError:
        line = doc.line_of(path)
        return LoadError(message, file=doc.file, line=line, item=rule_id, field=format_path(path))

    if Path(doc.file).name != f"{rule_id}.yaml":
        raise fail(f"the id must equal the file name ({Path(doc.file).stem})", ("id",))
    if data["cause"] not in ALL_CAUSES:
        raise fail(
            f"unknown cause '{data['cause']}'{did_you_mean(data['cause'], ALL_CAUSES)}", ("cause",)
        )
    try:
        when = compile_condition(data["when"])
    except ConditionError as e:
        raise fail(str(e), e.path) from None
    return Rule(
        id=rule_id,
        title=data["title"],
        cause=data["cause"],
        severity=data["severity"],
        confidence=data["confidence"],
        when=when,
        explain=_template(doc, ("explain",), data["explain"], rule_id, quote=False),
        fix=tuple(_fix_step(doc, i, s, rule_id) for i, s in enumerate(data["fix"])),
        references=tuple(data["references"]),
        suppresses=frozenset(data.get("suppresses", ())),
        specificity=count_leaves(data["when"]),
        file=doc.file,
        applies_to=data.get("applies_to", "api"),
        gate=gate_of(data["when"]),
    )


# Conditions that only hold when the server refused the request (response.auth_failed is
# true for 401 and 403), as a rule's whole `when` or the first item of its `all`.
def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Rule files under the given files or directories (cases files excluded), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.rglob("*.yaml") if not p.name.endswith(CASES_SUFFIX))
        elif path.exists():
            found.append(path)
        else:
            raise LoadError("no such file or directory", file=str(path))
    return sorted(set(found))


def load_ruleset(paths: Iterable[Path], disabled: Iterable[str] = ()) -> Ruleset:
    """Load every rule under `paths`; raise LoadError on the first problem."""
    files = rule_files(paths)
    rules: dict[str, Rule] = {}
    docs: dict[str, YamlDoc] = {}
    for file in files:
        doc = load_yaml(file)
        rule = compile_rule(doc)
        if rule.id in rules:
            raise LoadError(
                f"duplicate rule id (also in {rules[rule.id].file})",
                file=str(file),
                line=doc.line_of(("id",)),
                item=rule.id,
                field="id",
            )
        rules[rule.id] = rule
        docs[rule.id] = doc
    for rule in rules.values():
        for target in sorted(rule.suppresses - rules.keys()):
            index = list(docs[rule.id].data["suppresses"]).index(target)
            raise LoadError(
                f"suppresses unknown rule '{target}'{did_you_mean(target, rules)}",
                file=rule.file,
                line=docs[rule.id].line_of(("suppresses", index)),
                item=rule.id,
                field=f"suppresses[{index}]",
            )
    off = set(disabled)
    for rule_id in sorted(off - rules.keys()):
        raise LoadError(
            f"cannot disable unknown rule '{rule_id}'{did_you_mean(rule_id, rules)}",
            file="authdoctor_disable",
        )
    return Ruleset(tuple(r for r in rules.values() if r.id not in off), tuple(files))
