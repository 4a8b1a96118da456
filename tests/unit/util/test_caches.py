"""Every cache keyed by traffic stays within authdoctor_cache_entries, however much passes.

100,000 distinct tokens go through the addon's real hooks (request, then response): opaque
bearer tokens, JWTs from distinct issuers, API keys in X-API-Key, tokens too long to cache,
to 1,000 distinct hosts and as many paths, a tenth of them refused with 401. One tflow flow
per shape is reused with its header, host and path changed, which keeps the test fast; the
addon sees a new request each time. Afterwards every cache must hold no more than its bound.
"""

from __future__ import annotations

import logging

import jwt
import pytest
from mitmproxy import http
from mitmproxy.test import taddons
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from authdoctor.engine.facts import header
from authdoctor.engine.facts import response
from authdoctor.engine.facts import token
from authdoctor.keys.signing_keys import verify_signature
from authdoctor.live.addon import AuthDoctor
from authdoctor.util import caches
from authdoctor.wire.hosts import _is_loopback

DISTINCT = 100_000
ENTRIES = 500
SESSION_TOKENS = 1000
SESSION_CLIENTS = 100
SECRET = "a-shared-secret-for-the-bounds-test-0123456789"


def _jwt(i: int) -> str:
    claims = {"iss": f"https://issuer-{i}.example/", "sub": "s", "scope": "read", "exp": 2**31}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def _credential(i: int) -> tuple[str, str]:
    """A distinct credential of one of four shapes."""
    match i % 10:
        case 0:
            return "authorization", f"Bearer {_jwt(i)}"
        case 1:
            return "x-api-key", f"key-{i:08d}"
        case 2 if i % 1000 == 2:
            return "authorization", "Bearer " + "T" * 20_000 + f"{i}"  # never cached
        case _:
            return "authorization", f"Bearer opaque-{i:08d}-{'x' * 40}"


@pytest.fixture
def doctor() -> AuthDoctor:
    addon = AuthDoctor()
    yield addon
    addon.done()
    caches.set_entries(caches.DEFAULT_ENTRIES)


def test_a_hundred_thousand_tokens_leave_every_cache_at_its_bound(
    doctor: AuthDoctor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="authdoctor")  # 10,000 refusals log a line each
    with taddons.context(doctor) as tctx:
        tctx.configure(
            doctor,
            authdoctor_profile=["company-x"],
            authdoctor_cache_entries=str(ENTRIES),
            authdoctor_session_tokens=str(SESSION_TOKENS),
            authdoctor_session_clients=str(SESSION_CLIENTS),
        )
        flow = tflow.tflow()
        ok = tutils.tresp(status_code=200)
        refused = tutils.tresp(status_code=401, headers=http.Headers(www_authenticate="Bearer"))
        for i in range(DISTINCT):
            name, value = _credential(i)
            request = flow.request
            request.headers.clear()
            request.headers[name] = value
            request.host = f"api-{i % 1000}.example" if i % 2 else "api.xxx.com"
            request.path = f"/v2/devices/{i}/actions"
            flow.response = None
            doctor.request(flow)
            flow.response = refused if i % 10 == 3 else ok
            doctor.response(flow)

        company_x = doctor.settings.profiles[0]
        sizes = {
            "decoded tokens": token.decode_token.size(),
            "token facts": token._static_facts.size(),
            "Authorization values": header._authorization_facts.size(),
            "WWW-Authenticate values": response._challenges.size(),
            "signature verdicts": verify_signature.size(),
            "loopback hosts": _is_loopback.size(),
            "hosts to profiles": len(doctor.settings._hosts),
            "issuers to profiles": len(doctor.settings._issuers),
            "issuers of company-x": len(company_x._by_issuer),
            "endpoint lookups": len(company_x.endpoints._cache),
        }
        for name, size in sizes.items():
            assert size <= ENTRIES, (name, size)
        # the caches were really used, up to their bound, not bypassed
        for name in ("decoded tokens", "token facts", "Authorization values"):
            assert sizes[name] >= ENTRIES // 2, (name, sizes[name])  # LRU: full
        assert sizes["hosts to profiles"] > 0  # emptied when full, then filled again
        assert len(doctor.sessions.tokens) <= SESSION_TOKENS
        assert len(doctor.sessions.clients) <= SESSION_CLIENTS
        assert not doctor._pending
        # every flow was analysed but the accepted API-key calls to hosts no profile names
        assert doctor.sessions.flows == DISTINCT - DISTINCT // 10


def test_the_cache_bound_is_an_option_checked_like_the_others(doctor: AuthDoctor) -> None:
    with taddons.context(doctor) as tctx:
        tctx.configure(doctor, authdoctor_cache_entries="64")
        assert caches.entries() == 64
        assert token.decode_token._cached.cache_info().maxsize == 64
        with pytest.raises(Exception, match="authdoctor_cache_entries must be"):
            doctor._running = True
            tctx.configure(doctor, authdoctor_cache_entries="0")
        assert caches.entries() == 64  # a bad value changes nothing
