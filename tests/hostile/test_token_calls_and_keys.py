"""Token-endpoint form bodies and answers, discovery documents and JWKS, as any client or
server may send them; key documents also through the fetcher, from a real loopback server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.engine.facts.token_endpoint import Grant
from authdoctor.engine.facts.token_endpoint import discovered_token_endpoint
from authdoctor.engine.facts.token_endpoint import parse_grant
from authdoctor.engine.facts.token_endpoint import request_facts
from authdoctor.engine.facts.token_endpoint import response_facts
from authdoctor.keys.fetch import FetchError
from authdoctor.keys.fetch import FetchLimits
from authdoctor.keys.fetch import RemoteKeys
from authdoctor.keys.fetch import fetch_key_set
from authdoctor.keys.fetch import url_problem
from authdoctor.keys.signing_keys import KeySet
from authdoctor.keys.signing_keys import KeySetError
from authdoctor.keys.signing_keys import parse_jwks
from tests.hostile.strategies import B64URL_CHARS
from tests.hostile.strategies import assert_declared
from tests.hostile.strategies import b64url
from tests.hostile.strategies import bodies
from tests.hostile.strategies import hostile_text
from tests.hostile.strategies import json_bytes
from tests.hostile.strategies import json_objects
from tests.hostile.strategies import json_values
from tests.hostile.strategies import scaled
from tests.hostile.strategies import wire
from tests.keyserver import Answer
from tests.keyserver import KeyServer

FORM_FIELDS = ("grant_type", "client_id", "client_secret", "client_assertion", "scope")
FORM_FIELDS += ("refresh_token", "code", "redirect_uri", "code_verifier")
form_bodies = st.lists(
    st.tuples(st.sampled_from(FORM_FIELDS) | hostile_text, hostile_text), max_size=8
).map(lambda pairs: wire("&".join(f"{k}={v}" for k, v in pairs)))
form_types = st.sampled_from(
    ["application/x-www-form-urlencoded", "APPLICATION/X-WWW-FORM-URLENCODED; charset=latin-1"]
)
basic = st.binary(max_size=40).map(lambda raw: b"Basic " + __import__("base64").b64encode(raw))


@given(
    form_bodies | bodies().map(lambda b: b[0]),
    form_types | st.sampled_from(["", "application/json"]),
    st.lists(st.sampled_from(["gzip", "br", "zstd", ""]), max_size=1),
    st.none() | basic | st.binary(max_size=40),
)
def test_any_token_request_gives_declared_facts(
    body: bytes, content_type: str, coding: list[str], authorization: bytes | None
) -> None:
    pairs = [(b"Content-Type", content_type.encode())]
    pairs += [(b"Content-Encoding", c.encode()) for c in coding]
    if authorization is not None:
        pairs.append((b"Authorization", authorization))
    request = tutils.treq(method=b"POST", headers=http.Headers(pairs), content=body)
    facts, refresh = request_facts(request)
    assert_declared(facts)
    assert refresh is None or re.fullmatch(r"[0-9a-f]{64}", refresh)


TOKEN_ANSWER_KEYS = ("access_token", "refresh_token", "id_token", "expires_in", "scope")
token_answers = st.one_of(
    st.dictionaries(st.sampled_from(TOKEN_ANSWER_KEYS), json_values, max_size=5),
    st.fixed_dictionaries(
        {"access_token": st.text(alphabet=B64URL_CHARS, max_size=20)},
        optional={k: json_values for k in TOKEN_ANSWER_KEYS[1:]},
    ),
    json_values,
).map(json_bytes)


@given(
    token_answers | bodies().map(lambda b: b[0]),
    st.sampled_from([200, 400, 401]),
    form_bodies,
    st.none() | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)
def test_any_token_answer_gives_a_grant_or_none(
    body: bytes, status: int, form: bytes, sent_refresh: str | None
) -> None:
    response = tutils.tresp(status_code=status, content=body)
    grant = parse_grant(response)
    assert grant is None or isinstance(grant, Grant)
    if grant is not None:
        assert grant.expires_in is None or type(grant.expires_in) is int
        assert all(isinstance(s, str) for s in grant.scopes or ())
    request = tutils.treq(
        method=b"POST",
        headers=http.Headers([(b"Content-Type", b"application/x-www-form-urlencoded")]),
        content=form,
    )
    requested, _ = request_facts(request)
    assert_declared(response_facts(response, requested, sent_refresh))


@given(
    st.sampled_from([b"/.well-known/openid-configuration", b"/x/.well-known/oauth-authorization"
                     b"-server?y", b"/other"]),
    st.dictionaries(st.just("token_endpoint"), json_values | hostile_text, max_size=1)
    .flatmap(lambda d: json_objects.map(lambda o: {**o, **d})).map(json_bytes)
    | bodies().map(lambda b: b[0]),
)  # fmt: skip
def test_any_discovery_document_names_an_http_url_or_nothing(path: bytes, body: bytes) -> None:
    flow = tflow.tflow(req=tutils.treq(path=path), resp=tutils.tresp(content=body))
    endpoint = discovered_token_endpoint(flow)
    assert endpoint is None or endpoint.startswith(("https://", "http://"))


# JWKS: entries shaped like keys of every type, with any value in any member.

KTYS = st.sampled_from(["RSA", "EC", "OKP", "oct", "", "rsa"]) | hostile_text
CURVES = st.sampled_from(["P-256", "P-384", "P-521", "secp256k1", "Ed25519", "Ed448", "X25519"])
b64_numbers = st.binary(max_size=80).map(b64url)
jwk_entries = st.one_of(
    st.fixed_dictionaries(
        {"kty": KTYS},
        optional={
            "kid": json_values,
            "alg": st.sampled_from(["RS256", "ES256", "EdDSA", "HS256"]) | json_values,
            "crv": CURVES | json_values,
            **{m: b64_numbers | json_values for m in ("n", "e", "x", "y", "k", "d")},
        },
    ),
    json_values,
)
jwks_documents = st.one_of(
    st.fixed_dictionaries({"keys": st.lists(jwk_entries, max_size=4)}, optional={"x": json_values}),
    st.fixed_dictionaries({"keys": json_values}),
    json_values,
)


@given(jwks_documents, st.booleans())
def test_any_jwks_is_a_key_set_or_a_key_set_error(document: Any, skip_unusable: bool) -> None:
    try:
        key_set = parse_jwks(document, "hostile.json", skip_unusable)
    except KeySetError as e:
        assert str(e)
        return
    assert isinstance(key_set, KeySet) and key_set.keys
    assert all(k.kid is None or isinstance(k.kid, str) for k in key_set.keys)


@given(hostile_text | st.sampled_from(["https://[", "http://[::1", "https://a]b", "http://x:y"]))
def test_any_url_is_judged(url: str) -> None:
    """Regression: 'https://[x' made urlsplit raise ValueError out of url_problem."""
    assert isinstance(url_problem(url), str)


@pytest.fixture(scope="module")
def server() -> Iterator[KeyServer]:
    with KeyServer() as keys:
        yield keys


DEEP = (b"[" * 100_000, b'{"keys":' * 50_000, b'{"jwks_uri": ' + b"[" * 100_000)
fetched_documents = st.one_of(
    jwks_documents.map(json_bytes),
    st.sampled_from(DEEP),
    st.binary(max_size=100),
    json_objects.map(lambda o: {**o, "jwks_uri": o.get("jwks_uri", "https://[")}).map(json_bytes),
)


@scaled(0.3)
@given(fetched_documents, st.booleans())
def test_a_fetched_document_is_keys_or_a_fetch_error(
    server: KeyServer, body: bytes, discovery: bool
) -> None:
    """Regression: a deeply nested answer raised RecursionError, a jwks_uri like
    'https://[' ValueError, out of fetch_key_set, which promises FetchError."""
    server.answers["/doc"] = Answer(body=body)
    try:
        keys = fetch_key_set(RemoteKeys(server.url + "/doc", discovery), FetchLimits(timeout_s=5))
    except FetchError as e:
        assert str(e)
        return
    assert isinstance(keys, KeySet)
