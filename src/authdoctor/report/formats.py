"""Which renderer a report file's suffix picks: `authdoctor report ... -o x.html` or `x.md`."""

from __future__ import annotations

from collections.abc import Callable

from authdoctor.report.html import render_html
from authdoctor.report.markdown import render_markdown
from authdoctor.report.model import Report

FORMATS: dict[str, Callable[[Report], str]] = {".html": render_html, ".md": render_markdown}
