"""The session in a few lines: the runbook's "Monitor Token Usage", on demand."""

from __future__ import annotations

from authdoctor.engine.sessions import SessionStore
from authdoctor.util import human_duration

WINDOW_S = 600


def session_summary(store: SessionStore, now: float) -> str:
    failures = sum(store.causes.values())
    lines = [
        "authdoctor session summary",
        f"  flows analysed: {store.flows}; failures with a cause: {failures}",
    ]
    if store.causes:
        ranked = ", ".join(f"{cause} {count}" for cause, count in store.causes.most_common())
        lines.append(f"  by cause: {ranked}")
    recent = [t for t in store.token_request_times if now - WINDOW_S <= t <= now]
    per_minute = len(recent) / (WINDOW_S / 60)
    lines.append(
        f"  token requests: {len(store.token_request_times)} in all, "
        f"{per_minute:.1f} per minute over the last {WINDOW_S // 60} min"
    )
    lines.append(
        f"  tokens in use: {len(store.tokens)} distinct access tokens seen, "
        f"{len(store.clients)} clients"
    )
    measured = store.clock_offset()
    if measured is None:
        lines.append("  clock offset: no Date headers seen")
    else:
        median, spread, samples = measured
        direction = "ahead" if median > 0 else "behind" if median < 0 else "in step"
        amount = f"{human_duration(median)} " if median else ""
        lines.append(
            f"  clock offset: server {amount}{direction} (median of {samples} answers, "
            f"spread {spread} s)"
        )
    return "\n".join(lines)
