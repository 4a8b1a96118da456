"""The whole pipeline, Analyzer.analyze() -> annotate(), on flows built from arbitrary request and
response headers and bodies: declared facts, a rendered comment, a flow that can still be
saved and read back, and no credential echoed by the server in what is shown."""

from __future__ import annotations

import io
import json

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy import io as mitm_io
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import annotate
from authdoctor.engine.annotate import render_comment
from authdoctor.engine.session_record import record
from authdoctor.engine.sessions import SessionStore
from tests.hostile import shipped
from tests.hostile.strategies import B64URL_CHARS
from tests.hostile.strategies import assert_declared
from tests.hostile.strategies import compress
from tests.hostile.strategies import flows
from tests.hostile.strategies import json_bytes
from tests.hostile.strategies import scaled
from tests.hostile.strategies import wire

SENT = tutils.treq().timestamp_start
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _saved_and_read_back(flow: http.HTTPFlow) -> http.HTTPFlow:
    buffer = io.BytesIO()
    mitm_io.FlowWriter(buffer).add(flow)
    buffer.seek(0)
    (read,) = mitm_io.FlowReader(buffer).stream()
    assert isinstance(read, http.HTTPFlow)
    return read


@scaled(1.0)
@given(flows())
def test_any_flow_is_analysed_annotated_and_still_saved(
    flow: http.HTTPFlow,
) -> None:
    before = (flow.request.get_state(), flow.response.get_state() if flow.response else None)
    result = Analyzer(shipped.rules(), shipped.settings()).analyze(flow)
    assert_declared(result.facts)
    assert isinstance(render_comment(result.diagnosis), str)
    annotate(flow, result.diagnosis, result.token_summary())
    # The proxy never alters a flow because of us: only the comment, marker and metadata.
    assert (flow.request.get_state(), flow.response.get_state() if flow.response else None) == (
        before
    )
    assert _saved_and_read_back(flow).comment == flow.comment


@scaled(0.4)
@given(st.lists(flows(), min_size=2, max_size=5))
def test_a_session_of_any_flows(
    session: list[http.HTTPFlow],
) -> None:
    """The session store carries what earlier flows showed into later ones: any sequence."""
    store = SessionStore()
    for flow in session:
        result = Analyzer(shipped.rules(), shipped.settings(), store).analyze(flow)
        assert_declared(result.facts)
        record(store, flow, result.extracted, result.diagnosis)
        annotate(flow, result.diagnosis, result.token_summary())


# A credential the server quotes back, anywhere it may: none of it may reach what is shown.


def _signed_jwt(claims: dict) -> str:
    payload = {"iss": "https://auth.xxx.com/", "aud": "https://api.xxx.com", **claims}
    return jwt.encode(payload, KEY, algorithm="RS256", headers={"kid": "cx-2026-01"})


credentials = st.one_of(
    st.builds(
        _signed_jwt,
        st.fixed_dictionaries(
            {"exp": st.integers(int(SENT) - 10**6, int(SENT) + 10**6)},
            optional={"scope": st.sampled_from(["read", ""]), "nonce": st.just("n")},
        ),
    ),
    st.builds(
        str.__add__,
        st.sampled_from(["sk_live_", "sk_test_", "ghp_", "github_pat_", "glpat-", "sk-proj-"]),
        st.text(alphabet=B64URL_CHARS, min_size=24, max_size=40),
    ),
)
PLACES = ("error_description", "realm", "error", "scope", "body_description", "body_message",
          "body_error", "body_code", "body_request_id", "plain", "x-request-id", "server",
          "x-amzn-errortype")  # fmt: skip


def _echoing_answer(token: str, places: set[str], status: int, coding: str) -> http.Response:
    challenge_params = [
        f'{name}="The token {token} was rejected"'
        for name in ("realm", "error", "error_description", "scope")
        if name in places
    ]
    pairs = [(b"WWW-Authenticate", wire("Bearer " + ", ".join(challenge_params)))]
    for name in ("x-request-id", "server", "x-amzn-errortype"):
        if name in places:
            pairs.append((name.encode(), wire(token)))
    body = {
        key: f"bad token: {token}"
        for key in ("description", "message", "error", "code", "request_id")
        if f"body_{key}" in places
    }
    if "plain" in places:
        data, content_type = wire(f"Jwt verification fails: {token}"), b"text/plain"
    else:
        data = json_bytes(
            {k.replace("description", "error_description"): v for k, v in body.items()}
        )
        content_type = b"application/json"
    pairs.append((b"Content-Type", content_type))
    if coding:
        pairs.append((b"Content-Encoding", coding.encode()))
    return tutils.tresp(
        status_code=status, headers=http.Headers(pairs), content=compress(data, coding)
    )


@scaled(1.0)
@given(
    credentials,
    st.sets(st.sampled_from(PLACES), min_size=1),
    st.sampled_from([400, 401, 403]),
    st.sampled_from(["", "gzip"]),
    st.sampled_from(["https://api.xxx.com/v2/devices", "https://x.okta.com/api/v1/users"]),
)
def test_a_credential_the_server_echoes_is_not_shown(
    token: str,
    places: set[str],
    status: int,
    coding: str,
    url: str,
) -> None:
    host, _, path = url.removeprefix("https://").partition("/")
    request = tutils.treq(
        host=host,
        port=443,
        scheme=b"https",
        path=wire("/" + path),
        headers=http.Headers([(b"Authorization", wire(f"Bearer {token}"))]),
    )
    flow = tflow.tflow(req=request, resp=_echoing_answer(token, places, status, coding))
    result = Analyzer(shipped.rules(), shipped.settings()).analyze(flow)
    annotate(flow, result.diagnosis, result.token_summary())
    shown = flow.comment + json.dumps(flow.metadata["authdoctor"], default=str)
    secret = token.rsplit(".", 1)[-1] if token.startswith("eyJ") else token
    assert secret not in shown
