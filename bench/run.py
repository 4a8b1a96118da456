"""Every benchmark in one go: prints the tables and rewrites the results of bench/README.md.

  ./run bench                 full run (the README says how long it takes)
  ./run bench --quick         every part, small: a smoke test of the tool, printed only
  ./run bench --only proxy    one part (rules, micro, proxy, offline); repeat for more

(`./run bench` is `.venv/bin/python bench/run.py`.) A full run rewrites everything below the
results marker in bench/README.md; --quick and --only leave the README alone unless --readme.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import analysis_micro
import machine
import offline
import proxy_overhead
import rule_loading

README = Path(__file__).resolve().with_name("README.md")
MARKER = "<!-- Everything below is written by bench/run.py: edit the text above it instead. -->"
PARTS = ("rules", "micro", "proxy", "offline")
HOOK_TARGET_US = 50.0
SHARE_TARGET = 0.05


@dataclass(frozen=True)
class Sizes:
    requests: int  # measured requests per proxy run
    pairs: int  # proxy runs per variant, alternating
    micro_per_kind: int
    offline_flows: tuple[int, ...]
    rule_runs: int


FULL = Sizes(requests=3000, pairs=3, micro_per_kind=1000, offline_flows=(10_000, 100_000),
             rule_runs=7)  # fmt: skip
QUICK = Sizes(requests=500, pairs=2, micro_per_kind=100, offline_flows=(1_000, 5_000),
              rule_runs=3)  # fmt: skip


def table(rows: list[dict[str, str]]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row[key] for key in head) + " |" for row in rows]
    return "\n".join(lines)


def rules_section(sizes: Sizes) -> tuple[str, list[dict[str, str]]]:
    result = rule_loading.measure(sizes.rule_runs)

    def row(what: str, count: str, times: list[float]) -> dict[str, str]:
        return {"what": what, "count": count, "median ms": f"{statistics.median(times):.0f}",
                "range ms": f"{min(times):.0f}-{max(times):.0f}"}  # fmt: skip

    text = table([
        row("load_ruleset(default_rule_packs())", f"{result.rules} rules, {result.packs} packs",
            result.rules_ms),
        row("company-x + provider profiles", f"{result.profiles} profiles", result.profiles_ms),
    ])  # fmt: skip
    intro = f"Fresh process each time, imports excluded; {sizes.rule_runs} runs.\n\n"
    return "### Rule loading — `bench/rule_loading.py`\n\n" + intro + text, []


def micro_section(sizes: Sizes) -> tuple[str, list[dict[str, str]]]:
    rows = analysis_micro.measure(sizes.micro_per_kind)
    text = table([
        {"traffic": mix, "token cache": cache, "flows per run": str(count),
         "µs per flow": f"{micros:.1f}"}
        for mix, cache, micros, count in rows
    ])  # fmt: skip
    warm = next(m for mix, cache, m, _ in rows if mix == "healthy only" and cache == "warm")
    targets = [{"target": f"hooks ≤ {HOOK_TARGET_US:.0f} µs per healthy flow (micro, warm)",
                "result": f"{warm:.1f} µs", "met": _met(warm <= HOOK_TARGET_US)}]  # fmt: skip
    intro = (
        "CPU time (`time.process_time`) of the request + response hooks per flow on synthetic "
        "flows (company-x profile, all shipped rules, RS256 tokens), median of 3 runs.\n\n"
    )
    return "### Per-flow cost of the hooks — `bench/analysis_micro.py`\n\n" + intro + text, targets


def proxy_section(sizes: Sizes) -> tuple[str, list[dict[str, str]]]:
    results = proxy_overhead.measure(sizes.requests, sizes.pairs)
    summary = proxy_overhead.summarize(results.runs, results.diagnosed)
    cost = [
        ("our hooks' CPU per flow, inside the proxy (median of the b runs)",
         f"{summary.hook_cpu_us:.0f} µs"),
        ("the same as a share of plain mitmdump's CPU per request", f"{summary.hook_share:.1%}"),
        ("our hooks' wall time per flow", f"{summary.hook_wall_us:.0f} µs"),
        ("whole proxy process: CPU with / without (median of the a-b pairs)",
         f"{summary.cpu_ratio:.2f}"),
        ("whole proxy process: extra CPU per request (difference of medians)",
         f"{summary.cpu_with_us - summary.cpu_without_us:.0f} µs"),
        ("the hook timer's own cost, included above", f"{summary.timer_us:.1f} µs per hook call"),
        ("failing calls diagnosed (hooks replayed on the recorded run)", summary.diagnosed),
    ]  # fmt: skip
    kinds = table([
        {"kind of call": row.kind, "flows": str(row.flows), "median µs": f"{row.median_us:.0f}",
         "mean µs": f"{row.mean_us:.0f}"}
        for row in results.by_kind
    ])  # fmt: skip
    text = "\n\n".join([
        f"{sizes.requests} measured requests per run (after {_warmup(sizes)} warm-up), 4 "
        f"keep-alive connections, runs alternating a b a b: {sizes.pairs} per variant.",
        table(summary.rows),
        table([{"the addon's cost": what, "value": value} for what, value in cost]),
        "Our hooks replayed in-process on the flows of one more (untimed) run, by kind of "
        "call — `bench/by_kind.py`:",
        kinds,
    ])  # fmt: skip
    targets = [{"target": f"addon ≤ {SHARE_TARGET:.0%} of the proxy's own CPU per request",
                "result": f"{summary.hook_share:.1%} ({summary.hook_cpu_us:.0f} µs of "
                          f"{summary.cpu_without_us:.0f} µs)",
                "met": _met(summary.hook_share <= SHARE_TARGET)}]  # fmt: skip
    return "### Proxy overhead — `bench/proxy_overhead.py`\n\n" + text, targets


def offline_section(sizes: Sizes) -> tuple[str, list[dict[str, str]]]:
    rows = offline.measure_sizes(list(sizes.offline_flows))
    text = table([
        {"file": row.suffix, "flows": f"{row.flows:,}", "size": f"{row.mib:.1f} MiB",
         "flows/s": f"{row.flows_per_s:.0f}", "seconds": f"{row.seconds:.1f}",
         "peak RSS": f"{row.peak_rss_mib:.1f} MiB"}
        for row in rows
    ])  # fmt: skip
    small = max(r.peak_rss_mib for r in rows if r.flows == min(sizes.offline_flows))
    large = max(r.peak_rss_mib for r in rows if r.flows == max(sizes.offline_flows))
    growth = large / small - 1
    targets = [{"target": "offline memory flat from the smallest to the largest recording",
                "result": f"peak RSS {small:.0f} → {large:.0f} MiB ({growth:+.0%})",
                "met": _met(growth <= 0.10)}]  # fmt: skip
    intro = (
        "`authdoctor analyze --format json` in a fresh process (start-up included) on "
        "generated recordings; peak RSS of that process.\n\n"
    )
    return "### Offline analysis — `bench/offline.py`\n\n" + intro + text, targets


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _warmup(sizes: Sizes) -> int:
    return max(len(proxy_overhead.MIX), min(300, sizes.requests // 10))


SECTIONS = {"rules": rules_section, "micro": micro_section, "proxy": proxy_section,
            "offline": offline_section}  # fmt: skip


def write_readme(results: str) -> None:
    text = README.read_text()
    head = text.split(MARKER)[0].rstrip("\n")
    README.write_text(f"{head}\n\n{MARKER}\n\n{results}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part")
    readme = parser.add_mutually_exclusive_group()
    readme.add_argument("--readme", action="store_true", help="rewrite the README's results")
    readme.add_argument("--no-readme", action="store_true", help="leave the README alone")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    parts = args.only or list(PARTS)
    command = (
        "./run bench"
        + (" --quick" if args.quick else "")
        + "".join(f" --only {part}" for part in args.only or ())
    )
    about = machine.describe()
    print(f"{command}: {', '.join(f'{k} {v}' for k, v in about.items())}", flush=True)
    started = time.monotonic()
    sections, targets = [], []
    for part in parts:
        part_started = time.monotonic()
        print(f"\n{part} ...", flush=True)
        text, met = SECTIONS[part](sizes)
        print(f"{text}\n({part}: {time.monotonic() - part_started:.0f} s)", flush=True)
        sections.append(text)
        targets += met
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    about["load average at end (1 / 5 / 15 min)"] = machine.load_average()
    results = "\n\n".join([
        "## Results",
        f"`{command}` took {minutes} min {seconds:02d} s.",
        table([{"machine": key, "": value} for key, value in about.items()]),
        *([table(targets)] if targets else []),
        *sections,
    ])  # fmt: skip
    print(f"\n{table(targets)}\n\ntook {minutes} min {seconds:02d} s" if targets else "")
    if args.readme or not (args.no_readme or args.quick or args.only):
        write_readme(results)
        print(f"results written to {README}")


if __name__ == "__main__":
    main()
