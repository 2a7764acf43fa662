"""Calls whose source could only estimate the usage (Claude Code telemetry's cache writes without
their TTL split) are counted, priced at the 5-minute rate, and marked approximate everywhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage
from costpanel.ledger.queries import calls_in, parse_range
from costpanel.ledger.report_files import call_dict
from costpanel.pricing import Catalog

HAIKU = "claude-haiku-4-5"
USAGE = Usage(input=1000, cache_read=5000, cache_write=300, output=200)


def test_an_approximate_call_is_counted_exactly_and_marked(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "ledger.sqlite3"
    with CostTracker(catalog, fallback=False, ledger=db, session="s") as tracker:
        exact = tracker.record(HAIKU, USAGE, tier="main")
        estimated = tracker.record(HAIKU, USAGE, tier="main", approximate=True, event_id="otel:s:r1")
        assert (exact.approximate, estimated.approximate) == (False, True)
        assert estimated.cost_units == exact.cost_units  # priced as 5-minute writes, like the exact call
        snap = tracker.snapshot()
        assert (snap.calls, snap.approximate_calls) == (2, 1)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT event_id, approximate FROM events ORDER BY id").fetchall() == [
            (None, 0), ("otel:s:r1", 1)]
        exported = [call_dict(r) for r in calls_in(conn, parse_range("all"))]
    finally:
        conn.close()
    assert [c["approximate"] for c in exported] == [False, True]
    resumed = CostTracker(catalog, fallback=False, ledger=db, resume=True)
    try:
        assert resumed.snapshot().approximate_calls == 1  # a restart keeps the mark
    finally:
        resumed.close()


@pytest.mark.parametrize("value", [1, "yes", None])
def test_approximate_must_be_a_bool_and_a_refusal_changes_nothing(catalog: Catalog, value: object) -> None:
    tracker = CostTracker(catalog, fallback=False)
    before = tracker.snapshot()
    with pytest.raises(TypeError, match=f"approximate must be a bool, got {type(value).__name__}"):
        tracker.record(HAIKU, USAGE, approximate=value, event_id="e1")  # type: ignore[arg-type]
    after = tracker.snapshot()
    assert (after.calls, after.version, after.approximate_calls) == (0, before.version, 0)
    assert tracker.record(HAIKU, USAGE, event_id="e1").status == "committed"  # the id was not taken


def test_reports_say_how_many_calls_are_approximate(tmp_path: Path, catalog: Catalog) -> None:
    from cli_run import costpanel  # the CLI as a real subprocess

    db = tmp_path / "ledger.sqlite3"
    with CostTracker(catalog, fallback=False, ledger=db, session="s") as tracker:
        tracker.record(HAIKU, USAGE, tier="main")
        tracker.record(HAIKU, USAGE, tier="main", approximate=True)
    text = costpanel("report", "--range", "all", "--db", str(db))
    assert text.returncode == 0, text.stderr
    assert "≈ 1 call(s) approximate" in text.stdout
    data = costpanel("report", "--range", "all", "--db", str(db), "--json")
    assert '"approximate_calls": 1' in data.stdout
