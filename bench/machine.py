"""The machine a benchmark ran on, as the README reports it next to the numbers."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import mitmproxy.version


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def describe() -> dict[str, str]:
    """CPU, cores, RAM, OS, Python, mitmproxy and the load average (1 / 5 / 15 min) now."""
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "CPU": _cpu_model(),
        "cores": f"{os.cpu_count()} (usable here: {len(os.sched_getaffinity(0))})",
        "RAM": f"{_memory_gib():.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "mitmproxy": mitmproxy.version.VERSION,
        "load average at start (1 / 5 / 15 min)": load_average(),
    }
