"""Rule loading time: every shipped pack and the provider profiles, each run in a fresh process.

Run by hand:  .venv/bin/python bench/rule_loading.py [runs]
A fresh process pays what a starting proxy pays (YAML parsing, schema checks, compiling
conditions and templates); imports are done before the clock starts.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass

CHILD = """
import json, time
from authdoctor.util.paths import default_rule_packs
from authdoctor.profiles.profile import load_profiles, with_provider_profiles
from authdoctor.engine.rules.ruleset import load_ruleset
start = time.perf_counter()
ruleset = load_ruleset(default_rule_packs())
loaded = time.perf_counter()
profiles = with_provider_profiles(load_profiles(["company-x"]))
done = time.perf_counter()
print(json.dumps({"packs": len(default_rule_packs()), "rules": len(ruleset.rules),
                  "profiles": len(profiles), "rules_s": loaded - start,
                  "profiles_s": done - loaded}))
"""


@dataclass
class RuleLoading:
    packs: int
    rules: int
    profiles: int
    rules_ms: list[float]
    profiles_ms: list[float]


def measure(runs: int = 7) -> RuleLoading:
    results = [
        json.loads(subprocess.run([sys.executable, "-c", CHILD], capture_output=True,
                                  text=True, check=True).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    first = results[0]
    return RuleLoading(
        first["packs"], first["rules"], first["profiles"],
        [r["rules_s"] * 1e3 for r in results], [r["profiles_s"] * 1e3 for r in results],
    )  # fmt: skip


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    result = measure(runs)
    print(
        f"{result.rules} rules from {result.packs} packs: median "
        f"{statistics.median(result.rules_ms):.0f} ms; company-x + {result.profiles - 1} "
        f"provider profiles: {statistics.median(result.profiles_ms):.0f} ms ({runs} runs)"
    )


if __name__ == "__main__":
    main()
