"""Where the shipped rules live: inside the wheel, or in the checkout for editable installs."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PROFILES_DIR_NAME = "profiles"


def rules_root() -> Path:
    """The packaged `authdoctor/rules`, else the checkout's `rules/` (editable installs)."""
    packaged = Path(str(files("authdoctor") / "rules"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "rules"


def default_rule_packs() -> list[Path]:
    """Every shipped rule pack: each folder of the rules root except the profiles."""
    root = rules_root()
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name != PROFILES_DIR_NAME)


def profiles_dir() -> Path:
    return rules_root() / PROFILES_DIR_NAME


def addon_script() -> Path:
    """The mitmproxy entry script: packaged copy, else the checkout's addons/authdoctor.py."""
    packaged = Path(str(files("authdoctor") / "mitm_script.py"))
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "addons" / "authdoctor.py"
