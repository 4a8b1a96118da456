"""What servers answer: WWW-Authenticate, JSON and plain-text error bodies, content codings
and Date headers, each parser alone and all of them together in response_facts."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import tutils

from authdoctor.engine.facts.response import parse_http_date
from authdoctor.engine.facts.response import response_facts
from authdoctor.wire.bodies import bounded_body
from authdoctor.wire.challenge import Challenge
from authdoctor.wire.challenge import parse_www_authenticate
from authdoctor.wire.error_body import MAX_FIELD
from authdoctor.wire.error_body import ErrorBody
from authdoctor.wire.error_body import parse_error_body
from authdoctor.wire.plain_body import MAX_PLAIN
from authdoctor.wire.plain_body import plain_text_error
from tests.hostile.strategies import CONTENT_TYPES
from tests.hostile.strategies import any_text
from tests.hostile.strategies import assert_declared
from tests.hostile.strategies import bodies
from tests.hostile.strategies import challenges
from tests.hostile.strategies import headers
from tests.hostile.strategies import hostile_text
from tests.hostile.strategies import json_bytes
from tests.hostile.strategies import json_objects
from tests.hostile.strategies import json_values
from tests.hostile.strategies import raw_bodies
from tests.hostile.strategies import wire

TCHAR = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
header_inputs = st.one_of(
    st.lists(challenges | hostile_text, max_size=4),
    st.lists(st.binary(max_size=60), max_size=3),
    challenges,
    st.lists(st.none() | st.integers() | challenges, max_size=3),
    st.none(),
)


@given(header_inputs, st.integers(-10, 10_000) | st.none())
def test_any_www_authenticate_gives_challenges(values: Any, max_length: Any) -> None:
    parsed = parse_www_authenticate(values, max_length)
    assert isinstance(parsed, list)
    for challenge in parsed:
        assert isinstance(challenge, Challenge)
        assert challenge.scheme and set(challenge.scheme) <= TCHAR
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in challenge.params.items())
        assert all(k == k.lower() and set(k) <= TCHAR for k in challenge.params)
        assert challenge.token68 is None or isinstance(challenge.token68, str)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(
    st.sampled_from(["Bearer", "DPoP", "Basic", "x-Custom"]),
    st.dictionaries(st.sampled_from(["realm", "error", "scope", "error_description", "x"]),
                    any_text, min_size=1, max_size=5),
    st.sampled_from([", ", ",", " ,  ", ",,"]),
)  # fmt: skip
def test_well_formed_params_read_back_exactly(
    scheme: str, params: dict[str, str], separator: str
) -> None:
    """Whatever a quoted-string holds (commas, quotes, backslashes, NUL) comes back as sent."""
    value = scheme + " " + separator.join(f"{k}={_quoted(v)}" for k, v in params.items())
    (challenge,) = parse_www_authenticate([value], max_length=len(value))
    assert challenge.scheme == scheme
    assert challenge.params == params


@given(raw_bodies, st.sampled_from(CONTENT_TYPES) | hostile_text | st.none())
def test_any_error_body_gives_none_or_short_text_fields(body: bytes, content_type: Any) -> None:
    parsed = parse_error_body(body, content_type)
    assert parsed is None or isinstance(parsed, ErrorBody)
    for value in vars_of(parsed):
        assert isinstance(value, str) and value.strip() and len(value) <= MAX_FIELD


def vars_of(parsed: ErrorBody | None) -> list[str]:
    if parsed is None:
        return []
    fields = (parsed.error, parsed.description, parsed.code, parsed.request_id, parsed.timestamp)
    return [f for f in fields if f is not None]


WRAPPERS = ("error", "errors", "fault", "detail", "innerError", "details")


@given(json_objects, st.lists(st.sampled_from(WRAPPERS), max_size=4), json_values)
def test_error_fields_nested_any_way(outer: dict[str, Any], path: list[str], leaf: Any) -> None:
    """The shapes providers nest errors in (Graph, Google, Apigee), with any leaf values."""
    document: Any = leaf
    for key in reversed(path):
        document = {key: document} if len(path) % 2 else {key: [document]}
    document = {**outer, **document} if isinstance(document, dict) else {**outer, "error": document}
    for value in vars_of(parse_error_body(json_bytes(document), "application/json")):
        assert isinstance(value, str) and len(value) <= MAX_FIELD


@given(raw_bodies, st.sampled_from(CONTENT_TYPES) | hostile_text | st.none())
def test_any_plain_body_gives_none_or_one_short_line(body: bytes, content_type: Any) -> None:
    text = plain_text_error(body, content_type)
    assert text is None or (isinstance(text, str) and text == " ".join(text.split()))
    assert text is None or (0 < len(text) <= MAX_PLAIN and "\x00" not in text)


@given(bodies(), st.integers(1, 1 << 16))
def test_a_body_in_any_coding_is_bounded(body: tuple[bytes, Any], limit: int) -> None:
    data, described = body
    message = tutils.tresp(headers=http.Headers(described), content=data)
    inflated = bounded_body(message, limit)
    assert inflated is None or (isinstance(inflated, bytes) and len(inflated) <= limit)


DATES = ("Sun, 06 Nov 1994 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "0, 0 0 0")
DATES += ("Fri, 31 Dec 9999 23:59:60 +9999", "Mon, 01 Jan 0001 00:00:00 -9999")


@given(hostile_text | st.sampled_from(DATES))
def test_any_date_header_is_a_finite_time_or_none(value: str) -> None:
    moment = parse_http_date(value)
    assert moment is None or (isinstance(moment, float) and math.isfinite(moment))


@given(headers, bodies(), st.sampled_from([200, 400, 401, 403, 500]) | st.integers(100, 599))
def test_any_answer_gives_declared_response_facts(
    pairs: list[tuple[bytes, bytes]], body: tuple[bytes, Any], status: int
) -> None:
    data, described = body
    response = tutils.tresp(
        status_code=status, headers=http.Headers(pairs + described), content=data
    )
    facts = response_facts(response, tutils.treq(), None, 60)
    assert_declared(facts)
    assert str(facts["response.summary"])


@given(st.lists(challenges.map(wire), min_size=1, max_size=3), st.sampled_from([401, 403]))
def test_challenges_alone_give_declared_facts(values: list[bytes], status: int) -> None:
    pairs = [(b"WWW-Authenticate", v) for v in values]
    response = tutils.tresp(status_code=status, headers=http.Headers(pairs), content=b"")
    assert_declared(response_facts(response, tutils.treq(), None, 60))
