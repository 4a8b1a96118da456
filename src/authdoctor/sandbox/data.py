"""Plausible Company X payloads, so successful calls look like the runbook's examples."""

from __future__ import annotations

import json
import secrets
from typing import Any

from authdoctor.sandbox.messages import iso_utc

ORGANIZATION: dict[str, Any] = {
    "organization_id": "org_4f1c9a7e2b",
    "name": "Client ABC",
    "created_at": "2024-01-15T10:30:00Z",
    "plan": "enterprise",
}

DEVICES: list[dict[str, Any]] = [
    {"device_id": "dev_0a1b2c3d4e", "name": "reception-kiosk", "status": "online"},
    {"device_id": "dev_5f6a7b8c9d", "name": "warehouse-scanner-02", "status": "online"},
    {"device_id": "dev_e1f2a3b4c5", "name": "ceo-laptop", "status": "offline"},
    {"device_id": "dev_d6e7f8a9b0", "name": "build-agent-7", "status": "online"},
]

POLICIES: list[dict[str, Any]] = [
    {"policy_id": "pol_3c4d5e6f7a", "name": "Disk encryption", "enforced": True},
    {"policy_id": "pol_8b9c0d1e2f", "name": "Screen lock after 5 minutes", "enforced": True},
    {"policy_id": "pol_a0b1c2d3e4", "name": "USB storage blocked", "enforced": False},
]


def devices(limit: int | None) -> list[dict[str, Any]]:
    return DEVICES if limit is None else DEVICES[: max(limit, 0)]


def device_action(device_id: str, body: bytes, now: float) -> dict[str, Any]:
    action = _json_object(body).get("action", "sync")
    return {
        "action_id": f"act_{secrets.token_hex(5)}",
        "device_id": device_id,
        "action": action,
        "status": "queued",
        "requested_at": iso_utc(now),
    }


def policy_update(policy_id: str, body: bytes, now: float) -> dict[str, Any]:
    return {**_json_object(body), "policy_id": policy_id, "updated_at": iso_utc(now)}


def log_entries(kind: str, now: float) -> list[dict[str, Any]]:
    return [
        {"log": kind, "timestamp": iso_utc(now - 60 * minutes), "event": event}
        for minutes, event in ((2, "policy.updated"), (17, "device.enrolled"), (45, "login"))
    ]


def organization_deleted(organization_id: str, now: float) -> dict[str, Any]:
    return {"organization_id": organization_id, "status": "deletion_scheduled", "at": iso_utc(now)}


def _json_object(body: bytes) -> dict[str, Any]:
    """The request's JSON object, or {}: the sandbox is strict about auth, not payloads."""
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
