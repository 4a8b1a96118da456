"""Every shipped rule passes its own cases, and the cases runner itself can fail.

The per-rule tests also check what the cases file promises: each condition of `when` is
pinned by a case (replacing any one leaf by true or by false makes some case fail), and one
match case carries every fact the rule's text prints.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from authdoctor.cli import main as cli
from authdoctor.engine.rules.cases import cases_file
from authdoctor.engine.rules.cases import lint
from authdoctor.engine.rules.conditions import compile_condition
from authdoctor.engine.rules.ruleset import compile_rule
from authdoctor.engine.rules.ruleset import load_ruleset
from authdoctor.engine.rules.ruleset import rule_files
from authdoctor.util.paths import default_rule_packs
from authdoctor.util.yamldoc import YamlPath
from authdoctor.util.yamldoc import format_path
from authdoctor.util.yamldoc import load_yaml

RULE_FILES = rule_files(default_rule_packs())

type Case = dict[str, Any]
type Predicate = Callable[[Case], bool]


def _cases(rule_file: Path) -> tuple[list[Case], list[Case]]:
    data = load_yaml(cases_file(rule_file)).data
    return data.get("match") or [], data.get("no_match") or []


# Saved flows and users' authdoctor_disable lists name these ids: removing one is a break.
SHIPPED_IDS = {
    "audience-mismatch", "bearer-case-nonstandard", "bearer-case-rejected",
    "bearer-case-strict", "double-bearer-prefix", "insufficient-scope", "jwt-malformed",
    "jwt-truncated", "missing-authorization", "missing-bearer-prefix",
    "multiple-authorization-headers", "opaque-token-where-jwt-expected",
    "server-clock-offset", "server-reports-insufficient-scope", "token-expired",
    "token-expiring-soon", "token-in-query-string", "token-in-url", "token-issued-in-future",
    "token-not-yet-valid", "token-placeholder", "token-revoked", "token-stray-characters",
    "unexplained-auth-failure", "unknown-issuer", "wrong-auth-scheme", "wrong-environment",
    "wrong-header-name",
}  # fmt: skip


def test_the_shipped_rules_are_found() -> None:
    assert {p.stem for p in RULE_FILES} >= SHIPPED_IDS


def test_lint_of_all_shipped_rules_is_clean() -> None:
    report = lint(default_rule_packs())
    assert report.problems == ()
    assert report.rules == len(RULE_FILES)
    assert report.cases >= 5 * len(RULE_FILES)


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_rule_passes_its_cases(rule_file: Path) -> None:
    assert cases_file(rule_file).is_file(), f"{rule_file.stem} has no cases file"
    report = lint([rule_file])
    assert report.problems == ()
    assert report.rules == 1
    match, no_match = _cases(rule_file)
    assert len(match) >= 2, "at least 2 match cases"
    assert len(no_match) >= 3, "at least 3 no_match cases"
    assert report.cases == len(match) + len(no_match)


def _leaves(node: dict[str, Any], path: YamlPath) -> list[tuple[YamlPath, str]]:
    """(path, fact) of every leaf of a condition."""
    ((key, child),) = node.items()
    if key in ("all", "any"):
        return [leaf for i, c in enumerate(child) for leaf in _leaves(c, (*path, key, i))]
    if key == "not":
        return _leaves(child, (*path, key))
    return [(path, key)]


def _mutant(node: dict[str, Any], path: YamlPath, target: YamlPath, constant: bool) -> Predicate:
    """The condition with the leaf at `target` replaced by a constant."""
    if path == target:
        return lambda facts: constant
    ((key, child),) = node.items()
    if key in ("all", "any"):
        parts = [_mutant(c, (*path, key, i), target, constant) for i, c in enumerate(child)]
        combine = all if key == "all" else any
        return lambda facts: combine(p(facts) for p in parts)
    if key == "not":
        inner = _mutant(child, (*path, key), target, constant)
        return lambda facts: not inner(facts)
    return compile_condition(node, path)


def _unpinned(when: dict[str, Any], match: list[Case], no_match: list[Case]) -> list[str]:
    """Leaves that could be replaced by a constant without any case noticing."""
    labelled = [(case, True) for case in match] + [(case, False) for case in no_match]
    unpinned = []
    for leaf, fact in _leaves(when, ("when",)):
        for constant in (True, False):
            mutant = _mutant(when, ("when",), leaf, constant)
            if all(mutant(case) is expected for case, expected in labelled):
                unpinned.append(f"{format_path(leaf)} ({fact}) -> always {constant}")
    return unpinned


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_every_condition_is_pinned_by_a_case(rule_file: Path) -> None:
    match, no_match = _cases(rule_file)
    assert _unpinned(load_yaml(rule_file).data["when"], match, no_match) == []


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_a_match_case_has_every_fact_the_text_prints(rule_file: Path) -> None:
    rule = compile_rule(load_yaml(rule_file))
    templates = [rule.explain, *(s.text for s in rule.fix), *(s.command for s in rule.fix)]
    printed = {fact for t in templates if t is not None for fact in t.facts}
    match, _ = _cases(rule_file)
    missing = [sorted(printed - case.keys()) for case in match]
    assert min(missing, key=len) == [], "every match case lacks facts that the text prints"
    complete = next(case for case, gap in zip(match, missing, strict=True) if not gap)
    finding = rule.finding(complete)
    rendered = "\n".join([finding.explain, *finding.fix])
    assert [f for f in printed if f"<{f}>" in rendered] == []


# --- the runner itself -------------------------------------------------------------------

RULE = """\
id: demo-expired
title: Demo rule for the runner's own tests
cause: token_expired
severity: error
confidence: high
when:
  all:
    - response.auth_failed: true
    - token.expired: true
explain: >-
  The token expired at {{ token.exp_iso }}.
fix:
  - Refresh the token.
references:
  - https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4
"""

CASES = """\
# Cases for demo-expired.
match:
  - {response.auth_failed: true, token.expired: true, token.exp_iso: "2026-11-27 18:44:12 UTC"}
  - {response.auth_failed: true, token.expired: true}
no_match:
  - {response.auth_failed: false, token.expired: true}
  - {response.auth_failed: true, token.expired: false}
  - {response.auth_failed: true}
"""


def _write(tmp_path: Path, rule: str = RULE, cases: str | None = CASES) -> Path:
    rule_file = tmp_path / "demo-expired.yaml"
    rule_file.write_text(rule)
    if cases is not None:
        (tmp_path / "demo-expired.cases.yaml").write_text(cases)
    return rule_file


def test_runner_passes_correct_cases(tmp_path: Path) -> None:
    _write(tmp_path)
    report = lint([tmp_path])
    assert report.problems == ()
    assert (report.rules, report.cases) == (1, 5)


def test_runner_reports_a_match_case_that_does_not_match(tmp_path: Path) -> None:
    wrong = CASES.replace(
        "  - {response.auth_failed: true, token.expired: true}\n",
        "  - {response.auth_failed: true, token.expired: false}\n",
    )
    rule_file = _write(tmp_path, cases=wrong)
    (problem,) = lint([rule_file]).problems
    assert problem.endswith(
        "demo-expired.cases.yaml:4: 'demo-expired': match[1] should match but does not"
    )


def test_runner_reports_a_no_match_case_that_matches(tmp_path: Path) -> None:
    wrong = CASES.replace(
        "  - {response.auth_failed: true, token.expired: false}\n",
        "  - {response.auth_failed: true, token.expired: true}\n",
    )
    rule_file = _write(tmp_path, cases=wrong)
    (problem,) = lint([rule_file]).problems
    assert problem.endswith(
        "demo-expired.cases.yaml:7: 'demo-expired': no_match[1] should not match but does"
    )


def test_runner_reports_a_missing_cases_file(tmp_path: Path) -> None:
    rule_file = _write(tmp_path, cases=None)
    report = lint([tmp_path])
    assert report.problems == (
        f"{rule_file}: 'demo-expired': no cases file demo-expired.cases.yaml beside it",
    )
    assert (report.rules, report.cases) == (1, 0)


def test_runner_reports_a_missing_no_match_section(tmp_path: Path) -> None:
    only_match = CASES.split("no_match:")[0]
    _write(tmp_path, cases=only_match)
    (problem,) = lint([tmp_path]).problems
    assert problem.endswith(
        "demo-expired.cases.yaml: 'demo-expired': needs at least one 'no_match' case"
    )


def test_runner_reports_an_unknown_fact_with_a_suggestion(tmp_path: Path) -> None:
    typo = CASES.replace(
        "{response.auth_failed: true}", "{response.auth_failed: true, token.expird: true}"
    )
    _write(tmp_path, cases=typo)
    (problem,) = lint([tmp_path]).problems
    assert problem.endswith(
        "demo-expired.cases.yaml:8: unknown fact 'token.expird'; did you mean 'token.expired'?"
    )


def test_runner_reports_a_value_of_the_wrong_type(tmp_path: Path) -> None:
    wrong_type = CASES.replace("{response.auth_failed: true}", '{response.auth_failed: "yes"}')
    _write(tmp_path, cases=wrong_type)
    (problem,) = lint([tmp_path]).problems
    assert problem.endswith(
        "demo-expired.cases.yaml:8: 'response.auth_failed' is a bool, not 'yes'"
    )


def test_runner_reports_keys_out_of_order(tmp_path: Path) -> None:
    swapped = RULE.replace(
        "title: Demo rule for the runner's own tests\ncause: token_expired\n",
        "cause: token_expired\ntitle: Demo rule for the runner's own tests\n",
    )
    rule_file = _write(tmp_path, rule=swapped)
    (problem,) = lint([tmp_path]).problems
    assert problem == (
        f"{rule_file}:1: 'demo-expired': keys should be in the order "
        "id, title, cause, severity, confidence, when, explain, fix, references"
    )


def test_pinning_check_finds_a_condition_no_case_notices(tmp_path: Path) -> None:
    rule_file = _write(tmp_path)
    when = load_yaml(rule_file).data["when"]
    match, no_match = _cases(rule_file)
    assert _unpinned(when, match, no_match) == []
    without_auth_failed_false = no_match[1:]
    assert _unpinned(when, match, without_auth_failed_false) == [
        "when.all[0] (response.auth_failed) -> always True"
    ]
    assert _unpinned(when, [], no_match) == [
        "when.all[0] (response.auth_failed) -> always False",
        "when.all[1] (token.expired) -> always False",
    ]


def test_cli_lint_exit_status_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _write(tmp_path)
    assert cli.main(["rules", "lint", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "ok: 1 rules, 5 cases, 0 problems\n"
    _write(tmp_path, cases=CASES.replace("token.expired: false}", "token.expired: true}"))
    assert cli.main(["rules", "lint", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "FAILED: 1 rules, 5 cases, 1 problems\n"
    assert "no_match[1] should not match but does" in captured.err


def test_gated_evaluation_finds_exactly_what_testing_every_rule_finds() -> None:
    """The ruleset skips groups of rules by the `fact: value` they share; on every case of
    every shipped rule that must select the same rules as testing each rule in turn."""
    ruleset = load_ruleset(default_rule_packs())
    assert any(plan.gated for plan in ruleset.by_kind.values())
    every_case = [case for path in RULE_FILES for group in _cases(path) for case in group]
    for case in every_case:
        for kind, plan in ruleset.by_kind.items():
            everything = {r.id for r in ruleset.rules if r.applies_to == kind and r.when(case)}
            assert {r.id for r in plan.matching(case)} == everything, case
