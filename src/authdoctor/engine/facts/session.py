"""Facts from what the session saw before this flow (read only; recording is elsewhere)."""

from __future__ import annotations

from typing import Any

from mitmproxy import http

from authdoctor.engine.facts.token import time_facts
from authdoctor.engine.facts.token_kind import issued_as_facts
from authdoctor.engine.sessions import ClientSeen
from authdoctor.engine.sessions import HandedOut
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.sessions import TokenSeen
from authdoctor.engine.settings import Settings
from authdoctor.util import Deferred
from authdoctor.util import clock_phrase
from authdoctor.util import human_duration


def client_key(flow: http.HTTPFlow, facts: dict[str, Any], store: SessionStore | None) -> str:
    """Who the client is: its client_id when any fact names it, else the client the session
    saw the token issued to, else its address."""
    for name in ("token.client_id", "oauth.client_id"):
        if value := facts.get(name):
            return f"client:{value}"
    fingerprint = facts.get("token.fingerprint")
    if store is not None and fingerprint:
        seen = store.tokens.peek(fingerprint)
        if seen is not None and seen.issued is not None:
            return seen.issued.client
        handed = store.handed_out.peek(fingerprint)
        if handed is not None:
            return handed.client
    peer = flow.client_conn.peername
    return f"address:{peer[0]}" if peer else "address:unknown"


def issued_token_facts(
    store: SessionStore, facts: dict[str, Any], now: float, settings: Settings
) -> dict[str, Any]:
    """For a token whose issuance was seen, what the token endpoint said about it: lets an
    opaque token be judged for expiry and scope like a JWT, and shows a refresh or ID token
    sent in place of the access token."""
    fingerprint = facts.get("token.fingerprint")
    handed = store.handed_out.peek(fingerprint) if fingerprint else None
    if handed is not None and handed.issued_at <= now:
        return _handed_out_facts(handed, facts, now)
    seen = store.tokens.peek(fingerprint) if fingerprint else None
    if seen is None or seen.issued is None:
        return {}
    out: dict[str, Any] = {}
    if not facts.get("token.time_known") and seen.issued.expires_at is not None:
        claims = {"exp": seen.issued.expires_at, "iat": seen.issued.issued_at}
        out.update(time_facts(claims, now, settings.leeway_s, settings.refresh_window_s))
    if "token.scopes" not in facts and seen.issued.scopes is not None:
        out["token.scopes"] = list(seen.issued.scopes)
        out["token.has_scope_claim"] = True
    return out


def _handed_out_facts(handed: HandedOut, facts: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        "session.issued_as": handed.issued_as,
        "session.issued_as_ago": Deferred(human_duration, now - handed.issued_at),
        **issued_as_facts(facts, handed.issued_as),
    }


def api_session_facts(
    store: SessionStore, client: ClientSeen | None, facts: dict[str, Any], request: http.Request
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    now = request.timestamp_start
    fingerprint = facts.get("token.fingerprint")
    seen = store.tokens.peek(fingerprint) if fingerprint else None
    if seen is not None and seen.rejected_at is not None and seen.rejected_at < now:
        out["session.rejected_before"] = True
        out["session.rejected_ago"] = Deferred(human_duration, now - seen.rejected_at)
    if client is None or fingerprint is None:
        return out
    handed = store.handed_out.peek(fingerprint)
    issued_at = handed.issued_at if handed is not None else _issued_at(seen, facts, now)
    newer = client.newest_token
    if newer and newer != fingerprint and issued_at is not None:
        in_hand = client.newest_received_at <= now  # the newer token had arrived already
        out["session.superseded"] = in_hand and issued_at < client.newest_issued_at - 1
    key = (request.method, request.path.split("?", 1)[0], fingerprint)
    out["session.identical_failures"] = sum(1 for t in client.failures.get(key, ()) if t <= now)
    return out


def _issued_at(seen: TokenSeen | None, facts: dict[str, Any], now: float) -> float | None:
    if seen is not None and seen.issued is not None:
        return seen.issued.issued_at
    ahead = facts.get("token.iat_ahead_s")
    return now + ahead if ahead is not None else None


def token_call_facts(
    store: SessionStore,
    client: ClientSeen | None,
    facts: dict[str, Any],
    now: float,
    sent_refresh: str | None,
    answered: float | None = None,
) -> dict[str, Any]:
    """Patterns of token-endpoint use: storms, concurrent refreshes, reactive refresh, replay."""
    if client is None:
        return {"session.token_requests_last_minute": 1}
    recent = sum(1 for t in client.token_requests if now - 60 <= t <= now)
    out: dict[str, Any] = {"session.token_requests_last_minute": recent + 1}
    if facts.get("oauth.grant_type") == "refresh_token":
        # Another refresh of this client overlapped this one in time (in either order).
        until = answered if answered is not None else now
        out["session.concurrent_refresh"] = any(
            other_sent < until and now < other_answered
            for other_sent, other_answered in client.refresh_grants
        )
    current = store.tokens.peek(client.current_token) if client.current_token else None
    if current is not None:
        # Reactive: the client had already sent this token after it expired, or been told so.
        out["session.reactive_refresh"] = current.used_expired or current.rejected_expired
    if sent_refresh and (retired := client.retired_refresh.get(sent_refresh)) is not None:
        out["session.refresh_replayed"] = True
        out["session.refresh_replayed_ago"] = Deferred(human_duration, now - retired)
    return out


def clock_facts(store: SessionStore, leeway: int) -> dict[str, Any]:
    measured = store.clock_median()
    if measured is None or measured[1] < 2:
        return {}
    median, samples = measured
    skewed = abs(median) > leeway
    return {
        "session.clock_offset_median_s": median,
        "session.clock_samples": samples,
        "session.clock_skewed": skewed,
        "session.clock_offset": Deferred(_offset_text, store),
        "session.clock_note": Deferred(
            lambda: (
                f" Over this session the server's clock ran {clock_phrase(median)} "
                f"(median of {samples} answers), so the server judges "
                "token times that much differently."
            )
        )
        if skewed
        else "",
    }


def _offset_text(store: SessionStore) -> str:
    median, spread, samples = store.clock_offset() or (0, 0, 0)
    return (
        f"the server's clock runs {clock_phrase(median)} "
        f"(median of {samples} answers, spread {spread} s)"
    )
