"""The support-ticket report: what a recording shows, in one self-contained HTML or Markdown
file. model.py keeps what the report knows, wording.py says it, html.py and markdown.py lay it
out; other layers use the names below.
"""

from authdoctor.report.formats import FORMATS
from authdoctor.report.html import render_html
from authdoctor.report.markdown import render_markdown
from authdoctor.report.model import Report
from authdoctor.report.model import build_report
from authdoctor.report.wording import summary

__all__ = [
    "FORMATS",
    "Report",
    "build_report",
    "render_html",
    "render_markdown",
    "summary",
]
