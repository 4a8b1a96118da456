"""wrong_token_type through the whole pipeline: ID and refresh tokens sent as access tokens,
known from their claims or from a token response the session saw, and the RFC 9068 typ check
of a profile. Flows are mitmproxy tflow flows (tests/unit/authflows.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from mitmproxy import http

from authdoctor.engine.analysis import Analysis
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import annotate
from authdoctor.engine.facts.catalogue import CATALOGUE
from authdoctor.engine.facts.catalogue import PYTHON_TYPES
from authdoctor.engine.facts.token import fingerprint
from authdoctor.engine.facts.token_kind import COGNITO_FIELD
from authdoctor.engine.facts.token_kind import KEYCLOAK_FIELD
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.session_record import record
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.settings import Settings
from authdoctor.errors import LoadError
from authdoctor.profiles.profile import load_profile
from authdoctor.profiles.profile import load_profiles
from authdoctor.util.deferred import Deferred
from tests.unit.authflows import CLIENT_ID
from tests.unit.authflows import SENT
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import company_x_error
from tests.unit.authflows import flow
from tests.unit.authflows import response
from tests.unit.engine.facts.test_token_kind import COGNITO_ID
from tests.unit.engine.facts.test_token_kind import KEYCLOAK_REFRESH

DEVICES = "https://api.xxx.com/v2/devices"
TOKEN_URL = "https://auth.xxx.com/oauth/token"
FORM = ("Content-Type", "application/x-www-form-urlencoded")
REFRESH = "rt_" + "Zm9vYmFyYmF6cXV4" * 3  # opaque, like the sandbox's refresh tokens
ID_RULE = ("id-token-as-access-token", "wrong_token_type")
REFRESH_RULE = ("refresh-token-as-access-token", "wrong_token_type")
TYP_RULE = ("access-token-typ-mismatch", "wrong_token_type")


def found(result: Analysis) -> set[tuple[str, str]]:
    return {(f.rule, f.cause) for f in result.diagnosis.findings}


def _id_token(issuer: Issuer, **claims: Any) -> str:
    """Company X's issuer, audience the client itself, no scope: an OIDC ID token."""
    return issuer.token(aud=CLIENT_ID, scope=None, **claims)


def _sent(f: http.HTTPFlow, t: float) -> http.HTTPFlow:
    """Send the flow t seconds after SENT, answered one second later."""
    f.request.timestamp_start = f.request.timestamp_end = SENT + t
    if f.response is not None:
        f.response.timestamp_start = f.response.timestamp_end = SENT + t + 1
    return f


def _token_response(t: float, **tokens: str) -> http.HTTPFlow:
    """An OpenID Connect token response at Company X's token endpoint."""
    body = {"token_type": "Bearer", "expires_in": 3600, "scope": "openid read", **tokens}
    content = b"grant_type=client_credentials&client_id=demo-client&client_secret=x&scope=openid"
    answer = response(200, body=body, date_offset=int(t))
    return _sent(flow(TOKEN_URL, method="POST", headers=[FORM], content=content, resp=answer), t)


def _call(t: float, token: str, status: int = 401) -> http.HTTPFlow:
    answer = company_x_error(date_offset=int(t)) if status == 401 else response(status)
    return _sent(flow(DEVICES, headers=[bearer(token)], resp=answer), t)


def _send(store: SessionStore, ruleset: Ruleset, settings: Settings, *flows) -> list[Analysis]:
    """Analyse and record each flow, as the addon's response hook does."""
    results = []
    for f in flows:
        result = Analyzer(ruleset, settings, store).analyze(f)
        record(store, f, result.extracted, result.diagnosis)
        results.append(result)
    return results


# --- from the claims ---------------------------------------------------------------------


def test_an_id_token_wins_over_the_audience_mismatch(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    token = _id_token(issuer, nonce="n-0S6_WzA2Mj")
    f = flow(DEVICES, headers=[bearer(token)], resp=company_x_error())
    result = Analyzer(ruleset, settings).analyze(f)
    assert result.facts["token.audience_ok"] is False  # audience-mismatch would match alone
    assert result.facts["token.kind"] == "id"
    assert found(result) == {ID_RULE}
    assert result.diagnosis.cause == "wrong_token_type"
    annotate(f, result.diagnosis, result.token_summary())
    assert f"({fingerprint(token)})" in f.comment
    assert "has nonce" in f.comment
    assert token.rsplit(".", 1)[1] not in f.comment + json.dumps(f.metadata["authdoctor"])


def test_an_id_token_the_server_accepted_only_warns(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    f = flow(DEVICES, headers=[bearer(_id_token(issuer, at_hash="x4Bv0jqmQ8"))], resp=response())
    diagnosis = Analyzer(ruleset, settings).analyze(f).diagnosis
    assert [(x.rule, x.severity) for x in diagnosis.findings] == [(ID_RULE[0], "warning")]
    assert diagnosis.cause is None


def test_a_keycloak_refresh_token_names_keycloaks_fields(
    ruleset: Ruleset, settings: Settings
) -> None:
    claims = {**KEYCLOAK_REFRESH, "iat": int(SENT) - 60, "exp": int(SENT) + 1800}
    token = jwt.encode(claims, "k" * 64, algorithm="HS512", headers={"kid": "8d1c"})
    result = Analyzer(ruleset, settings).analyze(
        flow(DEVICES, headers=[bearer(token)], resp=company_x_error())
    )
    assert result.diagnosis.primary is not None
    assert (result.diagnosis.primary.rule, result.diagnosis.cause) == REFRESH_RULE
    assert "refresh token, not an access token: Keycloak typ claim is Refresh" in (
        result.diagnosis.primary.explain
    )
    assert result.diagnosis.primary.fix[0] == f"Send {KEYCLOAK_FIELD} as the Bearer token."


def test_a_cognito_id_token_names_cognitos_fields(ruleset: Ruleset, settings: Settings) -> None:
    claims = {**COGNITO_ID, "iat": int(SENT) - 60, "exp": int(SENT) + 1800}
    token = jwt.encode(claims, "k" * 32, algorithm="HS256")
    result = Analyzer(ruleset, settings).analyze(
        flow(DEVICES, headers=[bearer(token)], resp=company_x_error())
    )
    primary = result.diagnosis.primary
    assert primary is not None and primary.rule == ID_RULE[0]
    assert "Cognito token_use is id" in primary.explain
    assert primary.fix[0].startswith(f"Send {COGNITO_FIELD} as the Bearer token")


# --- from the session: this very token came back as id_token or refresh_token ------------


@pytest.fixture
def store() -> SessionStore:
    return SessionStore()


def test_tokens_handed_out_and_sent_back_as_bearer(
    issuer: Issuer, ruleset: Ruleset, settings: Settings, store: SessionStore
) -> None:
    access = issuer.token(issued=0, expires=3600, client_id="demo-client")
    id_token = issuer.token(aud="demo-client", scope=None, client_id="demo-client")
    _, good, with_id, with_refresh = _send(
        store,
        ruleset,
        settings,
        _token_response(0, access_token=access, id_token=id_token, refresh_token=REFRESH),
        _call(10, access, status=200),
        _call(20, id_token),
        _call(30, REFRESH),
    )
    assert found(good) == set()
    assert found(with_id) == {ID_RULE}
    assert found(with_refresh) == {REFRESH_RULE}  # not opaque-token-where-jwt-expected
    assert with_refresh.facts["session.issued_as"] == "refresh_token"
    assert str(with_refresh.facts["session.issued_as_ago"]) == "30 s"
    assert with_refresh.facts["token.kind_evidence"] == [
        "the token endpoint issued this very token as refresh_token earlier in this session"
    ]
    assert with_id.facts["token.kind_evidence"][0].endswith("as id_token earlier in this session")
    assert with_id.facts["token.kind_evidence"][1:] == [
        "aud is the token's own client (demo-client), not an API",
        "no scope, scp or roles claim",
    ]


def test_the_store_keeps_fingerprints_not_tokens(
    issuer: Issuer, ruleset: Ruleset, settings: Settings, store: SessionStore
) -> None:
    id_token = issuer.token(aud="demo-client", scope=None)
    access = issuer.token()
    _send(store, ruleset, settings, _token_response(0, access_token=access, id_token=id_token,
                                                    refresh_token=REFRESH))  # fmt: skip
    held = {name: (h.issued_as, h.client) for name, h in store.handed_out.items()}
    assert held == {
        fingerprint(REFRESH): ("refresh_token", "client:demo-client"),
        fingerprint(id_token): ("id_token", "client:demo-client"),
    }
    assert REFRESH not in repr(store.handed_out) and id_token not in repr(store.handed_out)
    assert store.size() == 5  # the access token, two handed out, the client, its token call


def test_an_opaque_token_never_seen_issued_gets_no_kind(
    ruleset: Ruleset, settings: Settings, store: SessionStore
) -> None:
    (result,) = _send(store, ruleset, settings, _call(0, REFRESH))
    assert "token.kind" not in result.facts
    assert found(result) == {("opaque-token-where-jwt-expected", "malformed_token")}


def test_a_token_sent_before_the_response_that_issued_it_is_not_judged_by_it(
    ruleset: Ruleset, settings: Settings, store: SessionStore, issuer: Issuer
) -> None:
    """Recordings may be analysed out of order: the response came after this request left."""
    later = _token_response(50, access_token=issuer.token(), refresh_token=REFRESH)
    _, early = _send(store, ruleset, settings, later, _call(10, REFRESH))
    assert "session.issued_as" not in early.facts
    assert REFRESH_RULE not in found(early)


# --- the profile's RFC 9068 typ ----------------------------------------------------------


@pytest.fixture(scope="module")
def typed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("typed")
    (folder / "typed.yaml").write_text(
        "id: company-x-typed\ntitle: Company X REST API\nextends: company-x\n"
        "access_token_typ: at+jwt\n"
    )
    return Settings(profiles=load_profiles([str(folder / "typed.yaml")]))


def _typed(issuer: Issuer, typ: str | None) -> str:
    claims = jwt.decode(issuer.token(), options={"verify_signature": False})
    return jwt.encode(claims, issuer.key, algorithm="RS256", headers={"kid": "k1", "typ": typ})


@pytest.mark.parametrize(
    ("typ", "expected"),
    [("at+jwt", set()), ("application/at+jwt", set()), ("JWT", {TYP_RULE}), (None, {TYP_RULE})],
)
def test_a_profile_that_expects_at_jwt(
    issuer: Issuer, ruleset: Ruleset, typed_settings: Settings, typ: str | None, expected: set
) -> None:
    """A well-formed token rejected for its typ: not "revoked", which it would look like."""
    f = flow(DEVICES, headers=[bearer(_typed(issuer, typ))], resp=company_x_error())
    result = Analyzer(ruleset, typed_settings).analyze(f)
    assert result.facts["profile.access_token_typ"] == "at+jwt"
    assert result.facts["token.typ_ok"] is (not expected)
    if expected:
        assert found(result) == expected
    else:
        assert found(result) == {("token-revoked", "token_revoked")}


def test_an_id_token_to_a_typed_api_is_called_an_id_token(
    issuer: Issuer, ruleset: Ruleset, typed_settings: Settings
) -> None:
    f = flow(DEVICES, headers=[bearer(_id_token(issuer, nonce="n1"))], resp=company_x_error())
    assert found(Analyzer(ruleset, typed_settings).analyze(f)) == {ID_RULE}


def test_access_token_typ_is_loaded_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("id: good\ntitle: Good\naccess_token_typ: application/at+jwt\n")
    assert load_profile(str(good)).access_token_typ == "application/at+jwt"
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\naccess_token_typ: [at+jwt]\n")
    with pytest.raises(LoadError) as caught:
        load_profile(str(bad))
    assert str(caught.value).startswith(f"{bad}:3: 'bad': access_token_typ: ")


# --- when nothing decides ------------------------------------------------------------------


def test_an_unexplained_failure_keeps_wrong_token_type_open(
    issuer: Issuer, ruleset: Ruleset, settings: Settings
) -> None:
    opaque = flow("https://api.example.com/v1/x", headers=[bearer(REFRESH)], resp=response(401))
    access = flow(
        "https://api.example.com/v1/x", headers=[bearer(issuer.token())], resp=response(401)
    )
    assert (
        "wrong_token_type"
        in Analyzer(ruleset, settings).analyze(opaque).facts["analysis.open_causes"]
    )
    assert (
        "wrong_token_type"
        not in Analyzer(ruleset, settings).analyze(access).facts["analysis.open_causes"]
    )


def test_the_new_facts_are_declared_with_their_types(
    issuer: Issuer, ruleset: Ruleset, typed_settings: Settings, store: SessionStore
) -> None:
    results = _send(
        store,
        ruleset,
        typed_settings,
        _token_response(0, access_token=issuer.token(), id_token=_id_token(issuer),
                        refresh_token=REFRESH),
        _call(10, _id_token(issuer)),
        _call(20, REFRESH),
    )  # fmt: skip
    names = {name for r in results for name in r.facts}
    assert {"token.kind", "token.kind_evidence", "session.issued_as", "token.typ_ok"} <= names
    for result in results:
        for name, value in result.facts.items():
            spec = CATALOGUE[name]
            lazy = spec.text_only and isinstance(value, Deferred)
            assert lazy or isinstance(value, PYTHON_TYPES[spec.type]), name
