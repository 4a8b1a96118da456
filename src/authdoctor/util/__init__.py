"""Helpers that know nothing of authentication: bounded caches, deferred text, time
formatting, valid Unicode, did-you-mean hints, YAML with line numbers, JSON Schema checks,
the paths of the shipped files. Other layers import these names from here; the modules of
this package import each other directly, never through this file."""

from authdoctor.util.caches import bounded_lru
from authdoctor.util.caches import remember
from authdoctor.util.caches import remembered
from authdoctor.util.deferred import Deferred
from authdoctor.util.paths import addon_script
from authdoctor.util.paths import default_rule_packs
from authdoctor.util.paths import profiles_dir
from authdoctor.util.schemacheck import check_schema
from authdoctor.util.suggest import did_you_mean
from authdoctor.util.timefmt import clock_phrase
from authdoctor.util.timefmt import human_duration
from authdoctor.util.timefmt import iso_utc
from authdoctor.util.unicode_text import valid_unicode
from authdoctor.util.yamldoc import YamlDoc
from authdoctor.util.yamldoc import YamlPath
from authdoctor.util.yamldoc import format_path
from authdoctor.util.yamldoc import load_yaml

__all__ = [
    "Deferred",
    "YamlDoc",
    "YamlPath",
    "addon_script",
    "bounded_lru",
    "check_schema",
    "clock_phrase",
    "default_rule_packs",
    "did_you_mean",
    "format_path",
    "human_duration",
    "iso_utc",
    "load_yaml",
    "profiles_dir",
    "remember",
    "remembered",
    "valid_unicode",
]
