"""token.kind: access, ID and refresh tokens as real providers issue them.

Each claim set below is the provider's own documented example (URL beside it), with long
opaque values shortened. The point is twofold: ID and refresh tokens are recognised, and
ordinary access tokens, which share many single signs with ID tokens (amr, azp, aud equal to
azp, profile claims, a nonce in Keycloak's), are never called ID tokens.
"""

from __future__ import annotations

from typing import Any

import pytest

from authdoctor.engine.facts.token_kind import COGNITO_FIELD
from authdoctor.engine.facts.token_kind import DEFAULT_FIELD
from authdoctor.engine.facts.token_kind import KEYCLOAK_FIELD
from authdoctor.engine.facts.token_kind import access_token_field
from authdoctor.engine.facts.token_kind import classify
from authdoctor.engine.facts.token_kind import media_type
from authdoctor.engine.facts.token_kind import typ_facts

JWT = {"typ": "JWT", "alg": "RS256", "kid": "k1"}

# Microsoft Entra ID v1.0 access token (sample in
# https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens; claims in
# https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference)
ENTRA_V1_ACCESS = {
    "aud": "ef1da9d4-ff77-4c3e-a005-840c3f830745",
    "iss": "https://sts.windows.net/fa15d692-e9c7-4460-a743-29f2956fd429/",
    "iat": 1537233106, "nbf": 1537233106, "exp": 1537237006,
    "acr": "1", "aio": "AXQAi/8IAAAA", "amr": ["wia"],
    "appid": "75dbe77f-10a3-4e59-85fd-8c127544f17c", "appidacr": "0",
    "email": "AbeLi@microsoft.com", "family_name": "Lincoln", "given_name": "Abe (MSFT)",
    "idp": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
    "ipaddr": "222.222.222.22", "name": "abeli", "oid": "02223b6b-aa1d-42d4-9ec0-1b2bb9194438",
    "rh": "I", "scp": "user_impersonation", "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
    "tid": "fa15d692-e9c7-4460-a743-29f2956fd429", "unique_name": "abeli@microsoft.com",
    "uti": "FVsGxYXI30-TuikuuUoFAA", "ver": "1.0",
}  # fmt: skip
# Microsoft Entra ID v2.0 access token for the client's own API: aud equals azp (same page)
ENTRA_V2_ACCESS = {
    "aud": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
    "iss": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
    "iat": 1537231048, "nbf": 1537231048, "exp": 1537234948, "aio": "AXQAi/8IAAAA",
    "azp": "6e74172b-be56-4843-9ff4-e66a39bb12e3", "azpacr": "0", "name": "Abe Lincoln",
    "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "preferred_username": "abeli@microsoft.com",
    "rh": "I", "scp": "access_as_user", "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
    "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47", "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
}  # fmt: skip
# Microsoft Entra ID v2.0 ID token
# (https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference)
ENTRA_V2_ID = {
    "ver": "2.0",
    "iss": "https://login.microsoftonline.com/9122040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    "aud": "6cb04018-a3f5-46a7-b995-940c78f5aef3",
    "exp": 1536361411, "iat": 1536274711, "nbf": 1536274711,
    "name": "Abe Lincoln", "preferred_username": "AbeLi@microsoft.com",
    "oid": "00000000-0000-0000-66f3-3332eca7ea81", "tid": "9122040d-6c67-4c5b-b112-36a304b66dad",
    "nonce": "123523", "aio": "Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQ",
}  # fmt: skip
# Auth0 access token, Auth0 profile (https://auth0.com/docs/secure/tokens/access-tokens and
# https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles)
AUTH0_ACCESS = {
    "iss": "https://my-domain.auth0.com/", "sub": "auth0|123456",
    "aud": ["https://example.com/health-api", "https://my-domain.auth0.com/userinfo"],
    "azp": "my_client_id", "exp": 1311281970, "iat": 1311280970,
    "scope": "openid profile read:patients read:admin",
}  # fmt: skip
# Auth0 machine-to-machine access token (client credentials; same profile page)
AUTH0_M2M_ACCESS = {
    "iss": "https://my-domain.auth0.com/", "sub": "my_client_id@clients",
    "aud": "https://example.com/health-api", "iat": 1311280970, "exp": 1311281970,
    "scope": "read:patients", "gty": "client-credentials", "azp": "my_client_id",
}  # fmt: skip
# Auth0 access token, RFC 9068 profile: header typ at+jwt (access-token-profiles page)
AUTH0_RFC9068_HEADER = {"alg": "RS256", "typ": "at+jwt", "kid": "1i9F0dpd6nm4"}
AUTH0_RFC9068_ACCESS = {
    "iss": "https://my-domain.auth0.com/", "sub": "auth0|123456",
    "aud": "https://example.com/health-api", "iat": 1311280970, "exp": 1311281970,
    "scope": "read:patients", "jti": "0TH0LLmXNRH8fD6MaEkCzU", "client_id": "my_client_id",
}  # fmt: skip
# Auth0 ID token: no nonce, no azp (https://auth0.com/docs/secure/tokens/id-tokens/id-token-structure)
AUTH0_ID = {
    "iss": "http://my-domain.auth0.com", "sub": "auth0|123456", "aud": "my_client_id",
    "exp": 1311281970, "iat": 1311280970, "name": "Jane Doe", "given_name": "Jane",
    "family_name": "Doe", "gender": "female", "birthdate": "0000-10-31",
    "email": "janedoe@example.com", "picture": "http://example.com/janedoe/me.jpg",
}  # fmt: skip
# Okta access token (https://developer.okta.com/docs/reference/api/oidc/#access-token-payload)
OKTA_ACCESS = {
    "ver": 1, "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
    "iss": "https://example.okta.com/oauth2/aus8dv2rf1rSmWfyb0h7",
    "aud": "https://api.example.com", "sub": "00ujmkLgagxeRrAg20g3",
    "iat": 1467145094, "exp": 1467148694, "cid": "nmdP1fcyvdVO11AL7ECm",
    "uid": "00ujmkLgagxeRrAg20g3", "scp": ["openid", "email", "flights", "custom"],
    "auth_time": 1467142021, "custom_claim": "CustomValue",
}  # fmt: skip
# Okta ID token (https://developer.okta.com/docs/reference/api/oidc/#id-token-payload)
OKTA_ID = {
    "ver": 1, "sub": "00uid4BxXw6I6TV4m0g3", "iss": "https://example.okta.com",
    "aud": "uAaunofWkaDJxukCFeBx", "iat": 1449624026, "exp": 1449627626, "amr": ["pwd"],
    "jti": "ID.4eAWJOCMB3SX8XewDfVR", "auth_time": 1449624026,
    "at_hash": "cpqKfdQA5eH891Ff5oJr_Q", "idp": "00ubgaSARVOQDIOXMORI", "nonce": "n-0S6_WzA2Mj",
    "name": "John Doe", "preferred_username": "john.doe@example.com",
    "email": "john.doe@example.com", "email_verified": True,
}  # fmt: skip
# Keycloak: the payload typ claim says Bearer, ID, Refresh or Offline (keycloak-js exposes
# token / idToken / refreshToken, https://www.keycloak.org/securing-apps/javascript-adapter;
# the typ values: https://github.com/keycloak/keycloak-nodejs-connect/pull/146). Its access
# tokens carry the login's nonce too (keycloak-js checks tokenParsed.nonce).
_KEYCLOAK = {
    "exp": 1700000300, "iat": 1700000000, "auth_time": 1699999990, "jti": "b5a1c2d3",
    "iss": "https://sso.example.com/realms/shop", "sub": "f3c9e1a0-5b7d-4c2e-9a8f-1d2e3f4a5b6c",
    "azp": "shop-web", "nonce": "5d3f9a1c", "session_state": "0d7e", "sid": "0d7e",
}  # fmt: skip
KEYCLOAK_ACCESS = {
    **_KEYCLOAK, "aud": "account", "typ": "Bearer", "acr": "1",
    "realm_access": {"roles": ["offline_access"]}, "scope": "openid email profile",
    "email_verified": False, "preferred_username": "jane",
}  # fmt: skip
KEYCLOAK_ID = {
    **_KEYCLOAK, "aud": "shop-web", "typ": "ID", "at_hash": "hR7bD-0x2Qx7zTt9yJm2Ug",
    "email_verified": False, "preferred_username": "jane",
}  # fmt: skip
KEYCLOAK_REFRESH_HEADER = {"alg": "HS512", "typ": "JWT", "kid": "8d1c"}
KEYCLOAK_REFRESH = {
    **_KEYCLOAK, "aud": "https://sso.example.com/realms/shop", "typ": "Refresh",
    "scope": "openid email profile",
}  # fmt: skip
KEYCLOAK_OFFLINE = {**KEYCLOAK_REFRESH, "typ": "Offline", "scope": "openid offline_access"}
# Amazon Cognito access token: no aud, token_use access
# (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html)
COGNITO_ACCESS = {
    "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "device_key": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "cognito:groups": ["admin"], "token_use": "access", "scope": "aws.cognito.signin.user.admin",
    "auth_time": 1562190524, "iss": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example",
    "exp": 1562194124, "iat": 1562190524, "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "event_id": "bbbbbbbb-cccc-dddd-eeee-ffffffffffff",
    "jti": "cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa",
    "client_id": "57cbishk4j24pabc1234567890", "username": "janedoe@example.com",
}  # fmt: skip
# Amazon Cognito ID token: token_use id
# (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html)
COGNITO_ID = {
    "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "cognito:groups": ["test-group-a"],
    "email_verified": True, "iss": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example",
    "cognito:username": "my-test-user", "origin_jti": "cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa",
    "aud": "xxxxxxxxxxxxexample", "event_id": "64f513be-32db-42b0-b78e-b02127b4f463",
    "token_use": "id", "auth_time": 1676312777, "name": "John Doe", "exp": 1676316377,
    "iat": 1676312777, "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "email": "my-test-user@example.com",
}  # fmt: skip
# Google ID token (https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload);
# Google's access tokens are opaque ("ya29...."), see test_an_opaque_token_gets_no_kind.
GOOGLE_ID = {
    "iss": "https://accounts.google.com", "azp": "1234987819200.apps.googleusercontent.com",
    "aud": "1234987819200.apps.googleusercontent.com", "sub": "10769150350006150715113082367",
    "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q", "hd": "example.com", "email": "jsmith@example.com",
    "email_verified": "true", "iat": 1353601026, "exp": 1353604926,
    "nonce": "0394852-3190485-2490358",
}  # fmt: skip
# Microsoft Graph access tokens carry a nonce in their *header*, not in the claims.
GRAPH_HEADER = {"typ": "JWT", "nonce": "AQABAAAAAAD", "alg": "RS256", "x5t": "nOo3", "kid": "nOo3"}
GRAPH_ACCESS = {**ENTRA_V1_ACCESS, "aud": "00000003-0000-0000-c000-000000000000"}


def _without(claims: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in names}


@pytest.mark.parametrize(
    ("header", "claims", "kind", "first_reason"),
    [
        (JWT, ENTRA_V1_ACCESS, "access", "Entra access-token claim appidacr"),
        (JWT, ENTRA_V2_ACCESS, "access", "Entra access-token claim azpacr"),
        (GRAPH_HEADER, GRAPH_ACCESS, "access", "Entra access-token claim appidacr"),
        (JWT, ENTRA_V2_ID, "id", "has nonce"),
        (JWT, AUTH0_ACCESS, "access", "grants access (a scope claim)"),
        (JWT, AUTH0_M2M_ACCESS, "access", "grants access (a scope claim)"),
        (AUTH0_RFC9068_HEADER, AUTH0_RFC9068_ACCESS, "access",
         "header typ is at+jwt (RFC 9068 access token)"),
        (JWT, AUTH0_ID, "id", "profile claims (email, name, given_name, family_name, picture)"),
        (JWT, OKTA_ACCESS, "access", "grants access (a scp claim)"),
        (JWT, OKTA_ID, "id", "has nonce"),
        (JWT, KEYCLOAK_ACCESS, "access", "Keycloak typ claim is Bearer"),
        (JWT, KEYCLOAK_ID, "id", "Keycloak typ claim is ID"),
        (KEYCLOAK_REFRESH_HEADER, KEYCLOAK_REFRESH, "refresh", "Keycloak typ claim is Refresh"),
        (KEYCLOAK_REFRESH_HEADER, KEYCLOAK_OFFLINE, "refresh", "Keycloak typ claim is Offline"),
        ({"kid": "abcd", "alg": "RS256"}, COGNITO_ACCESS, "access", "Cognito token_use is access"),
        ({"kid": "abcd", "alg": "RS256"}, COGNITO_ID, "id", "Cognito token_use is id"),
        (JWT, GOOGLE_ID, "id", "has nonce"),
    ],
    ids=[
        "entra-v1-access", "entra-v2-access", "graph-access", "entra-v2-id", "auth0-access",
        "auth0-m2m-access", "auth0-rfc9068-access", "auth0-id", "okta-access", "okta-id",
        "keycloak-access", "keycloak-id", "keycloak-refresh", "keycloak-offline",
        "cognito-access", "cognito-id", "google-id",
    ],
)  # fmt: skip
def test_provider_tokens(header: dict, claims: dict, kind: str, first_reason: str) -> None:
    found, evidence = classify(header, claims)
    assert (found, evidence[0]) == (kind, first_reason)


@pytest.mark.parametrize(
    "claims",
    [_without(ENTRA_V1_ACCESS, "appidacr"), _without(ENTRA_V2_ACCESS, "azpacr")],
    ids=["entra-v1", "entra-v2"],
)
def test_entra_access_tokens_stay_access_tokens_without_their_marker(claims: dict) -> None:
    """amr, profile claims and aud == azp are there, but so is scp: an access token."""
    kind, evidence = classify(JWT, claims)
    assert kind == "access"
    assert evidence[0] == "grants access (a scp claim)"


@pytest.mark.parametrize(
    ("claims", "evidence"),
    [
        # Google without nonce and at_hash: aud is its own client, an email, no scope
        (
            _without(GOOGLE_ID, "nonce", "at_hash"),
            [
                "aud is the token's own client (1234987819200.apps.googleusercontent.com), "
                "not an API",
                "profile claims (email)",
                "no scope, scp or roles claim",
            ],
        ),
        # Okta without nonce and at_hash: its jti prefix and profile claims
        (
            _without(OKTA_ID, "nonce", "at_hash"),
            ["profile claims (email, name)", "Okta ID-token jti (ID.…)",
             "no scope, scp or roles claim"],
        ),
        # Entra without nonce: profile claims, nothing granted
        (_without(ENTRA_V2_ID, "nonce"), ["profile claims (name)", "no scope, scp or roles claim"]),
    ],
    ids=["google", "okta", "entra"],
)  # fmt: skip
def test_two_weak_signs_make_an_id_token(claims: dict, evidence: list[str]) -> None:
    assert classify(JWT, claims) == ("id", evidence)


@pytest.mark.parametrize(
    ("claims", "kind"),
    [
        # an app-only token with no scope or roles, for another API: nothing says what it is
        ({"aud": "https://api.example.com", "azp": "svc", "sub": "svc", "exp": 2}, "unknown"),
        # aud is its own client, but it grants something: one weak sign is not enough
        ({"aud": "svc", "azp": "svc", "roles": ["Reader"], "exp": 2}, "access"),
        # profile claims in an access token that grants scopes
        ({"aud": "https://api.example.com", "email": "a@example.com", "scope": "read"}, "access"),
    ],
    ids=["nothing", "aud-is-client-but-grants", "profile-claims-but-grants"],
)
def test_single_signs_do_not_make_an_id_token(claims: dict, kind: str) -> None:
    assert classify(JWT, claims)[0] == kind


def test_a_provider_marker_beats_a_nonce() -> None:
    """Keycloak access tokens carry the login's nonce; their typ claim says Bearer."""
    assert "nonce" in KEYCLOAK_ACCESS
    assert classify(JWT, KEYCLOAK_ACCESS) == ("access", ["Keycloak typ claim is Bearer"])
    assert classify(JWT, _without(KEYCLOAK_ACCESS, "typ"))[0] == "id"  # the marker decides


def test_a_header_nonce_is_not_a_claim() -> None:
    kind, evidence = classify(GRAPH_HEADER, _without(GRAPH_ACCESS, "appidacr"))
    assert kind == "access" and "has nonce" not in evidence


@pytest.mark.parametrize(
    ("claims", "field"),
    [
        (COGNITO_ACCESS, COGNITO_FIELD),
        (_without(COGNITO_ID, "token_use"), COGNITO_FIELD),  # known by its issuer too
        (KEYCLOAK_ID, KEYCLOAK_FIELD),
        (_without(KEYCLOAK_ID, "typ"), KEYCLOAK_FIELD),  # ".../realms/<name>"
        (GOOGLE_ID, DEFAULT_FIELD),
        (AUTH0_ID, DEFAULT_FIELD),
    ],
    ids=["cognito", "cognito-issuer", "keycloak", "keycloak-issuer", "google", "auth0"],
)
def test_the_field_to_send_is_named_for_the_provider(claims: dict, field: str) -> None:
    assert access_token_field(claims) == field


@pytest.mark.parametrize(
    ("value", "expected"),
    [("at+jwt", "at+jwt"), ("application/at+jwt", "at+jwt"), ("AT+JWT", "at+jwt"),
     ("JWT", "jwt"), (None, ""), (5, "")],
)  # fmt: skip
def test_media_type(value: object, expected: str) -> None:
    assert media_type(value) == expected


@pytest.mark.parametrize(
    ("typ", "ok"),
    [("at+jwt", True), ("application/at+jwt", True), ("JWT", False), (None, False)],
)
def test_typ_facts(typ: str | None, ok: bool) -> None:
    facts: dict[str, Any] = {"token.format": "jwt"}
    if typ is not None:
        facts["token.typ"] = typ
    assert typ_facts("at+jwt", facts) == {
        "profile.access_token_typ": "at+jwt",
        "token.typ_ok": ok,
    }


def test_typ_facts_without_a_profile_typ_or_a_jwt() -> None:
    assert typ_facts(None, {"token.format": "jwt", "token.typ": "JWT"}) == {}
    assert typ_facts("at+jwt", {"token.format": "opaque"}) == {"profile.access_token_typ": "at+jwt"}
