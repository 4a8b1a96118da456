"""What a report keeps (model.py): bounded, whatever the recording's size."""

from __future__ import annotations

import re
from pathlib import Path

from authdoctor.report import model
from authdoctor.report.model import MAX_BUCKETS
from authdoctor.report.model import Timeline
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import company_x_error
from tests.unit.authflows import flow
from tests.unit.report.ticket import DEVICES
from tests.unit.report.ticket import at
from tests.unit.report.ticket import run_report
from tests.unit.report.ticket import write


def test_what_is_kept_is_bounded(tmp_path: Path, issuer: Issuer, capsys, monkeypatch) -> None:
    """Twelve failures: three in full, five rows in the event table (the earliest), the rest
    counted. Written latest first, so keeping the earliest events needs more than a prefix."""
    monkeypatch.setattr(model, "MAX_EVENTS", 5)
    expired = issuer.token(issued=-7200, expires=-3600)
    flows = [
        at(flow(DEVICES, headers=[bearer(expired)], resp=company_x_error(date_offset=t)), t)
        for t in range(110, -10, -10)
    ]
    path = write(tmp_path / "many.mitm", flows)
    out = tmp_path / "many.html"
    assert run_report(capsys, str(path), "-o", str(out), "--profile", "company-x")[0] == 0
    page = out.read_text()
    assert "12 requests, 12 failed on authentication. All 12 failures are token_expired" in page
    failures = page[page.index("<h2>Failures</h2>") : page.index("<h2>Session patterns</h2>")]
    assert failures.count("<article>") == 3
    assert "and 9 more" in page
    rows = re.findall(r'<tr class="failed"><td>([^<]+)</td>', page)
    assert rows == [f"1999-12-31 23:00:{s:02d}" for s in range(0, 50, 10)]
    assert "and 7 more later events not listed." in page


def test_timeline_buckets_widen_and_stay_bounded() -> None:
    timeline = Timeline()
    start = 1_700_000_000
    for n in range(1000):
        timeline.add(start + n * 259.2, failed=n % 4 == 0, issued=n % 100 == 0)  # three days
    buckets = timeline.buckets()
    assert len(buckets) <= MAX_BUCKETS
    assert timeline.width == 3600
    assert sum(b.requests for b in buckets) == 1000
    assert sum(b.failures for b in buckets) == 250
    assert sum(b.issued for b in buckets) == 10
    assert buckets[0].start <= start < buckets[0].start + timeline.width
    assert all(b.start % timeline.width == 0 for b in buckets)
