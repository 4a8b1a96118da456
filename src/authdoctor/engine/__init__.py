"""The engine's face: what the layers above it (config, redaction, recordings, report, live,
cli; docs/architecture.md) use. Each of those runs in a process that judges flows, so
importing the whole engine here costs them nothing they would not load anyway. Modules inside
engine/ import from their sibling modules, never from here."""

from authdoctor.engine.analysis import Analysis
from authdoctor.engine.analysis import Analyzer
from authdoctor.engine.annotate import METADATA_KEY
from authdoctor.engine.annotate import annotate
from authdoctor.engine.causes import ALL_CAUSES
from authdoctor.engine.causes import PRECEDENCE_RANK
from authdoctor.engine.diagnosis import Diagnosis
from authdoctor.engine.facts import RequestSide
from authdoctor.engine.facts.header import KNOWN_SCHEMES
from authdoctor.engine.facts.header import PLACEHOLDER_TOKENS
from authdoctor.engine.facts.header import TOKEN_QUERY_PARAMS
from authdoctor.engine.facts.header import header_facts
from authdoctor.engine.facts.token import decode_token
from authdoctor.engine.rules.cases import lint
from authdoctor.engine.rules.ruleset import Finding
from authdoctor.engine.rules.ruleset import Ruleset
from authdoctor.engine.rules.ruleset import load_ruleset
from authdoctor.engine.session_summary import session_summary
from authdoctor.engine.sessions import DEFAULT_MAX_CLIENTS
from authdoctor.engine.sessions import DEFAULT_MAX_TOKENS
from authdoctor.engine.sessions import SessionStore
from authdoctor.engine.settings import DEFAULT_LEEWAY_S
from authdoctor.engine.settings import DEFAULT_REFRESH_WINDOW_S
from authdoctor.engine.settings import Settings

__all__ = [
    "ALL_CAUSES",
    "DEFAULT_LEEWAY_S",
    "DEFAULT_MAX_CLIENTS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_REFRESH_WINDOW_S",
    "KNOWN_SCHEMES",
    "METADATA_KEY",
    "PLACEHOLDER_TOKENS",
    "PRECEDENCE_RANK",
    "TOKEN_QUERY_PARAMS",
    "Analysis",
    "Analyzer",
    "Diagnosis",
    "Finding",
    "RequestSide",
    "Ruleset",
    "SessionStore",
    "Settings",
    "annotate",
    "decode_token",
    "header_facts",
    "lint",
    "load_ruleset",
    "session_summary",
]
