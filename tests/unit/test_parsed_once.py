"""A flow's parts are parsed once on their way through the proxy's hooks: the facts step reads
the bodies and headers, and the steps after it (rules, diagnosis, annotation, session record)
use what it read instead of reading the flow again.

Every parser is wrapped wherever an authdoctor module holds it, so a new caller is counted too.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import taddons

from authdoctor.engine.facts import header
from authdoctor.engine.facts import session
from authdoctor.engine.facts import token_endpoint
from authdoctor.live import AuthDoctor
from authdoctor.util import caches
from authdoctor.wire import bodies
from authdoctor.wire import challenge
from authdoctor.wire import error_body
from authdoctor.wire import plain_body
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import company_x_error
from tests.unit.authflows import flow
from tests.unit.authflows import response as answer

PARSERS: tuple[Callable[..., Any], ...] = (
    token_endpoint.request_facts,  # the token request's form
    token_endpoint.parse_grant,  # the token response's JSON
    token_endpoint.discovered_token_endpoint,  # a discovery document's JSON
    bodies.bounded_body,  # any body, decoded
    challenge.parse_www_authenticate,
    error_body.parse_error_body,
    plain_body.plain_text_error,
    header.header_facts,  # the Authorization header and the token in it
    session.client_key,  # who the client is
)
FORM = "application/x-www-form-urlencoded"


def _subject(value: object) -> object:
    """What a call parses: a value as such, a message or flow by identity (request and
    response bodies are two things to read)."""
    return value if isinstance(value, (str, bytes, tuple)) else id(value)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, object]]:
    """Calls per (parser, what it parsed), counted wherever authdoctor holds the parser."""
    counts: Counter[tuple[str, object]] = Counter()
    for parser in PARSERS:

        def counting(*args: Any, _parser: Callable[..., Any] = parser, **kwargs: Any) -> Any:
            counts[(_parser.__name__, _subject(args[0]))] += 1
            return _parser(*args, **kwargs)

        for module in [m for n, m in sys.modules.items() if n.startswith("authdoctor.")]:
            for name, value in list(vars(module).items()):
                if value is parser:
                    monkeypatch.setattr(module, name, counting)
    caches.clear_all()  # a memoized parser would hide a second reading
    return counts


@pytest.fixture
def doctor() -> Iterator[AuthDoctor]:
    addon = AuthDoctor()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, authdoctor_profile=["company-x"])
        yield addon
    addon.done()


def _read_again(parsed: Counter[tuple[str, object]]) -> set[str]:
    return {name for (name, _), count in parsed.items() if count > 1}


def _through_the_hooks(doctor: AuthDoctor, f: http.HTTPFlow) -> None:
    """As in the proxy: the request hook before the response exists, then the response hook."""
    arrived, f.response = f.response, None
    doctor.request(f)
    f.response = arrived
    doctor.response(f)


def _token_call() -> http.HTTPFlow:
    form = b"grant_type=refresh_token&refresh_token=R-old&client_id=cli_8f2a91&client_secret=s"
    grant = {"access_token": "A-new", "expires_in": 3600, "refresh_token": "R-new", "scope": "read"}
    return flow(
        "https://auth.xxx.com/oauth/token",
        method="POST",
        headers=[("Content-Type", FORM)],
        content=form,
        resp=answer(200, body=grant),
    )


def _discovery() -> http.HTTPFlow:
    document = {"token_endpoint": "https://auth.xxx.com/connect/token"}
    return flow(
        "https://auth.xxx.com/.well-known/openid-configuration", resp=answer(200, body=document)
    )


def _api_401(issuer: Issuer) -> http.HTTPFlow:
    token = issuer.token(expires=-600)
    return flow("https://api.xxx.com/v2/devices", headers=[bearer(token)], resp=company_x_error())


def test_a_token_call_is_parsed_once(doctor: AuthDoctor, parsed: Counter) -> None:
    f = _token_call()
    _through_the_hooks(doctor, f)
    assert doctor.sessions.flows == 1
    assert _read_again(parsed) == set()
    read = {name for name, _ in parsed}
    assert {"request_facts", "parse_grant", "bounded_body", "client_key"} <= read
    assert parsed[("bounded_body", id(f.request))] == parsed[("bounded_body", id(f.response))] == 1


def test_a_discovery_document_is_parsed_once(doctor: AuthDoctor, parsed: Counter) -> None:
    _through_the_hooks(doctor, _discovery())
    assert list(doctor.sessions.token_endpoints) == ["https://auth.xxx.com/connect/token"]
    assert _read_again(parsed) == set()
    assert "discovered_token_endpoint" in {name for name, _ in parsed}


def test_a_refused_api_call_is_parsed_once(
    doctor: AuthDoctor, parsed: Counter, issuer: Issuer
) -> None:
    f = _api_401(issuer)
    _through_the_hooks(doctor, f)
    assert f.metadata["authdoctor"]["cause"] == "token_expired"
    assert _read_again(parsed) == set()
    read = {name for name, _ in parsed}
    assert {"header_facts", "bounded_body", "parse_www_authenticate", "parse_error_body"} <= read
    assert "client_key" in read


def test_the_grant_is_read_as_json_once(doctor: AuthDoctor, monkeypatch) -> None:
    """The token response's JSON, decoded by the facts step only."""
    decoded: list[str] = []
    loads = json.loads

    def counting(text: Any, *args: Any, **kwargs: Any) -> Any:
        decoded.append(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        return loads(text, *args, **kwargs)

    monkeypatch.setattr(token_endpoint.json, "loads", counting)
    _through_the_hooks(doctor, _token_call())
    assert sum('"access_token"' in text for text in decoded) == 1
