"""Where the addon's time goes: its hooks replayed in-process on a proxy run's recorded flows.

The proxy benchmark measures the hooks' total; this splits it by kind of call (each request
of the load carries its kind in KIND_HEADER), on the very flows mitmdump recorded, in the
order it saw them, with the per-flow event-log line printed (to /dev/null) as mitmdump does.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from analysis_micro import addon_context
from mitmproxy import http
from mitmproxy import io
from mitmproxy.addons.termlog import TermLogHandler

from authdoctor.live.addon import AuthDoctor

KIND_HEADER = "X-Bench-Kind"


@dataclass
class KindCost:
    kind: str
    flows: int
    median_us: float
    mean_us: float


def replay(flows_file: Path, profile: Path) -> tuple[list[KindCost], str]:
    """CPU time (thread_time) of request + response hooks per flow, grouped by kind; and
    how many of the failing calls the replay diagnosed."""
    with flows_file.open("rb") as handle:
        flows = [f for f in io.FlowReader(handle).stream() if isinstance(f, http.HTTPFlow)]
    spent: dict[str, list[float]] = defaultdict(list)
    log = logging.getLogger("authdoctor")
    level = log.level
    with open(os.devnull, "w") as devnull:
        printer = TermLogHandler(devnull)
        log.addHandler(printer)
        log.setLevel(logging.INFO)
        try:
            addon = AuthDoctor()
            with addon_context(addon) as tctx:
                tctx.configure(addon, authdoctor_profile=[str(profile)])
                for flow in flows:
                    start = time.thread_time()
                    addon.request(flow)
                    addon.response(flow)
                    spent[flow.request.headers.get(KIND_HEADER, "?")].append(
                        time.thread_time() - start
                    )
        finally:
            log.removeHandler(printer)
            log.setLevel(level)
    failing = sum(1 for f in flows if f.response is not None and f.response.status_code >= 400)
    diagnosed = sum(1 for f in flows if (f.metadata.get("authdoctor") or {}).get("cause"))
    every = [s for times in spent.values() for s in times]
    rows = [
        KindCost(kind, len(times), statistics.median(times) * 1e6, statistics.mean(times) * 1e6)
        for kind, times in sorted(spent.items(), key=lambda item: -statistics.mean(item[1]))
    ]
    rows.append(KindCost("all", len(every), statistics.median(every) * 1e6,
                         statistics.mean(every) * 1e6))  # fmt: skip
    return rows, f"{diagnosed} flows diagnosed of {failing} failing calls"
