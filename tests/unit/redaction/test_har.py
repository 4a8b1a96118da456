"""HAR documents: a canary HAR loses every secret and keeps the evidence, and one value gets
the same replacement wherever the document repeats it."""

from __future__ import annotations

import base64
import copy
import json
import secrets
from typing import Any
from urllib.parse import urlencode

from authdoctor.redaction.bodies import REDACTED_HEADER
from authdoctor.redaction.redactor import Redactor
from tests.unit.redaction.canaries import ANNOTATION
from tests.unit.redaction.canaries import CHALLENGE
from tests.unit.redaction.canaries import COMMENT
from tests.unit.redaction.canaries import MARK
from tests.unit.redaction.canaries import REQUEST_ID
from tests.unit.redaction.canaries import Canaries
from tests.unit.redaction.canaries import kept_segments
from tests.unit.redaction.canaries import leaks


def _har(c: Canaries) -> dict[str, Any]:
    access, code, password, secret_ = c(), c(), c(), c()
    id_token, assertion = c.jwt(aud="cli_8f2a91"), c.jwt(aud="https://auth.xxx.com/")
    body = {
        "access_token": c(),
        "id_token": c.jwt(aud="cli_8f2a91"),
        "refresh_token": c(),
        "user": {"name": "alice", "credentials": [{"api_key": c(), "note": c("sk_live_")}]},
    }
    login = {
        "comment": COMMENT,
        "_authdoctor": copy.deepcopy(ANNOTATION),
        "startedDateTime": "2000-01-01T00:00:00.000Z",
        "request": {
            "method": "POST",
            "url": f"https://auth.xxx.com/oauth/token?access_token={access}&code={code}"
            f"&id_token={id_token}",
            "httpVersion": "HTTP/1.1",
            "headers": [
                {"name": "Authorization", "value": "Bearer " + c.jwt(scope="read")},
                {"name": "Cookie", "value": f"sid={c()}"},
                {"name": "X-Api-Key", "value": c()},
                {"name": "Proxy-Authorization", "value": "Basic " + c()},
                {"name": "X-Trace", "value": "token " + c("ghp_", 16)},
            ],
            "queryString": [
                {"name": "access_token", "value": access},
                {"name": "code", "value": code},
                {"name": "id_token", "value": id_token},
            ],
            "cookies": [{"name": "sid", "value": c()}, {"name": "csrf", "value": c()}],
            "postData": {
                "mimeType": "application/x-www-form-urlencoded",
                "text": f"grant_type=password&username=alice&password={password}"
                f"&client_secret={secret_}&client_assertion={assertion}",
                "params": [
                    {"name": "grant_type", "value": "password"},
                    {"name": "username", "value": "alice"},
                    {"name": "password", "value": password},
                    {"name": "client_secret", "value": secret_},
                    {"name": "client_assertion", "value": assertion},
                ],
            },
        },
        "response": {
            "status": 401,
            "statusText": "Unauthorized",
            "httpVersion": "HTTP/1.1",
            "headers": [
                {"name": "WWW-Authenticate", "value": CHALLENGE},
                {"name": "X-Request-Id", "value": REQUEST_ID},
                {"name": "Set-Cookie", "value": f"sid={c()}; Path=/"},
            ],
            "cookies": [{"name": "sid", "value": c()}],
            "content": {
                "size": 100,
                "mimeType": "application/json",
                "encoding": "base64",
                "text": base64.b64encode(json.dumps(body).encode()).decode(),
            },
            "redirectURL": f"https://app.example.com/cb#access_token={c()}&token_type=Bearer",
        },
        "_webSocketMessages": [
            {"type": "send", "opcode": 1, "data": json.dumps({"payload": {"authToken": c()}})}
        ],
    }
    upload = {
        "request": {
            "method": "POST",
            "url": "https://app.example.com/upload",
            "postData": {
                "mimeType": "multipart/form-data",
                "params": [{"name": "pwd", "value": c()}],
            },
        },
        "response": {"status": 204, "headers": [], "content": {"mimeType": "", "text": ""}},
    }
    page = {"html": f"<html><body><a href='/x?token={c()}'>x</a></body></html>"}
    echo = {
        "request": {"method": "GET", "url": "https://app.example.com/page", "headers": []},
        "response": {
            "status": 200,
            "headers": [],
            "content": {"mimeType": "text/html", "text": page["html"]},
        },
    }
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "test", "version": "1"},
            "pages": [{"id": "p1", "title": f"https://app.example.com/#id_token={c()}"}],
            "entries": [login, echo, upload],
        }
    }


def _har_haystack(document: dict[str, Any]) -> bytes:
    decoded = [
        base64.b64decode(entry["response"]["content"]["text"])
        for entry in document["log"]["entries"]
        if entry["response"]["content"].get("encoding") == "base64"
    ]
    return json.dumps(document).encode() + b"\n".join(decoded)


def test_canary_har_loses_every_secret_and_keeps_the_evidence() -> None:
    c = Canaries()
    har = _har(c)
    assert len(set(c.values)) >= 25
    original = copy.deepcopy(har)
    redacted = Redactor().har(har)
    assert har == original
    assert len(leaks(_har_haystack(har), c)) == len(c.values)
    haystack = _har_haystack(redacted)
    assert leaks(haystack, c) == []
    assert kept_segments(haystack, c) == []
    login, echo, _ = redacted["log"]["entries"]
    assert login["comment"] == COMMENT
    assert login["_authdoctor"] == ANNOTATION
    assert {"name": "WWW-Authenticate", "value": CHALLENGE} in login["response"]["headers"]
    assert {"name": "X-Request-Id", "value": REQUEST_ID} in login["response"]["headers"]
    assert {"name": "grant_type", "value": "password"} in login["request"]["postData"]["params"]
    assert login["response"]["redirectURL"].endswith("&token_type=Bearer")
    assert echo["response"]["content"]["text"] == ""
    assert {
        "name": REDACTED_HEADER,
        "value": "body dropped (text/html content that looks secret)",
    } in echo["response"]["headers"]


def test_query_string_and_url_of_a_har_entry_get_the_same_replacement() -> None:
    value = "a+b/c=" + secrets.token_hex(8)  # percent-encoded in the URL, decoded in queryString
    request = {
        "url": "https://api.xxx.com/v1?" + urlencode({"access_token": value, "page": "2"}),
        "queryString": [{"name": "access_token", "value": value}, {"name": "page", "value": "2"}],
    }
    redacted = Redactor().har({"log": {"entries": [{"request": request}]}})
    request = redacted["log"]["entries"][0]["request"]
    replacement = request["queryString"][0]["value"]
    assert MARK.fullmatch(replacement)
    assert request["url"] == f"https://api.xxx.com/v1?access_token={replacement}&page=2"
