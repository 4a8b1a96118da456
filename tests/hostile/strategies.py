"""Hypothesis strategies for what arrives from clients and servers we do not control, and
the checks every hostile-input test shares (declared fact types, a CPU-time budget).

Inputs are biased towards the shapes the parsers look for (scheme words, JWT segments, the
JSON keys error bodies and JWKS use), so examples reach deep into each parser rather than
being rejected at its first check, and mixed with raw bytes so no assumption goes untested.
"""

from __future__ import annotations

import base64
import gzip
import json
import string
import time
import zlib
from collections.abc import Callable
from typing import Any

import brotli
from hypothesis import settings
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.engine.facts.catalogue import CATALOGUE
from authdoctor.engine.facts.catalogue import PYTHON_TYPES
from authdoctor.engine.facts.header import KNOWN_SCHEMES
from authdoctor.util.deferred import Deferred
from authdoctor.wire.bodies import zstd

TOKEN_CHARS = string.ascii_letters + string.digits + "-._~+/="
B64URL_CHARS = string.ascii_letters + string.digits + "-_"
CPU_BUDGET_S = 1.0  # one pathological input; a quadratic regex on it takes minutes


def scaled(weight: float) -> settings:
    """This test's share of the active profile's examples: the costly ones run fewer."""
    return settings(max_examples=max(5, round(settings.default.max_examples * weight)))


def cpu_seconds(function: Callable[..., Any], *args: Any) -> float:
    """CPU time of one call: other processes on this shared machine do not count."""
    start = time.process_time()
    function(*args)
    return time.process_time() - start


def assert_declared(facts: dict[str, Any]) -> None:
    """Only catalogue facts, each of its declared type (text-only ones may be lazy)."""
    for name, value in facts.items():
        assert name in CATALOGUE, f"undeclared fact {name}"
        spec = CATALOGUE[name]
        if spec.text_only and isinstance(value, Deferred):
            assert isinstance(str(value), str)
            continue
        assert isinstance(value, PYTHON_TYPES[spec.type]), (name, type(value).__name__)
        if spec.type == "int":
            assert not isinstance(value, bool), name


# Text: every code point, lone surrogates included (JSON "\ud800" escapes produce them).
any_text = st.text(st.characters(exclude_categories=()), max_size=60)
hostile_text = st.one_of(
    any_text,
    st.text(alphabet=TOKEN_CHARS + ' ,;="\\\t', max_size=80),
    st.sampled_from(["", " ", "\x00", "\ud800", '"', "\\", "=", ",,,,", "a=a=a=a", "eyJ"]),
)

HUGE_NUMBERS = (10**400, -(10**400), 2**63, -(2**63) - 1, 1e308, -1e308, 5e-324)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and ±Infinity too: Python's json reads and writes them
    st.sampled_from(HUGE_NUMBERS),
    hostile_text,
)
KNOWN_KEYS = (
    *("exp", "iat", "nbf", "iss", "aud", "sub", "scope", "scp", "roles", "typ", "alg", "kid"),
    *("token_use", "nonce", "at_hash", "azp", "client_id", "cid", "email", "jti", "azpacr"),
    *("kty", "crv", "n", "e", "x", "y", "k", "use", "keys", "jwks_uri", "token_endpoint"),
    *("error", "error_description", "message", "detail", "title", "errors", "fault"),
    *("faultstring", "errorcode", "code", "error_code", "error_codes", "innerError"),
    *("details", "reason", "status", "request_id", "request-id", "timestamp", "date"),
    *("access_token", "refresh_token", "id_token", "expires_in", "token_type", "__type"),
)
json_keys = st.one_of(st.sampled_from(KNOWN_KEYS), any_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_keys, inner, max_size=6),
    max_leaves=24,
)
json_objects = st.dictionaries(json_keys, json_values, max_size=8)


def json_bytes(value: Any) -> bytes:
    """JSON as a server writes it; lone surrogates stay \\u escapes, as on the wire."""
    return json.dumps(value).encode("ascii")


def wire(text: str) -> bytes:
    """Text as bytes on the wire, lone surrogates and all (surrogatepass keeps them)."""
    return text.encode("utf-8", "surrogatepass")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# JWTs: real JSON segments most of the time, with signatures of every length that matters.
ALGS = ("none", "HS256", "RS256", "PS384", "ES256", "ES512", "EdDSA", "Ed448", "", "HS1", "x")
jwt_headers = st.builds(
    lambda alg, rest: {"alg": alg, **rest},
    st.sampled_from(ALGS) | hostile_text,
    json_objects,
)
segments = st.one_of(
    json_objects.map(lambda o: b64url(json_bytes(o))),
    json_values.map(lambda v: b64url(json_bytes(v))),
    st.binary(max_size=40).map(b64url),
    st.text(alphabet=B64URL_CHARS, max_size=40),
    hostile_text,
)
signatures = st.one_of(
    st.integers(0, 600).map(lambda n: "A" * n),
    st.binary(max_size=140).map(b64url),
    st.sampled_from(["[redacted:0123456789ab]", "", "=", "%%"]),
    hostile_text,
)
jwts = st.one_of(
    st.tuples(jwt_headers.map(lambda h: b64url(json_bytes(h))), segments, signatures).map(".".join),
    st.lists(segments, min_size=1, max_size=5).map(lambda parts: "eyJ" + ".".join(parts)),
)
api_keys = st.builds(
    str.__add__,
    st.sampled_from(["sk_live_", "pk_test_", "ghp_", "github_pat_", "sk-", "glpat-", "AIza"]),
    st.text(alphabet=TOKEN_CHARS, max_size=40),
)
tokens = st.one_of(jwts, api_keys, st.text(alphabet=TOKEN_CHARS, max_size=60), hostile_text)


def _word_case(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([word, word.upper(), word.capitalize()])


schemes = st.sampled_from(sorted(KNOWN_SCHEMES)).flatmap(_word_case) | hostile_text
authorization_values = st.builds(
    lambda scheme, gap, token, tail: f"{scheme}{gap}{token}{tail}",
    schemes,
    st.sampled_from(["", " ", "  ", "\t", ": ", " : "]),
    tokens,
    st.sampled_from(["", " ", ",", ";", '"', "\\n", "\r\n", " x"]),
)

# WWW-Authenticate: well-formed pieces glued with junk, so every scanner branch is taken.
challenge_params = st.builds(
    lambda name, eq, value: f"{name}{eq}{value}",
    st.sampled_from(["realm", "error", "error_description", "scope", "Realm"]) | hostile_text,
    st.sampled_from(["=", " = ", "", "=="]),
    st.one_of(
        hostile_text.map(lambda v: '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'),
        st.text(alphabet=TOKEN_CHARS + '"\\', max_size=30),
    ),
)
challenges = st.builds(
    lambda scheme, params, sep: scheme + " " + sep.join(params),
    schemes,
    st.lists(challenge_params, max_size=5),
    st.sampled_from([", ", ",", " ", ",,"]),
)

# Header names authdoctor reads, in any case, and some it does not.
READ_HEADERS = (
    *("Authorization", "WWW-Authenticate", "Content-Type", "Content-Encoding", "Date"),
    *("X-Api-Key", "X-Auth-Token", "X-Access-Token", "Authentication", "Token", "Server"),
    *("X-Request-Id", "X-OAuth-Scopes", "X-Accepted-OAuth-Scopes", "X-Amzn-ErrorType"),
    *("X-Accepted-GitHub-Permissions", "Cookie", "Set-Cookie", "Content-Length"),
)
CONTENT_TYPES = (
    *("application/json", "application/problem+json", "text/plain", "text/html", ""),
    *("application/x-www-form-urlencoded", "application/x-amz-json-1.1", "TEXT/PLAIN; x=y"),
)
CODINGS = ("gzip", "deflate", "br", "zstd", "identity", "x-gzip", "compress", "", " GZIP ")


def compress(data: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(data)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "br":
        return brotli.compress(data)
    if coding == "zstd":
        return zstd.compress(data)
    return data


header_values = st.one_of(
    hostile_text.map(wire),
    st.binary(max_size=80),
    authorization_values.map(wire),
    challenges.map(wire),
    st.sampled_from(CONTENT_TYPES + CODINGS).map(str.encode),
    st.sampled_from(["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT"]).map(
        str.encode
    ),
)
header_names = st.one_of(
    st.sampled_from(READ_HEADERS).flatmap(_word_case).map(str.encode),
    st.binary(min_size=1, max_size=20),
)
headers = st.lists(st.tuples(header_names, header_values), max_size=8)

raw_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(json_bytes),
    json_objects.map(json_bytes),
    st.lists(st.tuples(json_keys, hostile_text), max_size=5).map(
        lambda pairs: wire("&".join(f"{k}={v}" for k, v in pairs))
    ),
    hostile_text.map(wire),
)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """A body and the headers that describe it, which may lie about its encoding or type."""
    data = draw(raw_bodies)
    coding = draw(st.sampled_from(CODINGS))
    stored = compress(data, coding)
    said = draw(st.sampled_from([coding, coding, "", "gzip", "br", "zstd", "deflate"]))
    described = [(b"Content-Type", draw(st.sampled_from(CONTENT_TYPES)).encode())]
    if said:
        described.append((b"Content-Encoding", said.encode()))
    return stored, described


hosts = st.one_of(
    st.sampled_from(["api.xxx.com", "auth.xxx.com", "127.0.0.1", "[::1]", "x.okta.com"]),
    st.sampled_from(["cognito-idp.eu-west-1.amazonaws.com", "login.microsoftonline.com"]),
    st.text(alphabet=string.ascii_lowercase + string.digits + ".-*[]:", min_size=1, max_size=40),
)
paths = st.one_of(
    st.sampled_from(["/v2/devices", "/oauth/token", "/.well-known/openid-configuration"]),
    st.binary(max_size=60).map(lambda b: b"/" + b),
    st.builds(
        lambda p, q: wire(f"/{p}?{q}"),
        hostile_text,
        st.lists(st.tuples(json_keys, hostile_text), max_size=4).map(
            lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)
        ),
    ),
)
METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "get", "BREW")
STATUSES = (200, 400, 401, 403, 404, 500)


@st.composite
def flows(draw: st.DrawFn) -> http.HTTPFlow:
    """A flow with a request and (mostly) a response, every part of both drawn."""
    body, described = draw(bodies())
    request = tutils.treq(
        method=draw(st.sampled_from(METHODS)).encode(),
        scheme=draw(st.sampled_from([b"https", b"http"])),
        host=draw(hosts),
        port=draw(st.sampled_from([443, 80, 8443])),
        path=draw(paths),
        headers=http.Headers(draw(headers) + (described if draw(st.booleans()) else [])),
        content=body if draw(st.booleans()) else b"",
    )
    response: http.Response | bool = False
    if draw(st.integers(0, 9)):
        body, described = draw(bodies())
        response = tutils.tresp(
            status_code=draw(st.sampled_from(STATUSES) | st.integers(100, 599)),
            reason=b"",
            headers=http.Headers(draw(headers) + described),
            content=body,
        )
    return tflow.tflow(req=request, resp=response)
