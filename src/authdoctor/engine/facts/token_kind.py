"""Which kind of token a bearer credential is: an access token, or an OpenID Connect ID token
or a refresh token sent in its place.

Only an access token is a credential for an API (RFC 6750); an ID token tells the client who
signed in (OIDC Core section 2) and a refresh token is for the token endpoint alone. Neither
says so in a standard claim, so the answer is built from evidence, in this order:

1. markers that name the kind outright: Cognito's `token_use`, Keycloak's payload `typ`
   (Bearer, ID, Refresh, Offline), the RFC 9068 header `typ: at+jwt`, and Entra's
   access-token-only claims `azpacr` / `appidacr`;
2. claims only an ID token carries: `nonce`, `at_hash`, `c_hash` (OIDC Core 3.1.3.6);
3. weaker signs, two at least, one of which must be the lack of any scope, scp or roles
   claim (an access token grants something): `aud` is the token's own client, profile
   claims such as email or name, an Okta `jti` starting with "ID.".

Ordinary access tokens share many single signs (Entra v1 tokens carry `amr`, Auth0 tokens
`azp`, an Entra v2 token for the client's own API has aud equal to azp), hence the caution.
"""

from __future__ import annotations

from typing import Any

ACCESS, ID, REFRESH, UNKNOWN = "access", "id", "refresh", "unknown"

_COGNITO_USE = {"access": ACCESS, "id": ID}
_KEYCLOAK_TYP = {"bearer": ACCESS, "id": ID, "refresh": REFRESH, "offline": REFRESH}
_ID_ONLY_CLAIMS = ("nonce", "at_hash", "c_hash")
_AUTHORIZATION_CLAIMS = ("scope", "scp", "roles")
_PROFILE_CLAIMS = ("email", "name", "given_name", "family_name", "nickname", "picture")
_CLIENT_CLAIMS = ("azp", "client_id", "cid")
_ENTRA_ACCESS_CLAIMS = ("azpacr", "appidacr")  # v2 / v1 access tokens only

DEFAULT_FIELD = "the access_token field of the token response (not its id_token or refresh_token)"
COGNITO_FIELD = (
    "the access token: AuthenticationResult.AccessToken from Cognito's InitiateAuth, or "
    "access_token from its /oauth2/token endpoint (not IdToken / id_token, not RefreshToken)"
)
KEYCLOAK_FIELD = (
    "the access_token field of Keycloak's token response (keycloak-js: keycloak.token), not "
    "id_token (keycloak.idToken) or refresh_token (keycloak.refreshToken)"
)


def media_type(value: object) -> str:
    """A JOSE `typ` compared as RFC 7515 section 4.1.9 says: case-insensitively, with the
    "application/" prefix optional."""
    if not isinstance(value, str):
        return ""
    text = value.strip().lower()
    return text.removeprefix("application/")


def _marker(header: dict[str, Any], claims: dict[str, Any]) -> tuple[str, str] | None:
    """The kind a provider states outright, with the reason in words."""
    use = claims.get("token_use")
    if isinstance(use, str) and use in _COGNITO_USE:
        return _COGNITO_USE[use], f"Cognito token_use is {use}"
    typ = claims.get("typ")
    if isinstance(typ, str) and typ.lower() in _KEYCLOAK_TYP:
        return _KEYCLOAK_TYP[typ.lower()], f"Keycloak typ claim is {typ}"
    if media_type(header.get("typ")) == "at+jwt":
        return ACCESS, "header typ is at+jwt (RFC 9068 access token)"
    if entra := [name for name in _ENTRA_ACCESS_CLAIMS if name in claims]:
        return ACCESS, f"Entra access-token claim {entra[0]}"
    return None


def _client_is_audience(claims: dict[str, Any]) -> str | None:
    """The client id when aud is exactly the token's own client (an ID token's audience)."""
    client = next((v for n in _CLIENT_CLAIMS if isinstance(v := claims.get(n), str)), None)
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    return client if client and audiences == [client] else None


def _weak_signs(claims: dict[str, Any]) -> list[str]:
    signs: list[str] = []
    if client := _client_is_audience(claims):
        signs.append(f"aud is the token's own client ({client}), not an API")
    if profile := [name for name in _PROFILE_CLAIMS if name in claims]:
        signs.append(f"profile claims ({', '.join(profile)})")
    jti = claims.get("jti")
    if isinstance(jti, str) and jti.startswith("ID."):
        signs.append("Okta ID-token jti (ID.…)")
    return signs


def classify(header: dict[str, Any], claims: dict[str, Any]) -> tuple[str, list[str]]:
    """(kind, evidence): access | id | refresh | unknown, and the short reasons for it."""
    marker = _marker(header, claims)
    if marker is not None:
        return marker[0], [marker[1]]
    strong = [f"has {name}" for name in _ID_ONLY_CLAIMS if name in claims]
    if strong:
        return ID, strong + _weak_signs(claims)
    grants = next((name for name in _AUTHORIZATION_CLAIMS if name in claims), None)
    if grants is not None:  # the common case, kept cheap: most flows carry access tokens
        return ACCESS, [f"grants access (a {grants} claim)"]
    weak = _weak_signs(claims)
    if weak:
        return ID, [*weak, "no scope, scp or roles claim"]
    return UNKNOWN, weak


def access_token_field(claims: dict[str, Any]) -> str:
    """Where this token's issuer hands out the access token, named as its clients see it."""
    issuer = claims.get("iss")
    issuer = issuer if isinstance(issuer, str) else ""
    if "token_use" in claims or ("cognito-idp." in issuer and ".amazonaws.com/" in issuer):
        return COGNITO_FIELD
    if str(claims.get("typ", "")).lower() in _KEYCLOAK_TYP or "/realms/" in issuer:
        return KEYCLOAK_FIELD
    return DEFAULT_FIELD


def kind_facts(header: dict[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
    """token.kind, its evidence and where the right token is, for a decoded JWT."""
    kind, evidence = classify(header, claims)
    return {
        "token.kind": kind,
        "token.kind_evidence": evidence,
        "token.access_token_field": access_token_field(claims),
    }


def issued_as_facts(facts: dict[str, Any], issued_as: str) -> dict[str, Any]:
    """The kind a token endpoint's answer proves: these very bytes came back as id_token or
    refresh_token earlier in the session. That beats anything the claims suggest."""
    kind = ID if issued_as == "id_token" else REFRESH
    seen = f"the token endpoint issued this very token as {issued_as} earlier in this session"
    agreeing = facts.get("token.kind_evidence", []) if facts.get("token.kind") == kind else []
    return {
        "token.kind": kind,
        "token.kind_evidence": [seen, *agreeing],
        "token.access_token_field": facts.get("token.access_token_field", DEFAULT_FIELD),
    }


def typ_facts(expected: str | None, facts: dict[str, Any]) -> dict[str, Any]:
    """Whether a JWT carries the header typ its API's profile demands (RFC 9068 section 4)."""
    if not expected:
        return {}
    out: dict[str, Any] = {"profile.access_token_typ": expected}
    if facts.get("token.format") == "jwt":
        out["token.typ_ok"] = media_type(facts.get("token.typ")) == media_type(expected)
    return out
