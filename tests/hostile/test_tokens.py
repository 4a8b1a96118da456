"""JWT segments, decoding and the facts read from claims, for tokens of any shape."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hypothesis import example
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import tutils

from authdoctor.engine.facts.header import Credential
from authdoctor.engine.facts.token import decode_token
from authdoctor.engine.facts.token import time_facts
from authdoctor.engine.facts.token import token_facts
from authdoctor.engine.facts.token_kind import classify
from authdoctor.engine.facts.token_kind import kind_facts
from authdoctor.engine.facts.token_kind import typ_facts
from authdoctor.live.content_view import render_token_view
from tests.hostile.strategies import HUGE_NUMBERS
from tests.hostile.strategies import assert_declared
from tests.hostile.strategies import b64url
from tests.hostile.strategies import hostile_text
from tests.hostile.strategies import json_bytes
from tests.hostile.strategies import json_objects
from tests.hostile.strategies import json_values
from tests.hostile.strategies import jwts
from tests.hostile.strategies import tokens
from tests.hostile.strategies import wire

SENT = 946681200.0  # tflow's request time
FINGERPRINT = re.compile(r"sha256:[0-9a-f]{12}")
# A JWT whose sub is a lone surrogate (the JSON escape "\ud800"): valid JSON, not valid text.
SURROGATE_SUB = ".".join(
    [b64url(json_bytes({"alg": "none"})), b64url(json_bytes({"sub": "\ud800"})), ""]
)


@given(tokens)
def test_any_text_decodes_to_jwt_opaque_or_malformed(token: str) -> None:
    decoded = decode_token(token)
    assert decoded.format in ("jwt", "opaque", "malformed")
    assert FINGERPRINT.fullmatch(decoded.fingerprint)
    assert decoded.length == len(token)
    assert isinstance(decoded.header, dict) and isinstance(decoded.claims, dict)
    assert (decoded.malformed_reason is not None) == (decoded.format == "malformed")
    if decoded.malformed_reason is not None:
        assert token not in decoded.malformed_reason or len(token) < 4


@given(jwts, st.integers(0, 3600), st.integers(0, 3600))
def test_token_facts_are_declared_for_any_jwt(token: str, leeway: int, window: int) -> None:
    facts, decoded = token_facts(Credential(token, "authorization"), SENT, leeway, window)
    assert_declared(facts)
    assert decoded is not None and facts["token.format"] == decoded.format


CLAIM_NUMBERS = st.one_of(
    st.sampled_from(HUGE_NUMBERS),
    st.floats(),
    st.integers(),
    st.sampled_from([SENT, SENT + 1e300, SENT - 1e300, 2**53 + 1]),
)
TIME_CLAIMS = st.dictionaries(
    st.sampled_from(["exp", "nbf", "iat"]), CLAIM_NUMBERS | json_values, max_size=3
)


@given(TIME_CLAIMS, st.integers(0, 10**6), st.integers(0, 10**6))
def test_time_facts_for_any_numbers(claims: dict[str, Any], leeway: int, window: int) -> None:
    """Times far past the float range, infinities and NaN: facts or no facts, never a crash."""
    facts = time_facts(claims, SENT, leeway, window)
    assert_declared(facts)
    for name in ("token.expires_in_s", "token.iat_ahead_s", "token.lifetime_s"):
        assert name not in facts or isinstance(facts[name], int)


@given(TIME_CLAIMS, json_objects)
def test_time_claims_inside_a_real_jwt(times: dict[str, Any], other: dict[str, Any]) -> None:
    """The same numbers the way they arrive: in a token's claims, read by PyJWT first."""
    header = b64url(json_bytes({"alg": "none"}))
    token = f"{header}.{b64url(json_bytes({**other, **times}))}."
    facts, _ = token_facts(Credential(token, "authorization"), SENT, 60, 300)
    assert_declared(facts)


@given(json_objects, json_objects)
def test_kind_of_any_header_and_claims(header: dict[str, Any], claims: dict[str, Any]) -> None:
    kind, evidence = classify(header, claims)
    assert kind in ("access", "id", "refresh", "unknown")
    assert all(isinstance(e, str) for e in evidence)
    assert_declared(kind_facts(header, claims))


@given(st.none() | hostile_text, jwts)
def test_typ_check_of_any_profile_value(expected: str | None, token: str) -> None:
    facts, _ = token_facts(Credential(token, "authorization"), SENT, 60, 300)
    assert_declared(typ_facts(expected, facts))


def test_a_claim_number_beyond_floats_is_no_time() -> None:
    """Regression: exp 10**400 (valid JSON) raised OverflowError in the float conversion."""
    claims = json.loads('{"exp": 1' + "0" * 400 + ', "iat": 1e308, "nbf": -1e308}')
    facts = time_facts(claims, SENT, 60, 300)
    assert facts["token.time_known"] is False
    assert "token.lifetime_s" not in facts
    assert_declared(facts)


def test_a_lifetime_beyond_floats_is_left_out() -> None:
    """Regression: exp 1e308 and iat -1e308 made exp - iat infinite, and int() raised."""
    facts = time_facts({"exp": 1e308, "iat": -1e308}, SENT, 60, 300)
    assert facts["token.expired"] is False and facts["token.iat_in_future"] is False
    assert "token.lifetime_s" not in facts
    assert all(math.isfinite(facts[n]) for n in ("token.expires_in_s", "token.iat_ahead_s"))


@given(jwts | tokens, st.none() | st.just({"findings": []}))
@example(SURROGATE_SUB, None)
def test_the_token_view_of_any_token(token: str, metadata: dict[str, Any] | None) -> None:
    """mitmweb's authdoctor view: text it can send to a browser, or ValueError for no token."""
    request = tutils.treq(headers=http.Headers([(b"Authorization", wire(f"Bearer {token}"))]))
    try:
        text = render_token_view(request, metadata)
    except ValueError:
        return
    assert isinstance(text, str) and text.encode("utf-8")
    assert decode_token(token).format != "jwt" or "claims:" in text


@given(TIME_CLAIMS)
def test_the_token_view_of_any_times(times: dict[str, Any]) -> None:
    """Regression: exp NaN, infinite or 10**400 raised out of the view (human_duration)."""
    token = f"{b64url(json_bytes({'alg': 'none'}))}.{b64url(json_bytes(times))}."
    request = tutils.treq(headers=http.Headers([(b"Authorization", wire(f"Bearer {token}"))]))
    assert render_token_view(request, None).startswith("token: jwt")
