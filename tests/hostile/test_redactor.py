"""The redactor on anything a recording may hold: it never fails except by dropping a body
(BodyDropped, documented), and a credential it was shown is gone from every place it recurs."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import assume
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.redaction.bodies import BodyDropped
from authdoctor.redaction.bodies import decode_content
from authdoctor.redaction.redactor import Redactor
from authdoctor.redaction.strings import _split_word
from tests.hostile.strategies import B64URL_CHARS
from tests.hostile.strategies import CODINGS
from tests.hostile.strategies import CONTENT_TYPES
from tests.hostile.strategies import bodies
from tests.hostile.strategies import compress
from tests.hostile.strategies import flows
from tests.hostile.strategies import hostile_text
from tests.hostile.strategies import json_bytes
from tests.hostile.strategies import raw_bodies
from tests.hostile.strategies import scaled
from tests.hostile.strategies import wire

KEY = b"k" * 32


@given(hostile_text, hostile_text)
def test_text_headers_urls_and_fields_of_any_text(name: str, value: str) -> None:
    redactor = Redactor(key=KEY)
    for result in (
        redactor.text(value),
        redactor.header(name, value),
        redactor.header("Authorization", value),
        redactor.header("Set-Cookie", value),
        redactor.url(value),
        redactor.query(value),
        redactor.field(name, value),
        redactor.token(value),
    ):
        assert isinstance(result, str)


@given(raw_bodies, st.sampled_from(CODINGS), st.sampled_from(CODINGS))
def test_any_body_in_any_coding_is_decoded_or_dropped(data: bytes, coding: str, said: str) -> None:
    try:
        decoded = decode_content(compress(data, coding), said)
    except BodyDropped as e:
        assert e.reason
        return
    assert isinstance(decoded, bytes)


@given(raw_bodies, st.sampled_from(CONTENT_TYPES) | hostile_text)
def test_any_body_of_any_type_is_redacted_or_dropped(data: bytes, content_type: str) -> None:
    try:
        assert isinstance(Redactor(key=KEY).body(data, content_type), bytes)
    except BodyDropped as e:
        assert e.reason


@scaled(0.5)
@given(flows())
def test_any_flow_is_redacted_and_left_unchanged(flow: http.HTTPFlow) -> None:
    before = flow.get_state()
    redacted = Redactor(key=KEY).flow(flow)
    assert isinstance(redacted, http.HTTPFlow)
    assert flow.get_state() == before


# A credential the redactor saw in the Authorization header, echoed elsewhere.

SECRETS = st.text(alphabet=B64URL_CHARS + "~+/.", min_size=12, max_size=40).map(lambda s: "zQ" + s)
# What may stand beside an echo: nothing that would make it part of a longer token run.
SEPARATORS = st.sampled_from([" ", '"', "'", ",", ";", ":", "<", ">", "(", ")", "\n", "!"])


def _everything(flow: http.HTTPFlow) -> bytes:
    """Every byte of a redacted flow a reader could see, bodies decoded where they can be."""
    parts = [wire(flow.request.path)]
    for message in (flow.request, flow.response):
        if message is None:
            continue
        parts += [name + b": " + value for name, value in message.headers.fields]
        parts.append(message.raw_content or b"")
        parts.append(message.get_content(strict=False) or b"")
    return b"\n".join(parts)


@scaled(0.5)
@given(
    SECRETS,
    SEPARATORS,
    SEPARATORS,
    st.sampled_from(["gzip", "br", "zstd", "identity"]),
    st.sampled_from(["application/json", "application/problem+json", ""]),
)
def test_an_echoed_credential_is_gone_everywhere(
    secret: str, before: str, after: str, coding: str, content_type: str
) -> None:
    echo = f"{before}{secret}{after}"
    assume(not re.search(r"(?i)bearer|basic", echo))
    request = tutils.treq(
        path=wire(f"/v1/items?q={quote(echo)}&access_token={quote(secret)}"),
        headers=http.Headers(
            [
                (b"X-Echo", wire(echo)),  # before the credential: met first
                (b"Authorization", wire(f"Bearer {secret}")),
                (b"Cookie", wire(f"session={secret}; theme=dark")),
            ]
        ),
        content=b"",
    )
    body = compress(json_bytes({"error_description": f"token{echo}rejected", "n": 1}), coding)
    pairs = [(b"Content-Encoding", coding.encode()), (b"X-Seen", wire(echo))]
    if content_type:
        pairs.append((b"Content-Type", content_type.encode()))
    response = tutils.tresp(status_code=401, headers=http.Headers(pairs), content=body)
    redacted = Redactor(key=KEY).flow(tflow.tflow(req=request, resp=response))
    assert wire(secret) not in _everything(redacted)


@given(bodies())
def test_a_body_that_lies_about_its_coding_is_dropped_or_readable(body: tuple) -> None:
    data, described = body
    flow = tflow.tflow(resp=tutils.tresp(headers=http.Headers(described), content=data))
    redacted = Redactor(key=KEY).flow(flow)
    assert redacted.response is not None
    content = redacted.response.get_content(strict=False)
    assert content is not None or redacted.response.raw_content


# The split of a credential word into quotes and value: string methods now, the same answer
# as the regular expression it replaced (which took seconds on a 10 KiB run of closing quotes).
_OLD_WORD = re.compile(r"(\s*[\"'`<(]*)(.*?)([\"'`>),;]*\s*)", re.DOTALL)
word_text = st.text(alphabet="ab \t\n\x1c\x85\u00a0\u2003\"'`<>(),;=", max_size=30)


@given(word_text | hostile_text)
def test_a_word_splits_as_the_old_pattern_split_it(word: str) -> None:
    match = _OLD_WORD.fullmatch(word)
    assert match is not None
    assert _split_word(word) == match.groups()


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd", "deflate"])
def test_a_compressed_body_with_the_coding_missing_is_judged_as_bytes(coding: str) -> None:
    """A gzip/br/zstd body sent without Content-Encoding is no JSON or form: kept only when
    nothing in its bytes looks secret, dropped otherwise, never decoded by guess."""
    data = compress(b'{"access_token": "zQsecretsecret"}', coding)
    response = tutils.tresp(
        headers=http.Headers([(b"Content-Type", b"application/json")]), content=data
    )
    redacted = Redactor(key=KEY).flow(tflow.tflow(resp=response))
    assert redacted.response is not None and redacted.response.raw_content == b""
    assert b"X-Authdoctor-Redacted" in b"".join(n for n, _ in redacted.response.headers.fields)
