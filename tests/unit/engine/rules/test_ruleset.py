"""The rule engine: conditions, templates, YAML loading, rule packs and API profiles.

Every load error must say where the problem is: file:line, the rule (or profile) id and
the field path, so the messages are compared in full.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import jwt
import pytest

from authdoctor.engine.facts import extract_facts
from authdoctor.engine.facts.catalogue import CATALOGUE
from authdoctor.engine.rules.cases import cases_file
from authdoctor.engine.rules.conditions import ConditionError
from authdoctor.engine.rules.conditions import compile_condition
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.rules.ruleset import load_ruleset
from authdoctor.engine.rules.templates import TemplateError
from authdoctor.engine.rules.templates import compile_template
from authdoctor.engine.settings import Settings
from authdoctor.errors import LoadError
from authdoctor.profiles.endpoints import EndpointError
from authdoctor.profiles.endpoints import EndpointTable
from authdoctor.profiles.profile import load_profile
from authdoctor.util.deferred import Deferred
from authdoctor.util.paths import default_rule_packs
from authdoctor.util.yamldoc import parse_yaml
from tests.unit.authflows import flow
from tests.unit.authflows import response

# --- conditions ------------------------------------------------------------------------

OPERATOR_CASES = [
    # (condition, facts, expected)
    ({"token.expired": True}, {"token.expired": True}, True),
    ({"token.expired": True}, {"token.expired": False}, False),
    ({"token.expired": True}, {}, False),
    ({"response.status": {"equals": 401}}, {"response.status": 401}, True),
    ({"response.status": {"equals": 401}}, {"response.status": 403}, False),
    ({"response.status": {"not_equals": 401}}, {"response.status": 403}, True),
    ({"response.status": {"not_equals": 401}}, {"response.status": 401}, False),
    ({"response.status": {"not_equals": 401}}, {}, False),
    ({"response.status": {"in": [401, 403]}}, {"response.status": 403}, True),
    ({"response.status": {"in": [401, 403]}}, {"response.status": 404}, False),
    ({"response.status": {"in": [401, 403]}}, {}, False),
    ({"response.status": {"not_in": [401, 403]}}, {"response.status": 404}, True),
    ({"response.status": {"not_in": [401, 403]}}, {"response.status": 401}, False),
    ({"response.status": {"not_in": [401, 403]}}, {}, False),
    ({"request.auth_scheme": {"in": ["basic", "token"]}}, {"request.auth_scheme": "token"}, True),
    ({"token.scopes": {"contains": "read"}}, {"token.scopes": ["read", "write"]}, True),
    ({"token.scopes": {"contains": "read"}}, {"token.scopes": ["write", "reader"]}, False),
    ({"token.scopes": {"contains": "read"}}, {}, False),
    ({"request.path": {"contains": "/devices"}}, {"request.path": "/v2/devices/7"}, True),
    ({"request.path": {"contains": "/devices"}}, {"request.path": "/v2/logs"}, False),
    ({"request.auth_scheme_raw": {"matches": "^[Bb]earer$"}},
     {"request.auth_scheme_raw": "bearer"}, True),
    ({"request.auth_scheme_raw": {"matches": "^[Bb]earer$"}},
     {"request.auth_scheme_raw": "BEARER"}, False),
    ({"request.auth_scheme_raw": {"matches": "^[Bb]earer$"}}, {}, False),
    ({"request.path": {"matches": "devices"}}, {"request.path": "/v2/devices"}, True),
    ({"token.fingerprint": {"exists": True}}, {"token.fingerprint": "sha256:0"}, True),
    ({"token.fingerprint": {"exists": True}}, {}, False),
    ({"token.fingerprint": {"exists": False}}, {}, True),
    ({"token.fingerprint": {"exists": False}}, {"token.fingerprint": "sha256:0"}, False),
    ({"token.expires_in_s": {"gt": 0}}, {"token.expires_in_s": 1}, True),
    ({"token.expires_in_s": {"gt": 0}}, {"token.expires_in_s": 0}, False),
    ({"token.expires_in_s": {"gte": 0}}, {"token.expires_in_s": 0}, True),
    ({"token.expires_in_s": {"gte": 0}}, {"token.expires_in_s": -1}, False),
    ({"token.expires_in_s": {"lt": 0}}, {"token.expires_in_s": -1}, True),
    ({"token.expires_in_s": {"lt": 0}}, {"token.expires_in_s": 0}, False),
    ({"token.expires_in_s": {"lte": 0}}, {"token.expires_in_s": 0}, True),
    ({"token.expires_in_s": {"lte": 0}}, {"token.expires_in_s": 1}, False),
    ({"token.expires_in_s": {"lt": 0}}, {}, False),
    ({"token.expires_in_s": {"gte": 0}}, {}, False),
    ({"not": {"token.expired": True}}, {}, True),
    ({"not": {"token.expired": True}}, {"token.expired": True}, False),
    ({"not": {"response.status": {"gt": 400}}}, {}, True),
]  # fmt: skip


@pytest.mark.parametrize(("condition", "facts", "expected"), OPERATOR_CASES)
def test_operators(condition: dict, facts: dict, expected: bool) -> None:
    assert compile_condition(condition)(facts) is expected


NESTED = {
    "all": [
        {"response.auth_failed": True},
        {
            "any": [
                {"token.expired": True},
                {"not": {"token.present": True}},
                {"all": [{"response.status": 403}, {"token.scopes": {"contains": "admin"}}]},
            ]
        },
    ]
}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"response.auth_failed": True, "token.expired": True}, True),
        ({"response.auth_failed": True}, True),  # token.present absent -> not -> true
        ({"response.auth_failed": True, "token.present": True}, False),
        ({"response.auth_failed": False, "token.expired": True}, False),
        ({}, False),
        (
            {
                "response.auth_failed": True,
                "token.present": True,
                "response.status": 403,
                "token.scopes": ["admin"],
            },
            True,
        ),
        (
            {
                "response.auth_failed": True,
                "token.present": True,
                "response.status": 401,
                "token.scopes": ["admin"],
            },
            False,
        ),
    ],
)
def test_nested_all_any_not(facts: dict, expected: bool) -> None:
    assert compile_condition(NESTED)(facts) is expected


COMPILE_ERRORS = [
    # (condition, message, path)
    pytest.param({"token.expired": "yes"}, "value 'yes' does not fit a fact of type bool",
                 ("when", "token.expired"), id="bool-fact-given-str"),
    pytest.param({"response.status": {"gt": "x"}}, "value 'x' does not fit a fact of type int",
                 ("when", "response.status", "gt"), id="gt-given-str"),
    pytest.param({"response.status": {"gt": True}}, "value True does not fit a fact of type int",
                 ("when", "response.status", "gt"), id="gt-given-bool"),
    pytest.param({"request.method": {"lt": "GET"}},
                 "lt needs a number fact; 'request.method' is str",
                 ("when", "request.method", "lt"), id="lt-on-str-fact"),
    pytest.param({"request.path": {"matches": "("}},
                 "bad regular expression: missing ), unterminated subpattern at position 0",
                 ("when", "request.path", "matches"), id="bad-regex"),
    pytest.param({"response.status": {"matches": "40."}},
                 "matches takes a regular expression and a str fact",
                 ("when", "response.status", "matches"), id="matches-on-int"),
    pytest.param({"response.status": {"gtt": 3}}, "unknown operator 'gtt'; did you mean 'gt'?",
                 ("when", "response.status", "gtt"), id="unknown-operator"),
    pytest.param({"token.expird": True},
                 "unknown fact 'token.expird'; did you mean 'token.expired'?",
                 ("when",), id="unknown-fact"),
    pytest.param({"all": []}, "all takes a non-empty list of conditions", ("when", "all"),
                 id="empty-all"),
    pytest.param({"any": {"token.expired": True}}, "any takes a non-empty list of conditions",
                 ("when", "any"), id="any-not-a-list"),
    pytest.param({"token.expired": True, "token.present": True},
                 "a condition is a mapping with exactly one key", ("when",),
                 id="two-keys-in-one-leaf"),
    pytest.param({"response.status": {"gt": 1, "lt": 5}},
                 "an operator mapping holds exactly one operator",
                 ("when", "response.status"), id="two-operators-in-one-leaf"),
    pytest.param({"all": [{"token.expired": True}, {"token.expird": True}]},
                 "unknown fact 'token.expird'; did you mean 'token.expired'?",
                 ("when", "all", 1), id="nested-path"),
    pytest.param({"response.status": {"in": []}}, "in takes a non-empty list",
                 ("when", "response.status", "in"), id="in-empty"),
    pytest.param({"response.status": {"in": [401, "403"]}},
                 "value '403' does not fit a fact of type int",
                 ("when", "response.status", "in"), id="in-wrong-type"),
    pytest.param({"token.fingerprint": {"exists": "yes"}}, "exists takes true or false",
                 ("when", "token.fingerprint", "exists"), id="exists-not-bool"),
    pytest.param([{"token.expired": True}], "a condition is a mapping with exactly one key",
                 ("when",), id="list-at-top"),
    pytest.param({"request.url": {"matches": "/v2/"}},
                 "'request.url' is text for explanations only; test the facts it is made from",
                 ("when",), id="text-only-fact"),
    pytest.param({"response.summary": "401"},
                 "'response.summary' is text for explanations only; test the facts it is made from",
                 ("when",), id="text-only-equals"),
]  # fmt: skip


@pytest.mark.parametrize(("condition", "message", "path"), COMPILE_ERRORS)
def test_compile_errors(condition: Any, message: str, path: tuple) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(condition)
    assert str(caught.value) == message
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"request.method": {"equal": "GET"}}, "unknown operator 'equal'; did you mean 'equals'?"),
        ({"token.expired": {"equls": True}}, "unknown operator 'equls'; did you mean 'equals'?"),
    ],
)
def test_unknown_operator_on_any_fact_type(condition: dict, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(condition)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "condition",
    [{"token.scopes": {"in": ["read", "admin"]}}, {"token.scopes": "read"}],
    ids=["in", "equals"],
)
def test_list_fact_with_scalar_operator_is_rejected_or_element_wise(condition: dict) -> None:
    try:
        predicate = compile_condition(condition)
    except ConditionError:
        return  # rejected when the rule loads: fine
    assert predicate({"token.scopes": ["read", "write"]}) is True
    assert predicate({"token.scopes": ["write"]}) is False


# --- templates -------------------------------------------------------------------------

RENDER_CASES = [
    # (template, facts, rendered)
    ("expired {{ token.expired_ago }} ago", {"token.expired_ago": "5 min"}, "expired 5 min ago"),
    ("{{token.alg}}/{{ token.kid }}", {"token.alg": "RS256", "token.kid": "k1"}, "RS256/k1"),
    ("status {{ response.status }}", {"response.status": 401}, "status 401"),
    ("scopes: {{ token.scopes }}", {"token.scopes": ["a", "b", "c"]}, "scopes: a, b, c"),
    ('need {{ scope.required_any | join(" or ") }}', {"scope.required_any": ["read", "admin"]},
     "need read or admin"),
    ("need {{ scope.required_any | join(' or ') }}", {"scope.required_any": ["read", "admin"]},
     "need read or admin"),
    ("ask for {{ scope.required_any | first }}", {"scope.required_any": ["read", "admin"]},
     "ask for read"),
    ("ask for {{ scope.required_any | first }}", {"scope.required_any": []}, "ask for "),
    ("expired: {{ token.expired }}", {"token.expired": True}, "expired: yes"),
    ("expired: {{ token.expired }}", {"token.expired": False}, "expired: no"),
    ("alg {{ token.alg }}", {}, "alg <token.alg>"),
    ("alg {{ token.alg }}", {"token.alg": None}, "alg <token.alg>"),
    ("no placeholders at all", {}, "no placeholders at all"),
    ("sub {{ token.sub }}", {"token.sub": "{{ token.alg }}", "token.alg": "RS256"},
     "sub {{ token.alg }}"),  # values are never expanded again
    ("{{ token.sub }}", {"token.sub": "x" * 400}, "x" * 299 + "…"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "facts", "rendered"), RENDER_CASES)
def test_template_render(text: str, facts: dict, rendered: str) -> None:
    assert compile_template(text).render(facts) == rendered


def test_template_lists_its_facts() -> None:
    template = compile_template("{{ token.alg }} and {{ token.kid }} and {{ token.alg }}")
    assert template.facts == ("token.alg", "token.kid", "token.alg")


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("x; rm -rf ~", "curl 'x; rm -rf ~'"),
        ("$(id)", "curl '$(id)'"),
        ("it's", "curl 'it'\"'\"'s'"),
        ("/v2/devices", "curl /v2/devices"),
    ],
)
def test_command_template_quotes_values(value: str, rendered: str) -> None:
    template = compile_template("curl {{ request.path }}", quote=True)
    assert template.render({"request.path": value}) == rendered


def test_command_template_quotes_absent_fact_marker() -> None:
    template = compile_template("echo {{ token.alg }}", quote=True)
    assert template.render({}) == "echo '<token.alg>'"


def test_plain_template_does_not_quote() -> None:
    assert compile_template("{{ request.path }}").render({"request.path": "x; y"}) == "x; y"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ token.expird }}", "unknown fact 'token.expird'; did you mean 'token.expired'?"),
        ("{{ nothing.like.this }}", "unknown fact 'nothing.like.this'"),
        ("{{ token.alg | upper }}", "unknown filter 'upper' (use join(\", \") or first)"),
        ("{{ token.scopes | join(, ) }}", "unknown filter 'join(, )' (use join(\", \") or first)"),
        ("{{ token.alg", "unbalanced '{{' or '}}'"),
        ("token.alg }}", "unbalanced '{{' or '}}'"),
        ("{{ token.alg }} }}", "unbalanced '{{' or '}}'"),
        ("{{ token.alg }} and {{ token.kid", "unbalanced '{{' or '}}'"),
    ],
)
def test_template_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        compile_template(text)
    assert str(caught.value) == message


# --- YAML ------------------------------------------------------------------------------


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(LoadError) as caught:
        parse_yaml("a: 1\nb:\n  c: 2\n  c: 3\n", "f.yaml")
    assert caught.value.line == 4
    assert str(caught.value) == (
        "f.yaml:4: duplicate key 'c' (first at line 3); YAML would silently keep only the last one"
    )


def test_syntax_error_hints_at_block_scalar_for_colon_space() -> None:
    with pytest.raises(LoadError) as caught:
        parse_yaml("id: x\ntitle: Token expired: refresh it\n", "r.yaml")
    assert str(caught.value) == (
        "r.yaml:2: YAML syntax error: mapping values are not allowed here "
        "(a value containing ': ' must be quoted or written as a '>-' block)"
    )


def test_other_syntax_error_names_the_line_without_the_hint() -> None:
    with pytest.raises(LoadError) as caught:
        parse_yaml("a: 1\nb: [1\n", "r.yaml")
    assert caught.value.line == 3
    assert ">-" not in str(caught.value)
    assert str(caught.value).startswith("r.yaml:3: YAML syntax error: ")


def test_complex_key_is_a_load_error() -> None:
    with pytest.raises(LoadError) as caught:
        parse_yaml("id: x\n? [a, b]\n: 1\n", "r.yaml")
    assert caught.value.file == "r.yaml"
    assert caught.value.line == 2


def test_line_of_nested_paths() -> None:
    doc = parse_yaml(
        textwrap.dedent(
            """\
            id: x
            when:
              all:
                - token.expired: true
                - response.status:
                    gt: 400
            fix:
              - one
              - text: two
                command: echo
            """
        ),
        "r.yaml",
    )
    assert doc.line_of(("id",)) == 1
    assert doc.line_of(("when", "all", 0, "token.expired")) == 4
    assert doc.line_of(("when", "all", 1, "response.status", "gt")) == 6
    assert doc.line_of(("when", "all", 1, "response.status", "nope")) == 6  # nearest known
    assert doc.line_of(("fix", 1, "command")) == 10
    assert doc.line_of(("fix", 7)) == 8  # the list itself starts on the first item's line
    assert doc.line_of(("when",)) == 3  # a block value starts on the line after its key
    assert doc.line_of(("nothing",)) == 1
    assert doc.data["when"]["all"][1] == {"response.status": {"gt": 400}}


def test_empty_document() -> None:
    doc = parse_yaml("", "empty.yaml")
    assert doc.data is None
    assert doc.lines == {}
    assert doc.line_of(("x",)) == 1


# --- rule files ------------------------------------------------------------------------

RULE = """\
id: {id}
title: A test rule
cause: {cause}
severity: {severity}
confidence: high
when:
  {when}
explain: The token expired {{{{ token.expired_ago }}}} ago.
fix:
  - Refresh it.
references:
  - https://example.com/x
"""


def _rule(
    id: str = "my-rule",
    *,
    cause: str = "token_expired",
    severity: str = "error",
    when: str = "token.expired: true",
    extra: str = "",
) -> str:
    return RULE.format(id=id, cause=cause, severity=severity, when=when) + extra


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


COMMAND_STEP = "  - text: Run\n    command: curl {{ token.bogus }}"
NESTED_TYPO = "all:\n    - token.expired: true\n    - token.expird: true"
LOAD_ERRORS = [
    # (file name, text, expected message after "<path>:")
    pytest.param("other.yaml", _rule(),
                 "1: 'my-rule': id: the id must equal the file name (other)", id="id-not-file"),
    pytest.param("my-rule.yaml", _rule(cause="token_expird"),
                 "3: 'my-rule': cause: unknown cause 'token_expird'; did you mean 'token_expired'?",
                 id="unknown-cause"),
    pytest.param("my-rule.yaml", _rule(severity="urgent"),
                 "4: 'my-rule': severity: 'urgent' is not one of ['error', 'warning', 'info']",
                 id="severity-urgent"),
    pytest.param("my-rule.yaml", _rule().replace("- Refresh it.", "- Refresh it: now"),
                 "10: 'my-rule': fix[0]: {'Refresh it': 'now'} is not a valid entry (a text "
                 "containing ': ' became a mapping: quote it or write it as a '>-' block)",
                 id="fix-step-became-mapping"),
    pytest.param("my-rule.yaml", _rule().replace("token.expired_ago", "token.expired_agoo"),
                 "8: 'my-rule': explain: unknown fact 'token.expired_agoo'; did you mean "
                 "'token.expired_ago'?",
                 id="unknown-template-fact"),
    pytest.param("my-rule.yaml",
                 _rule().replace("  - Refresh it.", "  - Refresh it.\n" + COMMAND_STEP),
                 "12: 'my-rule': fix[1].command: unknown fact 'token.bogus'; "
                 "did you mean 'token.sub'?",
                 id="unknown-fact-in-command"),
    pytest.param("my-rule.yaml", _rule(when='token.expired: "yes"'),
                 "7: 'my-rule': when.token.expired: value 'yes' does not fit a fact of type bool",
                 id="when-type-error"),
    pytest.param("my-rule.yaml", _rule(when=NESTED_TYPO),
                 "9: 'my-rule': when.all[1]: unknown fact 'token.expird'; did you mean "
                 "'token.expired'?",
                 id="when-nested-unknown-fact"),
    pytest.param("my-rule.yaml", _rule(extra="colour: red\n"),
                 "1: 'my-rule': unknown field: Additional properties are not allowed "
                 "('colour' was unexpected)",
                 id="unknown-field"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "message"), LOAD_ERRORS)
def test_rule_load_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = _write(tmp_path / "pack", name, text)
    with pytest.raises(LoadError) as caught:
        load_ruleset([tmp_path / "pack"])
    assert str(caught.value) == f"{path}:{message}"


def test_suppressing_an_unknown_rule(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    _write(pack, "token-expired-x.yaml", _rule("token-expired-x"))
    path = _write(pack, "my-rule.yaml", _rule(extra="suppresses: [token-expired-y]\n"))
    with pytest.raises(LoadError) as caught:
        load_ruleset([pack])
    message = str(caught.value)
    assert message.startswith(f"{path}")
    assert "'my-rule'" in message
    assert "suppresses" in message
    assert message.endswith(
        "suppresses unknown rule 'token-expired-y'; did you mean 'token-expired-x'?"
    )


def test_suppressing_an_unknown_rule_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "pack", "my-rule.yaml", _rule(extra="suppresses: [nope]\n"))
    with pytest.raises(LoadError) as caught:
        load_ruleset([tmp_path / "pack"])
    assert str(caught.value).startswith(f"{path}:13: 'my-rule': suppresses")


def test_disabling_an_unknown_rule(tmp_path: Path) -> None:
    _write(tmp_path / "pack", "my-rule.yaml", _rule())
    with pytest.raises(LoadError) as caught:
        load_ruleset([tmp_path / "pack"], disabled=["my-rul"])
    assert str(caught.value) == (
        "authdoctor_disable: cannot disable unknown rule 'my-rul'; did you mean 'my-rule'?"
    )


def test_duplicate_ids_in_two_folders(tmp_path: Path) -> None:
    first = _write(tmp_path / "a", "my-rule.yaml", _rule())
    second = _write(tmp_path / "b", "my-rule.yaml", _rule())
    with pytest.raises(LoadError) as caught:
        load_ruleset([tmp_path / "a", tmp_path / "b"])
    assert str(caught.value) == f"{second}:1: 'my-rule': id: duplicate rule id (also in {first})"


def test_duplicate_ids_error_names_line_and_field(tmp_path: Path) -> None:
    _write(tmp_path / "a", "my-rule.yaml", _rule())
    second = _write(tmp_path / "b", "my-rule.yaml", _rule())
    with pytest.raises(LoadError) as caught:
        load_ruleset([tmp_path / "a", tmp_path / "b"])
    assert str(caught.value).startswith(f"{second}:1: 'my-rule': id: duplicate rule id")


def test_missing_rule_path(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        load_ruleset([tmp_path / "nope"])
    assert str(caught.value) == f"{tmp_path / 'nope'}: no such file or directory"


def test_cases_files_are_not_rules(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    _write(pack, "my-rule.yaml", _rule())
    _write(pack, "my-rule.cases.yaml", "this: is: not a rule\n")
    ruleset = load_ruleset([pack])
    assert [rule.id for rule in ruleset.rules] == ["my-rule"]


# --- evaluation ------------------------------------------------------------------------


@pytest.fixture
def small_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    _write(
        pack,
        "specific.yaml",
        _rule(
            "specific",
            when="all:\n    - token.expired: true\n    - response.auth_failed: true",
            extra="suppresses: [general]\n",
        ),
    )
    _write(
        pack, "general.yaml", _rule("general", cause="unknown", when="response.auth_failed: true")
    )
    _write(
        pack,
        "token-endpoint.yaml",
        _rule(
            "token-endpoint",
            cause="refresh_token_invalid",
            when="response.auth_failed: true",
            extra="applies_to: token_endpoint\n",
        ),
    )
    return pack


@pytest.mark.parametrize(
    ("facts", "rules"),
    [
        ({"request.kind": "api", "response.auth_failed": True, "token.expired": True},
         ["specific"]),
        ({"request.kind": "api", "response.auth_failed": True}, ["general"]),
        ({"response.auth_failed": True}, ["general"]),  # no kind: api
        ({"request.kind": "api", "token.expired": True}, []),
        ({"request.kind": "token_endpoint", "response.auth_failed": True, "token.expired": True},
         ["token-endpoint"]),
        ({"request.kind": "token_endpoint"}, []),
    ],
)  # fmt: skip
def test_evaluate_suppresses_and_applies_to(small_pack: Path, facts: dict, rules: list) -> None:
    ruleset = load_ruleset([small_pack])
    assert sorted(f.rule for f in ruleset.evaluate(facts)) == rules


def test_disabled_rule_is_not_evaluated(small_pack: Path) -> None:
    ruleset = load_ruleset([small_pack], disabled=["general"])
    assert ruleset.get("general") is None
    assert ruleset.evaluate({"request.kind": "api", "response.auth_failed": True}) == []


def test_gating_never_changes_what_a_shipped_rule_matches() -> None:
    """Every case of every shipped rule: the ruleset finds the rule exactly when it matches.

    Cases list only the facts a rule tests; a status of 401 or 403 implies auth_failed, as
    response_facts sets it, and that is what the gate relies on.
    """
    shipped = load_ruleset(default_rule_packs())
    assert any(rule.gate is not None for rule in shipped.rules)
    for rule in shipped.rules:
        ruleset = Ruleset((rule,))
        rule_file = Path(rule.file)
        cases = parse_yaml(cases_file(rule_file).read_text(), str(rule_file)).data
        for case in [*cases["match"], *cases["no_match"]]:
            facts = {**case, "request.kind": rule.applies_to}
            if facts.get("response.status") in (401, 403):
                facts.setdefault("response.auth_failed", True)
            found = [f.rule for f in ruleset.evaluate(facts)]
            assert found == ([rule.id] if rule.when(facts) else []), (rule.id, case)


def test_finding_renders_explain_and_fix(tmp_path: Path) -> None:
    text = _rule(extra="").replace(
        "  - Refresh it.",
        "  - Refresh it.\n  - text: Ask the endpoint\n    command: >-\n      curl\n"
        "      {{ request.path }}",
    )
    _write(tmp_path / "pack", "my-rule.yaml", text)
    (finding,) = load_ruleset([tmp_path / "pack"]).evaluate(
        {"token.expired": True, "token.expired_ago": "5 min", "request.path": "/a b"}
    )
    assert finding.as_dict() == {
        "rule": "my-rule",
        "cause": "token_expired",
        "severity": "error",
        "confidence": "high",
        "title": "A test rule",
        "explain": "The token expired 5 min ago.",
        "fix": ["Refresh it.", "Ask the endpoint\n$ curl '/a b'"],
        "references": ["https://example.com/x"],
    }


# --- profiles --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def company_x():
    return load_profile("company-x")


def test_company_x_profile(company_x) -> None:
    assert company_x.id == "company-x"
    assert company_x.strict_bearer_case is True
    assert company_x.expects_jwt is True
    assert company_x.admin_portal == "https://admin.xxx.com"
    assert company_x.error_codes == {"E-AUTH-001": "invalid_token"}
    production, staging = company_x.environments
    assert (production.name, staging.name) == ("production", "staging")
    assert production.hosts == ("api.xxx.com", "auth.xxx.com")
    assert production.issuers == ("https://auth.xxx.com/",)
    assert production.audiences == ("https://api.xxx.com",)
    assert production.token_endpoint == "https://auth.xxx.com/oauth/token"
    assert staging.token_endpoint == "https://auth.staging.xxx.com/oauth/token"


@pytest.mark.parametrize(
    ("host", "port", "environment"),
    [
        ("api.xxx.com", 443, "production"),
        ("API.XXX.COM", 443, "production"),
        ("auth.staging.xxx.com", 443, "staging"),
        ("evil-api.xxx.com", 443, None),
        ("api.xxx.com.evil.example", 443, None),
    ],
)
def test_company_x_environment_of_host(company_x, host: str, port: int, environment) -> None:
    found = company_x.environment_of_host(host, port)
    assert (found.name if found else None) == environment


@pytest.mark.parametrize(
    ("issuer", "environment"),
    [
        ("https://auth.xxx.com/", "production"),
        ("https://auth.xxx.com", "production"),
        ("https://auth.staging.xxx.com/", "staging"),
        ("https://auth.xxx.com.evil/", None),
    ],
)
def test_company_x_environment_of_issuer(company_x, issuer: str, environment) -> None:
    found = company_x.environment_of_issuer(issuer)
    assert (found.name if found else None) == environment


@pytest.mark.parametrize(
    ("method", "path", "key", "scopes"),
    [
        ("GET", "/v2/devices", "GET /devices", ("read", "devices:read")),
        ("GET", "/v3/devices/", "GET /devices", ("read", "devices:read")),
        ("GET", "/v2/devices?page=2", "GET /devices", ("read", "devices:read")),
        ("get", "/v2/devices", "GET /devices", ("read", "devices:read")),
        ("GET", "/v3/logs/a/b", "GET /logs/*", ("logs:read", "admin")),
        ("POST", "/v2/devices/7/actions", "POST /devices/{id}/actions",
         ("write", "devices:manage")),
        ("PUT", "/v2/policies/p1", "PUT /policies/{id}", ("write", "policies:write")),
        ("GET", "/v2/organizations/current", "GET /organizations/current", ()),
        ("PATCH", "/v2/devices", None, None),
        ("GET", "/devices", None, None),
        ("GET", "/v1/devices", None, None),
        ("POST", "/v2/devices/7", None, None),
    ],
)  # fmt: skip
def test_company_x_endpoint_lookup(company_x, method: str, path: str, key, scopes) -> None:
    endpoint = company_x.endpoints.lookup(method, path)
    assert (endpoint.key if endpoint else None) == key
    assert (endpoint.scopes_any if endpoint else None) == scopes


def _profile(folder: Path, name: str, text: str) -> Path:
    return _write(folder, name, textwrap.dedent(text))


def test_literal_segment_beats_template(tmp_path: Path) -> None:
    path = _profile(
        tmp_path,
        "orgs.yaml",
        """\
        id: orgs
        title: Orgs
        base_paths: [/v2]
        endpoints:
          GET /organizations/{id}: [admin]
          GET /organizations/current: [read]
          GET /organizations/{id}/users/{user}: [admin]
          GET /organizations/current/users/{user}: [read]
        """,
    )
    table = load_profile(str(path)).endpoints
    assert table.lookup("GET", "/v2/organizations/current").key == "GET /organizations/current"
    assert table.lookup("GET", "/v2/organizations/42").key == "GET /organizations/{id}"
    assert (
        table.lookup("GET", "/v2/organizations/current/users/u1").key
        == "GET /organizations/current/users/{user}"
    )
    assert (
        table.lookup("GET", "/v2/organizations/42/users/u1").key
        == "GET /organizations/{id}/users/{user}"
    )


def test_extends_replaces_top_level_keys(tmp_path: Path) -> None:
    path = _profile(
        tmp_path,
        "sandbox.yaml",
        """\
        id: sandbox
        title: Local sandbox
        extends: company-x
        strict_bearer_case: false
        environments:
          local:
            hosts: [localhost:8080, "*.sandbox.test"]
        """,
    )
    profile = load_profile(str(path))
    assert profile.id == "sandbox"
    assert profile.title == "Local sandbox"
    assert profile.file == str(path)
    assert [e.name for e in profile.environments] == ["local"]  # replaced, not merged
    assert profile.strict_bearer_case is False
    assert profile.expects_jwt is True  # inherited
    assert profile.error_codes == {"E-AUTH-001": "invalid_token"}  # inherited
    assert profile.endpoints.lookup("GET", "/v2/devices").key == "GET /devices"  # inherited
    local = profile.environments[0]
    assert local.serves("localhost", 8080) is True
    assert local.serves("localhost", 8081) is False
    assert local.serves("api.sandbox.test", 443) is True
    assert local.serves("sandbox.test", 443) is False
    assert local.serves("evilsandbox.test", 443) is False


def test_extends_loop(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    _profile(tmp_path, "a.yaml", f"id: a\ntitle: A\nextends: {b}\n")
    _profile(tmp_path, "b.yaml", f"id: b\ntitle: B\nextends: {a}\n")
    with pytest.raises(LoadError) as caught:
        load_profile(str(a))
    assert str(caught.value) == f"{b}:3: 'b': extends: extends '{a}' loops"


def test_extends_itself(tmp_path: Path) -> None:
    path = _profile(
        tmp_path, "self.yaml", f"id: self\ntitle: S\nextends: {tmp_path / 'self.yaml'}\n"
    )
    with pytest.raises(LoadError) as caught:
        load_profile(str(path))
    assert str(caught.value) == f"{path}:3: 'self': extends: extends '{path}' loops"


def test_relative_extends_is_resolved_next_to_the_profile(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "profiles"
    _profile(folder, "base.yaml", "id: base\ntitle: Base\nexpects_jwt: true\n")
    child = _profile(folder, "child.yaml", "id: child\ntitle: Child\nextends: base.yaml\n")
    monkeypatch.chdir(tmp_path)
    assert load_profile(str(child)).expects_jwt is True


def test_bad_host_pattern(tmp_path: Path) -> None:
    path = _profile(
        tmp_path,
        "hosts.yaml",
        """\
        id: hosts
        title: Hosts
        environments:
          prod:
            hosts: [https://api.x.com/]
        """,
    )
    with pytest.raises(LoadError) as caught:
        load_profile(str(path))
    assert str(caught.value) == (
        f"{path}:5: 'hosts': environments.prod.hosts[0]: 'https://api.x.com/' does not match "
        "'^(\\\\*\\\\.)?([A-Za-z0-9-]+|\\\\*)(\\\\.([A-Za-z0-9-]+|\\\\*))*(:[0-9]{1,5})?$'"
    )


def test_unknown_bundled_profile() -> None:
    with pytest.raises(LoadError) as caught:
        load_profile("company-y")
    assert str(caught.value).startswith(
        "company-y: no bundled profile 'company-y'; did you mean 'company-x'? (known: "
    )
    assert "company-x" in str(caught.value).split("(known: ", 1)[1]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("FETCH /x", "key 'FETCH /x' must look like 'GET /path/{id}'"),
        ("GET x", "key 'GET x' must look like 'GET /path/{id}'"),
        ("get /x", "key 'get /x' must look like 'GET /path/{id}'"),
        ("GET /a/*/b", "'*' may only end a path: 'GET /a/*/b'"),
    ],
)
def test_endpoint_key_errors_in_a_profile(tmp_path: Path, key: str, message: str) -> None:
    path = _profile(tmp_path, "ep.yaml", f"id: ep\ntitle: EP\nendpoints:\n  {key}: [read]\n")
    with pytest.raises(LoadError) as caught:
        load_profile(str(path))
    assert str(caught.value) == f"{path}:4: 'ep': endpoints.{key}: {message}"


def test_two_templates_differing_only_in_parameter_name(tmp_path: Path) -> None:
    path = _profile(
        tmp_path,
        "ep.yaml",
        "id: ep\ntitle: EP\nendpoints:\n  GET /a/{id}: [a]\n  GET /a/{name}: [b]\n",
    )
    with pytest.raises(LoadError) as caught:
        load_profile(str(path))
    assert str(caught.value) == (
        f"{path}:5: 'ep': endpoints.GET /a/{{name}}: "
        "'GET /a/{name}' and 'GET /a/{id}' match the same requests"
    )


def test_endpoint_key_error_names_the_line(tmp_path: Path) -> None:
    path = _profile(tmp_path, "ep.yaml", "id: ep\ntitle: EP\nendpoints:\n  FETCH /x: [read]\n")
    with pytest.raises(LoadError) as caught:
        load_profile(str(path))
    assert caught.value.line == 4


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"GET /a/{id}": ["a"], "GET /a/{name}": ["b"]},
         "'GET /a/{name}' and 'GET /a/{id}' match the same requests"),
        ({"GET /a": "read"}, "'GET /a' needs a list of scopes (any one suffices)"),
        ({"GET /a": [1]}, "'GET /a' needs a list of scopes (any one suffices)"),
        ({"GET  /a": ["a"]}, "key 'GET  /a' must look like 'GET /path/{id}'"),
    ],
)  # fmt: skip
def test_endpoint_table_errors(table: dict, message: str) -> None:
    with pytest.raises(EndpointError) as caught:
        EndpointTable.parse(table, [])
    assert str(caught.value) == message


def test_every_lazily_formatted_fact_is_marked_text_only() -> None:
    """A Deferred value reaching a condition would silently never match `matches`."""
    token = jwt.encode({"exp": 1, "iat": 1, "nbf": 1}, "k" * 32, algorithm="HS256")
    f = flow(
        "https://api.example.com/v1/x?limit=1",
        headers=[("Authorization", f"Bearer {token}")],
        resp=response(401),
    )
    facts = extract_facts(f, Settings()).facts
    deferred = {name for name, value in facts.items() if isinstance(value, Deferred)}
    assert deferred
    assert {name for name in deferred if not CATALOGUE[name].text_only} == set()
