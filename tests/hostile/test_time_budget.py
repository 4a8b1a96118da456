"""Never unbounded time: every regular expression in src/authdoctor meets the input shape that
makes a backtracking engine quadratic or worse (long runs of its repeated class, many starts
of a pattern that then fails, unclosed quotes, `a=a=a=...`, 1 MiB of it), and whole flows
with megabyte headers, deeply nested JSON, invalid UTF-8, NUL bytes and lying content codings
go through the pipeline, the redactor and the report.

The budget is one CPU second per input (CPU time, so other processes on this 2-core machine do
not count); each input takes a few milliseconds when the code is linear, and minutes when it
is not, so a failure here is a real slope, not a slow machine.
"""

from __future__ import annotations

import ast
import base64
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import tflow
from mitmproxy.test import tutils

import authdoctor
from authdoctor.cli.main import bundle_command
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import annotate
from authdoctor.engine.annotate import render_comment
from authdoctor.engine.facts import api_key
from authdoctor.engine.facts import header
from authdoctor.engine.facts import token
from authdoctor.engine.rules import templates
from authdoctor.engine.session_record import record
from authdoctor.engine.sessions import SessionStore
from authdoctor.recordings.reading import Judged
from authdoctor.redaction import bodies as redacted_bodies
from authdoctor.redaction import vocabulary
from authdoctor.redaction.redactor import Redactor
from authdoctor.report import build_report
from authdoctor.report import html as report_html
from authdoctor.report import markdown as report_markdown
from authdoctor.report import render_html
from authdoctor.report import render_markdown
from authdoctor.sandbox import api as sandbox_api
from tests.hostile import shipped
from tests.hostile.strategies import CPU_BUDGET_S
from tests.hostile.strategies import b64url
from tests.hostile.strategies import compress
from tests.hostile.strategies import cpu_seconds

MIB = 1 << 20
SOURCE = Path(authdoctor.__file__).parent


def _seen_redactor() -> Redactor:
    """A redactor that has replaced a secret, so its look-up of seen values runs too."""
    redactor = Redactor(key=b"k" * 32)
    redactor.secret("zQsecretvalue0123")
    return redactor


SEEN = _seen_redactor()

# Each regular expression and the shapes that are worst for it; the key names where it is.
PATTERNS: dict[str, list[tuple[Callable[[Any], Any], Any]]] = {
    "engine/facts/header.py:_JWT_SHAPE": [
        (header._JWT_SHAPE.fullmatch, "eyJ." + "a" * MIB + "!"),
        (header._JWT_SHAPE.fullmatch, "eyJ" + "a" * MIB + "." + "b" * MIB + "!"),
    ],
    "engine/facts/header.py:_TOKEN_CHARS": [
        (header._TOKEN_CHARS.fullmatch, "a" * MIB + "=" * MIB + "!")
    ],
    "engine/facts/token.py:_BASE64URL": [(token._BASE64URL.fullmatch, "a" * MIB + "!")],
    "engine/facts/token.py:REDACTED_SIGNATURE": [
        (token.REDACTED_SIGNATURE.search, "[redacted:0123456789a" * (MIB // 21))
    ],
    "engine/facts/api_key.py:_ECHOED_SECRET": [
        (api_key.mask_echoed_secrets, "eyJ" * (MIB // 3)),
        (api_key.mask_echoed_secrets, "eyJaaaa" * (MIB // 7)),
        (api_key.mask_echoed_secrets, "eyJaaaa." * (MIB // 8)),
        (api_key.mask_echoed_secrets, "sk_live_" * (MIB // 8)),
        (api_key.mask_echoed_secrets, "sk-abc " * (MIB // 7)),
    ],
    "redaction/strings.py:_MARKER": [(SEEN.text, "[redacted:0123456789ab]" * (MIB // 23))],
    "redaction/vocabulary.py:JWT": [
        (SEEN.text, "eyJ" * (MIB // 3)),
        (SEEN.text, "eyJa." * (MIB // 5)),
        (SEEN.text, "eyJ" + "." * MIB),
    ],
    "redaction/vocabulary.py:API_KEY": [
        (SEEN.text, "-----BEGIN PRIVATE KEY-----" * (MIB // 27)),
        (SEEN.text, "-----BEGIN " + "A " * (MIB // 2)),
        (SEEN.text, "-----BEGIN PRIVATE KEY-----" + "-----END " * (MIB // 9)),
        (SEEN.text, "sk_live_" * (MIB // 8)),
        (SEEN.text, "ghp_" * (MIB // 4)),
    ],
    "redaction/vocabulary.py:SECRET_URL_PARAM": [
        (SEEN.text, "?access_token=" * (MIB // 14)),
        (SEEN.text, "&" * MIB),
        (SEEN.text, "?token=[redacted:" * (MIB // 17)),
    ],
    "redaction/strings.py:_RUN": [
        (SEEN.text, "zQsecret" * (MIB // 8)),
        (SEEN.text, "a" * MIB + "=" * MIB),
    ],
    "redaction/vocabulary.py:SECRET_WORDS": [
        (vocabulary.SECRET_WORDS.search, "bearer" + " " * MIB),
        (vocabulary.SECRET_WORDS.search, "bearer " * (MIB // 7)),
        (vocabulary.SECRET_WORDS.search, "access_" * (MIB // 7)),
    ],
    "redaction/bodies.py:_FORM_SHAPE": [
        (redacted_bodies._FORM_SHAPE.fullmatch, b"a=" * (MIB // 2) + b"&"),
        (redacted_bodies._FORM_SHAPE.fullmatch, b"a=b&" * (MIB // 4) + b"c"),
        (redacted_bodies._FORM_SHAPE.fullmatch, b"a" * MIB),
        (redacted_bodies._FORM_SHAPE.fullmatch, b"a=" + b" " * MIB + b"x"),
    ],
    "redaction/strings.py:_USERINFO": [
        (SEEN.url, "a" * MIB + "://" + "b" * MIB),
        (SEEN.url, "a://" * (MIB // 4)),
    ],
    "redaction/vocabulary.py:_b64url_json": [(vocabulary._b64url_json, "a" * MIB + "!")],
    "redaction/strings.py:_credential": [
        (SEEN._credential, " \t" * MIB + "x"),
        (SEEN._credential, "Bearer " + ";" * MIB + "x"),  # the quotes around a word
        (SEEN._credential, "Bearer " + "(" * MIB + ")" * MIB),
    ],
    "cli/bundle_command.py:LEAK_SHAPES": [
        (lambda data: bundle_command.leaks(data, []), b"eyJ" * (MIB // 3)),
        (lambda data: bundle_command.leaks(data, []), b"eyJaaaaaaaa." * (MIB // 12)),
        (lambda data: bundle_command.leaks(data, []), b"authorization: basic " * (MIB // 21)),
    ],
    "cli/bundle_command.py:_JWT_CLAIMS_PART": [
        (bundle_command._JWT_CLAIMS_PART.fullmatch, "eyJ" + "a" * MIB + "." + "b" * MIB + "!")
    ],
    "report/markdown.py:_MD_SPECIAL": [(report_markdown._md, "`*<>[]\\" * (MIB // 7))],
    "report/html.py:_link": [(report_html._link, "http" * (MIB // 4))],
    "report/markdown.py:_fence": [(report_markdown._fence, "`" * MIB + "x`" * MIB)],
    "report/markdown.py:_safe_ref": [(report_markdown._safe_ref, "https://" + "a" * MIB + " ")],
    "sandbox/api.py:_BEARER": [(sandbox_api._BEARER.search, "Bearer " * (MIB // 7))],
}
# Patterns that never see what a client or server sent, and why.
NOT_HOSTILE = {
    "engine/rules/templates.py:_PLACEHOLDER": "reads rule files, by the user or the project",
    "engine/rules/templates.py:_FILTER": "reads rule files",
    "engine/rules/conditions.py:_leaf": "compiles a rule's `matches:`; shipped ones run below",
    "profiles/profile.py:issuer_pattern": "compiles a profile's issuers; hostile ones are below",
    "profiles/profile.py:_host_pattern": "compiles a profile's hosts; hostile ones are below",
    "redaction/strings.py:_compile": "compiles the user's own --pattern",
    "sandbox/api.py:_compile": "compiles the sandbox's own route table",
    "cli/proxy_process.py:_drain": "reads mitmdump's own start-up lines",
}
_RE_CALLS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "split", "sub"}


def _pattern_sites() -> set[str]:
    """file:name of every regular expression in the package: the module-level name it is
    bound to, or the function it is used in."""
    sites = set()
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        where = path.relative_to(SOURCE).as_posix()
        for node in tree.body:
            for call in ast.walk(node):
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "re"
                    and call.func.attr in _RE_CALLS
                ):
                    continue
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                    sites.add(f"{where}:{ast.unparse(target)}")
                else:
                    sites.add(f"{where}:{_function_of(node, call)}")
    return sites


def _function_of(top: ast.AST, call: ast.AST) -> str:
    """The innermost function around `call` under the module-level statement `top`."""
    name = getattr(top, "name", "?")
    for node in ast.walk(top):
        if isinstance(node, ast.FunctionDef) and any(n is call for n in ast.walk(node)):
            name = node.name
    return name


def test_every_pattern_is_tried_here_or_said_why_not() -> None:
    """A new regular expression in src/authdoctor must get its worst inputs in PATTERNS."""
    assert _pattern_sites() == set(PATTERNS) | set(NOT_HOSTILE)


@pytest.mark.parametrize(
    ("call", "text"),
    [case for cases in PATTERNS.values() for case in cases],
    ids=[f"{site}#{n}" for site, cases in PATTERNS.items() for n in range(len(cases))],
)
def test_each_pattern_is_fast_on_its_worst_shape(call: Callable[[Any], Any], text: Any) -> None:
    assert cpu_seconds(call, text) < CPU_BUDGET_S


# Whole flows, each with one hostile part; the rest is a plausible failing API call.


def _jwt(claims: Any, header_: Any = None) -> str:
    head = b64url(json.dumps(header_ or {"alg": "RS256", "kid": "k"}).encode())
    body = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    return f"{head}.{b64url(body)}.{'A' * 342}"


def _flow(
    request_headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
    response_headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
    body: bytes = b"",
    *,
    status: int = 401,
    host: str = "api.xxx.com",
    path: bytes = b"/v2/devices",
    method: bytes = b"GET",
    request_body: bytes = b"",
) -> http.HTTPFlow:
    request = tutils.treq(
        method=method,
        host=host,
        port=443,
        scheme=b"https",
        path=path,
        headers=http.Headers(list(request_headers)),
        content=request_body,
    )
    response = tutils.tresp(
        status_code=status, headers=http.Headers(list(response_headers)), content=body
    )
    return tflow.tflow(req=request, resp=response)


def _auth(value: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"Authorization", value)]


def _challenge(value: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"WWW-Authenticate", value)]


JSON = [(b"Content-Type", b"application/json")]
FORM = [(b"Content-Type", b"application/x-www-form-urlencoded")]
PLAIN = [(b"Content-Type", b"text/plain")]
TOKEN_CALL = {"method": b"POST", "host": "auth.xxx.com", "path": b"/oauth/token"}
ZEROS_GZ = gzip.compress(b"\x00" * (64 * MIB))

HOSTILE_FLOWS: dict[str, Callable[[], http.HTTPFlow]] = {
    "bearer-1mib": lambda: _flow(_auth(b"Bearer " + b"a" * MIB)),
    "bearer-jwt-no-dots": lambda: _flow(_auth(b"Bearer eyJ" + b"a" * MIB)),
    "bearer-dots": lambda: _flow(_auth(b"Bearer " + b"eyJ." * (MIB // 4))),
    "bearer-spaces": lambda: _flow(_auth(b"Bearer" + b" \t" * (MIB // 2) + b"x")),
    "bearer-quotes": lambda: _flow(_auth(b'Bearer "' + b";" * MIB + b"x")),
    "many-authorization": lambda: _flow(_auth(b"Bearer x") * 10_000),
    "alt-header-jwt-shape": lambda: _flow([(b"X-Session-Auth", b"eyJ." + b"a" * MIB + b"!")]),
    "alt-header-eyj-run": lambda: _flow([(b"X-Auth-Token", b"eyJ" * (MIB // 3))]),
    "api-key-header": lambda: _flow([(b"X-Api-Key", b"sk_live_" * (MIB // 8))]),
    "basic-1mib": lambda: _flow(_auth(b"Basic " + base64.b64encode(b"sk_live_" * (MIB // 8)))),
    "query-1mib": lambda: _flow(path=b"/v2/devices?access_token=" + b"a" * MIB),
    "query-ampersands": lambda: _flow(path=b"/v2/devices?" + b"&" * MIB),
    "query-equals": lambda: _flow(path=b"/v2/devices?" + b"a=" * (MIB // 2)),
    "path-invalid-utf8": lambda: _flow(path=b"/v2/" + b"\xff\xfe" * (MIB // 2)),
    "host-labels": lambda: _flow(_auth(b"Bearer x"), host="a." * (MIB // 2) + "okta.com"),
    "host-cognito": lambda: _flow(
        _auth(b"Bearer x"), host="x.auth." * (MIB // 7) + "amazoncognito.com"
    ),
    "issuer-okta-shape": lambda: _flow(
        _auth(
            ("Bearer " + _jwt({"iss": "https://" + "a." * (MIB // 2) + "okta.com/oauth2"})).encode()
        )
    ),
    "issuer-keycloak-shape": lambda: _flow(
        _auth(("Bearer " + _jwt({"iss": "https://x" + "/realms" * (MIB // 7)})).encode())
    ),
    "claims-nested": lambda: _flow(_auth(("Bearer " + _jwt(b"[" * 100_000)).encode())),
    "claims-nested-object": lambda: _flow(_auth(("Bearer " + _jwt(b'{"a":' * 50_000)).encode())),
    "header-nested": lambda: _flow(_auth(("Bearer " + _jwt({}, [[[[[[]]]]]])).encode())),
    "claims-huge-numbers": lambda: _flow(
        _auth(("Bearer " + _jwt(b'{"exp": 1' + b"0" * 4000 + b', "iat": -1e308}')).encode())
    ),
    "claims-eyj-run": lambda: _flow(
        _auth(("Bearer " + _jwt({"sub": "eyJ" * (MIB // 3)})).encode())
    ),
    "challenge-unclosed": lambda: _flow(
        response_headers=_challenge(b'Bearer realm="' + b"a" * MIB)
    ),
    "challenge-escapes": lambda: _flow(
        response_headers=_challenge(b'Bearer error="' + b'\\"' * (MIB // 2))
    ),
    "challenge-a=a=a": lambda: _flow(response_headers=_challenge(b"Bearer " + b"a=" * (MIB // 2))),
    "challenge-commas": lambda: _flow(response_headers=_challenge(b"Bearer" + b"," * MIB)),
    "challenge-many": lambda: _flow(response_headers=_challenge(b"Bearer x=y") * 10_000),
    "challenge-echo": lambda: _flow(
        response_headers=_challenge(b'Bearer error_description="' + b"eyJ" * 2700 + b'"')
    ),
    "json-brackets": lambda: _flow(response_headers=JSON, body=b"[" * 100_000),
    "json-braces": lambda: _flow(response_headers=JSON, body=b'{"a":' * 20_000),
    "json-error-nested": lambda: _flow(response_headers=JSON, body=b'{"error":' + b"[" * 60_000),
    "json-1mib": lambda: _flow(response_headers=JSON, body=b'{"error": "' + b"x" * MIB + b'"}'),
    "json-surrogates": lambda: _flow(
        response_headers=JSON, body=b'{"error": "\\ud800", "message": "' + b"\\udc00" * 9000 + b'"}'
    ),
    "plain-nul": lambda: _flow(response_headers=PLAIN, body=b"\x00" * MIB),
    "plain-invalid-utf8": lambda: _flow(response_headers=PLAIN, body=b"\xff\xfe\xfd" * 1000),
    "binary-as-json": lambda: _flow(response_headers=JSON, body=bytes(range(256)) * 4096),
    "gzip-bomb": lambda: _flow(
        response_headers=[*JSON, (b"Content-Encoding", b"gzip")], body=ZEROS_GZ
    ),
    "gzip-without-coding": lambda: _flow(
        response_headers=JSON, body=compress(b'{"error": "invalid_token"}', "gzip")
    ),
    "brotli-said-gzip": lambda: _flow(
        response_headers=[*JSON, (b"Content-Encoding", b"gzip")],
        body=compress(b'{"error": "invalid_token"}', "br"),
    ),
    "zstd-said-br": lambda: _flow(
        response_headers=[*JSON, (b"Content-Encoding", b"br")],
        body=compress(b'{"error": "invalid_token"}', "zstd"),
    ),
    "deflate-truncated": lambda: _flow(
        response_headers=[*JSON, (b"Content-Encoding", b"deflate")],
        body=compress(b'{"error": "x"}' * 1000, "deflate")[:50],
    ),
    "date-1mib": lambda: _flow(response_headers=[(b"Date", b"Sun, 06 " * (MIB // 8))]),
    "date-far": lambda: _flow(response_headers=[(b"Date", b"Fri, 31 Dec 9999 23:59:59 +9999")]),
    "request-id-eyj": lambda: _flow(response_headers=[(b"X-Request-Id", b"eyJ" * (MIB // 3))]),
    "amzn-errortype": lambda: _flow(
        response_headers=[(b"X-Amzn-ErrorType", b"sk_live_" * (MIB // 8))], status=400
    ),
    "github-scopes": lambda: _flow(
        [(b"X-Api-Key", b"ghp_" + b"a" * 36)],
        [(b"X-OAuth-Scopes", b"," * MIB), (b"X-Accepted-OAuth-Scopes", b"a," * (MIB // 2))],
    ),
    "server-1mib": lambda: _flow(response_headers=[(b"Server", b"eyJ" * (MIB // 3))]),
    "form-1mib": lambda: _flow(FORM, request_body=b"grant_type=" + b"a" * MIB, **TOKEN_CALL),
    "form-a=a=a": lambda: _flow(FORM, request_body=b"a=" * (MIB // 2), **TOKEN_CALL),
    "form-percent": lambda: _flow(FORM, request_body=b"scope=" + b"%" * MIB, **TOKEN_CALL),
    "form-gzip-bomb": lambda: _flow(
        [*FORM, (b"Content-Encoding", b"gzip")], request_body=ZEROS_GZ, **TOKEN_CALL
    ),
    "grant-nested": lambda: _flow(
        body=b'{"access_token": ' + b"[" * 60_000, status=200, **TOKEN_CALL
    ),
    "discovery-nested": lambda: _flow(
        body=b'{"token_endpoint": ' + b"[" * 60_000,
        status=200,
        path=b"/.well-known/openid-configuration",
    ),
}


@pytest.mark.parametrize("name", HOSTILE_FLOWS)
def test_each_hostile_flow_is_analysed_within_budget(name: str) -> None:
    flow = HOSTILE_FLOWS[name]()
    store = SessionStore()

    def whole_pipeline(flow: http.HTTPFlow) -> None:
        result = Analyzer(shipped.rules(), shipped.settings(), store).analyze(flow)
        record(store, flow, result.extracted, result.diagnosis)
        render_comment(result.diagnosis)
        annotate(flow, result.diagnosis, result.token_summary())

    assert cpu_seconds(whole_pipeline, flow) < CPU_BUDGET_S
    assert flow.comment is not None  # annotated (possibly with nothing to say)


@pytest.mark.parametrize("name", HOSTILE_FLOWS)
def test_each_hostile_flow_is_redacted_within_budget(name: str) -> None:
    flow = HOSTILE_FLOWS[name]()
    assert cpu_seconds(Redactor(key=b"k" * 32).flow, flow) < CPU_BUDGET_S


def test_a_report_of_hostile_flows_renders_within_budget() -> None:
    store = SessionStore()
    judged = []
    for flow_of in HOSTILE_FLOWS.values():
        flow = flow_of()
        result = Analyzer(shipped.rules(), shipped.settings(), store).analyze(flow)
        record(store, flow, result.extracted, result.diagnosis)
        judged.append(Judged(Path("hostile.mitm"), flow, result))

    def render(_: object) -> None:
        built = build_report(judged, store, shipped.rules(), ["hostile.mitm"])
        render_html(built)
        render_markdown(built)

    assert cpu_seconds(render, None) < CPU_BUDGET_S * 3  # all the flows above at once


def test_templates_are_only_fed_rule_text() -> None:
    """The exemption above holds: a template's own text is fixed when the rule loads, and the
    values it renders are never scanned by its patterns."""
    template = templates.compile_template("{{ response.summary }} and {{ request.path }}")
    hostile = {"response.summary": "{{" * MIB, "request.path": "{{ x }}" * 1000}
    assert cpu_seconds(template.render, hostile) < CPU_BUDGET_S
