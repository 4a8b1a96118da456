"""Offline analysis speed and memory: `authdoctor analyze` on generated recordings.

Run by hand:  .venv/bin/python bench/offline.py 10000 100000
For each size it writes a .mitm flow file and a HAR file (healthy calls, expired tokens and
scope failures mixed, 100 distinct RS256 tokens reused), then runs `authdoctor analyze
--format json` on each in a fresh process and reports flows/s and that process's peak RSS.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import analysis_micro as micro
from mitmproxy import io
from mitmproxy.addons.savehar import SaveHar
from mitmproxy.test import taddons
from mitmproxy.test import tflow

KINDS = ("healthy", "healthy", "expired", "scope")


def _flows(count: int):
    now = tflow.tflow().request.timestamp_start
    tokens = [
        {
            "healthy": micro.token(now, 3 * i),
            "expired": micro.token(now, 3 * i + 1, expired=True),
            "scope": micro.token(now, 3 * i + 2, scope="read"),
        }
        for i in range(100)
    ]
    for n in range(count):
        yield micro.flow(KINDS[n % len(KINDS)], n, tokens[n % 100])


def write_recordings(count: int, folder: Path) -> tuple[Path, Path]:
    mitm, har = folder / f"{count}.mitm", folder / f"{count}.har"
    with mitm.open("wb") as handle:
        writer = io.FlowWriter(handle)
        for flow in _flows(count):
            writer.add(flow)
    with taddons.context(SaveHar()), har.open("w") as handle:
        maker = SaveHar()
        head = maker.make_har([])
        head["log"]["entries"] = []
        text = json.dumps(head)
        start, end = text.split('"entries": []')
        handle.write(start + '"entries": [')
        for index, flow in enumerate(_flows(count)):
            handle.write(("," if index else "") + json.dumps(maker.flow_entry(flow, set())))
        handle.write("]" + end)
    return mitm, har


def measure(path: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one `authdoctor analyze` run in a fresh process."""
    script = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False);"
        "print(time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    command = [Path(sys.executable).with_name("authdoctor"), "analyze", path, "--format", "json",
               "--profile", "company-x", "--fail-on", "never"]  # fmt: skip
    out = subprocess.run([sys.executable, "-c", script, *map(str, command)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    seconds, mib = out.split()
    return float(seconds), float(mib)


@dataclass
class OfflineRow:
    suffix: str
    flows: int
    mib: float
    seconds: float
    peak_rss_mib: float
    generated_s: float

    @property
    def flows_per_s(self) -> float:
        return self.flows / self.seconds


def measure_sizes(sizes: list[int]) -> list[OfflineRow]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for count in sizes:
            started = time.perf_counter()
            mitm, har = write_recordings(count, Path(folder))
            made = time.perf_counter() - started
            for path in (mitm, har):
                seconds, peak = measure(path)
                size = path.stat().st_size / 2**20
                rows.append(OfflineRow(path.suffix, count, size, seconds, peak, made))
                path.unlink()
    return rows


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    for row in measure_sizes(sizes):
        print(
            f"{row.suffix:5} {row.flows:7} flows ({row.mib:6.1f} MiB): {row.flows_per_s:7.0f} "
            f"flows/s, {row.seconds:6.1f} s, peak RSS {row.peak_rss_mib:6.1f} MiB "
            f"(generated in {row.generated_s:.0f} s)"
        )


if __name__ == "__main__":
    main()
