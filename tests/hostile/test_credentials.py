"""Authorization headers and credential extraction: any request headers, any query string."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import tutils

from authdoctor.engine.facts.api_key import KEY_KINDS
from authdoctor.engine.facts.api_key import api_key_facts
from authdoctor.engine.facts.api_key import github_scope_facts
from authdoctor.engine.facts.api_key import key_kind
from authdoctor.engine.facts.api_key import mask_echoed_secrets
from authdoctor.engine.facts.header import Credential
from authdoctor.engine.facts.header import header_facts
from tests.hostile.strategies import B64URL_CHARS
from tests.hostile.strategies import TOKEN_CHARS
from tests.hostile.strategies import assert_declared
from tests.hostile.strategies import authorization_values
from tests.hostile.strategies import headers
from tests.hostile.strategies import hostile_text
from tests.hostile.strategies import paths
from tests.hostile.strategies import tokens
from tests.hostile.strategies import wire

LOCATIONS = {"authorization", "alt_header", "api_key_header", "query"}


@given(headers, paths, st.booleans())
def test_any_request_gives_declared_facts_and_a_str_credential(
    pairs: list[tuple[bytes, bytes]], path: bytes, strict: bool
) -> None:
    request = tutils.treq(headers=http.Headers(pairs), path=path)
    facts, credential = header_facts(request, strict)
    assert_declared(facts)
    assert facts["request.credential_location"] in {*LOCATIONS, "none"}
    if credential is None:
        assert facts["request.credential_location"] == "none"
    else:
        assert isinstance(credential.value, str)
        assert credential.location == facts["request.credential_location"]
    assert_declared(api_key_facts(facts, credential))


@given(st.lists(authorization_values, min_size=1, max_size=3), st.booleans())
def test_authorization_values_are_judged_not_trusted(values: list[str], strict: bool) -> None:
    pairs = [(b"Authorization", wire(v)) for v in values]
    facts, credential = header_facts(tutils.treq(headers=http.Headers(pairs)), strict)
    assert_declared(facts)
    assert credential is not None and credential.location == "authorization"
    assert facts["request.auth_header_count"] == len(values)
    # A well-formed verdict needs exactly one header that is "Bearer <token>" and nothing else.
    if facts["request.header_ok"]:
        assert len(values) == 1 and values[0].lstrip(" \t")[:7].lower() == "bearer "
        assert credential.value and not set(credential.value) & set(" \t\r\n")


@given(st.sampled_from(["Basic", "basic"]), st.binary(max_size=60), tokens)
def test_basic_credentials_of_any_bytes(scheme: str, raw: bytes, token: str) -> None:
    value = f"{scheme} {base64.b64encode(raw).decode()}"
    request = tutils.treq(headers=http.Headers([(b"Authorization", value.encode())]))
    facts, credential = header_facts(request, False)
    facts["token.format"] = "opaque"
    assert_declared(api_key_facts(facts, credential))
    assert_declared(api_key_facts(facts, Credential(token, "query")))


@given(st.text(alphabet=TOKEN_CHARS, max_size=30))
def test_a_key_kind_is_the_longest_prefix_that_fits(value: str) -> None:
    kind = key_kind(value)
    fitting = [k for k in KEY_KINDS if value.startswith(k.prefix)]
    assert kind == (max(fitting, key=lambda k: len(k.prefix)) if fitting else None)


@given(st.lists(st.tuples(st.sampled_from([b"X-OAuth-Scopes", b"X-Accepted-OAuth-Scopes",
                                           b"X-Accepted-GitHub-Permissions"]),
                          st.binary(max_size=40)), max_size=4),
       st.sampled_from([200, 403, 404]))  # fmt: skip
def test_github_scope_headers_of_any_bytes(pairs: list[tuple[bytes, bytes]], status: int) -> None:
    response = tutils.tresp(status_code=status, headers=http.Headers(pairs))
    assert_declared(github_scope_facts(response))


# mask_echoed_secrets: what a server quotes back must not carry the key or the JWT.

KEY_TAIL = st.text(alphabet=B64URL_CHARS, min_size=4, max_size=40)  # what providers' keys use
JWT_PART = st.text(alphabet=B64URL_CHARS, min_size=4, max_size=40)
# What may stand before a quoted secret: anything that does not extend it to the left.
BEFORE = hostile_text.filter(lambda t: not t[-1:].isascii() or not t[-1:].isalnum())


@given(BEFORE, st.sampled_from(KEY_KINDS), KEY_TAIL, hostile_text)
def test_an_echoed_api_key_is_cut_to_its_prefix(
    before: str, kind: object, tail: str, after: str
) -> None:
    secret = kind.prefix + tail  # type: ignore[attr-defined]
    masked = mask_echoed_secrets(f"{before}{secret}{after}")
    assert isinstance(masked, str)
    assert secret not in masked


@given(BEFORE.filter(lambda t: not t.endswith(("_", "-"))), JWT_PART, JWT_PART, hostile_text)
def test_an_echoed_jwt_is_cut_to_eyj(before: str, claims: str, signature: str, after: str) -> None:
    secret = f"eyJ{claims}.{signature}"
    masked = mask_echoed_secrets(f"{before}{secret}{after}")
    assert secret not in masked


@given(hostile_text)
def test_masking_is_stable(text: str) -> None:
    once = mask_echoed_secrets(text)
    assert mask_echoed_secrets(once) == once
