"""Hostile requests for the never-harm test, drawn from a seeded random generator.

Each maker returns (category, method, path with query, headers, body, chunked): what a
client can really put on the wire (HTTP/1.1 or HTTP/2) and what mitmproxy accepts, so that
every exchange must reach the server.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from urllib.parse import quote

from mitmproxy.net import encoding

type Headers = list[tuple[bytes, bytes]]
type Request = tuple[str, str, str, Headers, bytes, bool]

API_PATHS = (
    "/v2/devices", "/v3/devices", "/v2/policies", "/v2/policies/p-17", "/v2/logs/audit",
    "/v2/organizations/current", "/v2/organizations/org-1", "/v2/devices/d-9/actions",
    "/unknown/path", "/",
)  # fmt: skip
ISSUERS = ("https://auth.xxx.com/", "https://auth.staging.xxx.com/", "https://evil.example/", "")
AUDIENCES = ("https://api.xxx.com", "https://api.staging.xxx.com", "other", "")
SCHEMES = (
    "Bearer", "bearer", "BEARER", "Basic", "Token", "Digest", "MAC", "Negotiate", "JWT", "DPoP",
    "ApiKey", "OAuth", "Bearer Bearer", "Bearer\t", "",
)  # fmt: skip
PLACEHOLDERS = ("undefined", "null", "None", "${TOKEN}", "<token>", "{{token}}", "[object Object]")
KEY_PREFIXES = (
    "sk_live_", "sk_test_", "pk_live_", "rk_live_", "ghp_", "gho_", "ghr_", "github_pat_",
    "sk-proj-", "sk-", "glpat-", "AIza", "xoxb-", "",
)  # fmt: skip
KEY_HEADERS = (
    b"X-API-Key", b"api-key", b"apikey", b"X-Goog-Api-Key", b"Ocp-Apim-Subscription-Key",
    b"X-Auth-Token", b"X-Access-Token", b"Token", b"Private-Token", b"X-JWT",
)  # fmt: skip
QUERY_PARAMS = (
    "access_token", "token", "id_token", "api_key", "apikey", "key", "jwt", "code",
    "client_secret", "sig", "refresh_token", "password",
)  # fmt: skip
GRANTS = (
    "client_credentials", "authorization_code", "refresh_token", "password", "implicit", "",
    "urn:ietf:params:oauth:grant-type:jwt-bearer", "x" * 300,
)  # fmt: skip
FORM_FIELDS = (
    "client_id", "client_secret", "scope", "refresh_token", "code", "redirect_uri",
    "code_verifier", "username", "password", "audience", "assertion", "resource",
)  # fmt: skip


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def random_text(rng: random.Random, low: int, high: int) -> str:
    """Token-like characters (base64url), low to high of them."""
    size = rng.randint(low, high)
    return base64.urlsafe_b64encode(rng.randbytes(size * 3 // 4 + 3)).decode()[:size]


def random_bytes(rng: random.Random, low: int, high: int) -> bytes:
    return rng.randbytes(rng.randint(low, high))


def _claims(rng: random.Random) -> object:
    """Claims from plausible Company X ones to garbage: wrong types, huge, deeply nested."""
    now = 1_750_000_000 + rng.randint(-(10**6), 10**6)
    claims: dict[str, object] = {
        "iss": rng.choice(ISSUERS),
        "aud": rng.choice((*AUDIENCES, ["https://api.xxx.com", "other"], [], 7)),
        "sub": rng.choice(("user-1", "", 12, None, "é" * 20)),
        "exp": rng.choice((now, now + 3600, now - 86400, 10**20, -1, "tomorrow", 1.5, None)),
        "iat": rng.choice((now - 60, now + 10**6, "x", 0)),
        "nbf": rng.choice((now, now + 10**5, [], None)),
        "scope": rng.choice(("read", "read write", "devices:read admin", "", ["read"], 5)),
        "typ": rng.choice(("at+jwt", "JWT", "id", "Refresh", 3)),
    }
    shape = rng.randrange(6)
    if shape == 0:  # huge claims
        claims["blob"] = random_text(rng, 5_000, 40_000)
    elif shape == 1:  # deeply nested
        nested: object = "leaf"
        for _ in range(rng.randint(50, 400)):
            nested = {"n": nested} if rng.random() < 0.5 else [nested]
        claims["nested"] = nested
    elif shape == 2:  # many claims
        claims.update({f"c{i}": i for i in range(rng.randint(100, 1500))})
    elif shape == 3:
        return rng.choice(([1, 2, 3], "just a string", 42, None, []))
    return claims


def jwt(rng: random.Random) -> str:
    """A JWT-looking string: sometimes well formed, often broken in one place."""
    header = {
        "alg": rng.choice(("RS256", "HS256", "none", "ES256", "", "RS999")),
        "typ": rng.choice(("at+jwt", "JWT", "application/at+jwt", None)),
        "kid": rng.choice(("k1", "retired-2025", "", None, "../../etc/passwd")),
    }
    parts = [
        b64url(json.dumps(header).encode()),
        b64url(json.dumps(_claims(rng)).encode()),
        b64url(random_bytes(rng, 0, 512)),
    ]
    breakage = rng.randrange(10)
    if breakage == 0:
        parts[1] = "!!!" + parts[1][3:]  # not base64url
    elif breakage == 1:
        parts[0] = b64url(random_bytes(rng, 1, 40))  # header is not JSON
    elif breakage == 2:
        parts = parts[:2]  # two segments
    elif breakage == 3:
        parts.append(b64url(random_bytes(rng, 1, 30)))  # five-ish segments
    elif breakage == 4:
        parts[1] = b64url(b"\xff\xfe" + random_bytes(rng, 1, 60))  # payload is not UTF-8
    elif breakage == 5:
        parts[2] = parts[2][: rng.randint(0, 10)]  # truncated signature
    return ".".join(parts)


def api_key(rng: random.Random) -> str:
    return rng.choice(KEY_PREFIXES) + random_text(rng, 0, rng.choice((8, 40, 200, 4000)))


def _authorization_value(rng: random.Random) -> bytes:
    kind = rng.randrange(12)
    if kind == 0:  # huge, up to 64 KiB
        return f"Bearer {random_text(rng, 8_000, 60_000)}".encode()
    if kind == 1:  # odd schemes around a token
        return f"{rng.choice(SCHEMES)} {rng.choice((jwt(rng), api_key(rng)))}".encode()
    if kind == 2:  # Basic with invalid base64 or invalid content
        return b"Basic " + rng.choice(
            (
                b"!!!notbase64",
                b"YWxpY2U6",
                b"=" * 9,
                base64.b64encode(random_bytes(rng, 1, 200)),
                base64.b64encode(b"alice:" + random_bytes(rng, 0, 50)),
            )
        )
    if kind == 3:  # latin-1 and UTF-8 bytes
        return b"Bearer " + rng.choice((b"caf\xe9", "tök€n".encode(), bytes(range(0x80, 0x100))))
    if kind == 4:  # placeholders and empties
        return f"Bearer {rng.choice(PLACEHOLDERS)}".encode() if rng.random() < 0.8 else b"Bearer"
    if kind == 5:  # stray characters
        token = jwt(rng)
        return rng.choice(
            (
                f'Bearer "{token}"',
                f"Bearer  {token}",
                f"Bearer {token};",
                f"Bearer {token[:20]} {token[20:]}",
                f"Bearer\t{token}",
                f"Bearer {token},Bearer {token}",
                f"Bearer '{token}'",
            )
        ).encode()
    if kind == 6:  # only a token, no scheme
        return jwt(rng).encode()
    if kind == 7:  # many auth-params
        params = ", ".join(
            f'p{i}="{random_text(rng, 0, 20)}"' for i in range(rng.randint(10, 2000))
        )
        return f"Digest {params}".encode()
    return f"{rng.choice(('Bearer', 'Bearer', 'bearer'))} {jwt(rng)}".encode()


def auth_header(rng: random.Random) -> Request:
    headers: Headers = [(b"Authorization", _authorization_value(rng))]
    if rng.random() < 0.2:  # repeated Authorization
        for _ in range(rng.randint(1, 30)):
            headers.append(
                (
                    rng.choice((b"Authorization", b"authorization", b"AUTHORIZATION")),
                    _authorization_value(rng)[:4000],
                )
            )
    return "authorization", "GET", rng.choice(API_PATHS), headers, b"", False


def jwt_bearer(rng: random.Random) -> Request:
    headers: Headers = [(b"Authorization", f"Bearer {jwt(rng)}".encode())]
    if rng.random() < 0.2:
        headers.append((b"DPoP", jwt(rng).encode()))
    return (
        "jwt",
        rng.choice(("GET", "GET", "DELETE", "PUT")),
        rng.choice(API_PATHS),
        headers,
        b"",
        False,
    )


def api_key_header(rng: random.Random) -> Request:
    headers: Headers = [
        (rng.choice(KEY_HEADERS), api_key(rng).encode()) for _ in range(rng.choice((1, 1, 1, 2, 5)))
    ]
    if rng.random() < 0.3:
        headers.append((b"Authorization", f"Basic {b64url(api_key(rng).encode() + b':')}".encode()))
    return "api_key", "GET", rng.choice(API_PATHS), headers, b"", False


def query_token(rng: random.Random) -> Request:
    pairs = []
    for _ in range(rng.choice((1, 1, 2, 5, 40))):
        value = rng.choice((jwt(rng), api_key(rng), random_text(rng, 0, 30), "%ZZ%", "é", "a&b=c"))
        pairs.append(f"{rng.choice(QUERY_PARAMS)}={quote(value, safe=rng.choice(('', '%&=')))}")
    if rng.random() < 0.1:
        pairs.append("=&&==&" + "x" * rng.randint(0, 9000))
    headers: Headers = []
    if rng.random() < 0.3:
        headers.append((b"Authorization", f"Bearer {jwt(rng)}".encode()))
    return "query", "GET", f"{rng.choice(API_PATHS)}?{'&'.join(pairs)}", headers, b"", False


def _form(rng: random.Random) -> bytes:
    fields = [("grant_type", rng.choice(GRANTS))]
    for name in rng.sample(FORM_FIELDS, rng.randint(0, 8)):
        value = rng.choice(
            (api_key(rng), jwt(rng), random_text(rng, 0, 50), "", "read write admin")
        )
        fields.append((name, value))
    if rng.random() < 0.2:
        fields += [("grant_type", rng.choice(GRANTS)) for _ in range(rng.randint(1, 50))]
    body = "&".join(f"{k}={quote(v)}" for k, v in fields).encode()
    shape = rng.randrange(8)
    if shape == 0:
        return body + b"&pad=" + random_text(rng, 10_000, 60_000).encode()
    if shape == 1:
        return body.replace(b"%", b"%Z", 3) + b"&bad=%G1%"
    if shape == 2:
        return random_bytes(rng, 0, 3000)
    if shape == 3:
        return body + b"&name=caf\xe9&\xff\xfe=\x00"
    return body


def _encoded(rng: random.Random, body: bytes, headers: Headers) -> bytes:
    """Sometimes a Content-Encoding on the request body: right, wrong or a lie."""
    if rng.random() < 0.8 or not body:
        return body
    actual = rng.choice(("gzip", "deflate", "br", "zstd"))
    declared = rng.choice((actual, actual, "gzip", "identity, gzip", "x-unknown"))
    headers.append((b"Content-Encoding", declared.encode()))
    return encoding.encode(body, actual) if rng.random() < 0.8 else body


def token_endpoint(rng: random.Random) -> Request:
    content_type = rng.choice(
        (
            b"application/x-www-form-urlencoded",
            b"application/json",
            b"application/x-www-form-urlencoded; charset=ISO-8859-1",
            b"text/plain",
            b"",
        )
    )
    if content_type == b"application/json":
        body = json.dumps(
            {
                "grant_type": rng.choice(GRANTS),
                "client_id": api_key(rng),
                "client_secret": _claims(rng),
            }
        ).encode()
    else:
        body = _form(rng)
    headers: Headers = [(b"Content-Type", content_type)] if content_type else []
    body = _encoded(rng, body, headers)
    if rng.random() < 0.5:
        credentials = base64.b64encode(api_key(rng).encode() + b":" + random_bytes(rng, 0, 40))
        headers.append((b"Authorization", b"Basic " + rng.choice((credentials, b"%%%", b""))))
    path = rng.choice(("/oauth/token", "/oauth/token", "/oauth/token?x=1", "/oauth2/token/"))
    return "token_endpoint", "POST", path, headers, body, rng.random() < 0.2


def request_body(rng: random.Random) -> Request:
    shape = rng.randrange(4)
    if shape == 0:
        body, content_type = json.dumps(_claims(rng)).encode(), b"application/json"
    elif shape == 1:
        body, content_type = random_bytes(rng, 0, 200_000), b"application/octet-stream"
    elif shape == 2:
        body, content_type = b"[" * rng.randint(1000, 50_000), b"application/json"
    else:
        body, content_type = b'{"token": "' + jwt(rng).encode() + b'", "x": "\xff"}', b"text/json"
    headers: Headers = [
        (b"Content-Type", content_type),
        (b"Authorization", f"Bearer {jwt(rng)}".encode()),
    ]
    body = _encoded(rng, body, headers)
    method = rng.choice(("POST", "PUT", "PATCH", "DELETE"))
    return "request_body", method, rng.choice(API_PATHS), headers, body, rng.random() < 0.3


def many_headers(rng: random.Random) -> Request:
    headers: Headers = [
        (f"X-H{i}".encode(), random_text(rng, 0, 40).encode()) for i in range(rng.randint(100, 600))
    ]
    position = rng.randrange(len(headers) + 1)
    headers.insert(position, (b"Authorization", f"Bearer {jwt(rng)}".encode()))
    return "many_headers", "GET", rng.choice(API_PATHS), headers, b"", False


MAKERS: tuple[tuple[Callable[[random.Random], Request], int], ...] = (
    (auth_header, 22),
    (jwt_bearer, 20),
    (api_key_header, 10),
    (query_token, 10),
    (token_endpoint, 18),
    (request_body, 10),
    (many_headers, 5),
)


def hostile_request(rng: random.Random) -> Request:
    makers, weights = zip(*MAKERS, strict=True)
    return rng.choices(makers, weights)[0](rng)
