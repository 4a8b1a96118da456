"""After a flow is diagnosed: remember what later flows need to know about it.

Everything comes from what the facts step read (Extracted): the flow itself is only asked for
its times and its method, never parsed again.
"""

from __future__ import annotations

from typing import Any

from mitmproxy import http

from authdoctor.engine.diagnosis import Diagnosis
from authdoctor.engine.facts import Extracted
from authdoctor.engine.facts.token_endpoint import TokenCall
from authdoctor.engine.sessions import ClientSeen
from authdoctor.engine.sessions import HandedOut
from authdoctor.engine.sessions import Issued
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.sessions import TokenSeen


def record(
    store: SessionStore, flow: http.HTTPFlow, extracted: Extracted, diagnosis: Diagnosis
) -> None:
    """Count the flow and its cause, and update the token and client records."""
    facts = extracted.facts
    now = flow.request.timestamp_start
    store.flows += 1
    if diagnosis.cause:
        store.causes[diagnosis.cause] += 1
    if (offset := facts.get("response.clock_offset_s")) is not None:
        store.clock_offsets.append(offset)
    if (endpoint := extracted.discovered_endpoint) is not None:
        store.token_endpoints.touch(endpoint, lambda: None)
    key = extracted.client
    client = store.clients.touch(key, ClientSeen)
    if extracted.call is not None:
        _record_token_call(store, key, client, flow, extracted.call, facts, now)
    elif (fingerprint := facts.get("token.fingerprint")) is not None:
        _record_api_call(store, client, fingerprint, flow, facts, now)


def answered_at(flow: http.HTTPFlow) -> float:
    """When the answer arrived (the send time when there is none)."""
    response = flow.response
    if response is not None:
        return response.timestamp_end or response.timestamp_start or flow.request.timestamp_start
    return flow.request.timestamp_start


def _record_api_call(
    store: SessionStore,
    client: ClientSeen,
    fingerprint: str,
    flow: http.HTTPFlow,
    facts: dict[str, Any],
    now: float,
) -> None:
    seen = store.tokens.touch(fingerprint, TokenSeen)
    if seen.expires_at is None and (remaining := facts.get("token.expires_in_s")) is not None:
        seen.expires_at = now + remaining
    seen.used_expired |= bool(facts.get("token.expired"))
    client.current_token = fingerprint
    if not facts.get("response.auth_failed"):
        return
    # Times are when answers arrived: a request sent before then could not have known.
    answered = answered_at(flow)
    store.count_failure(client, (flow.request.method, facts["request.path"], fingerprint), answered)
    if facts.get("response.status") == 401 and seen.rejected_at is None:
        seen.rejected_at = answered
        seen.rejected_expired = bool(facts.get("token.expired"))


def _record_token_call(
    store: SessionStore,
    key: str,
    client: ClientSeen,
    flow: http.HTTPFlow,
    call: TokenCall,
    facts: dict[str, Any],
    now: float,
) -> None:
    client.token_requests.append(now)
    store.token_request_times.append(now)
    answered = answered_at(flow)
    if facts.get("oauth.grant_type") == "refresh_token":
        client.refresh_grants.append((now, answered))
    grant = call.grant
    if grant is None:
        return
    expires_at = now + grant.expires_in if grant.expires_in is not None else None
    seen = store.tokens.touch(grant.access_fingerprint, TokenSeen)
    seen.expires_at = expires_at
    seen.issued = Issued(key, now, expires_at, grant.scopes)
    for issued_as, handed in grant.handed_out:
        store.handed_out.touch(handed, lambda issued_as=issued_as: HandedOut(issued_as, key, now))
    client.newest_token = client.current_token = grant.access_fingerprint
    client.newest_issued_at = now
    client.newest_received_at = answered
    sent_refresh = call.sent_refresh
    if sent_refresh and grant.refresh_digest and grant.refresh_digest != sent_refresh:
        store.retire_refresh(client, sent_refresh, now)
