"""The History tab's chart, computed without Dear PyGui: its axis holds exactly the days of the
range (today included, nothing before the range), and its average line is the 7-day average."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage
from costpanel.gui.history import history_view
from costpanel.ledger.queries import open_read_only
from costpanel.pricing import Catalog


def noon(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(12)).astimezone().timestamp()


@pytest.fixture
def ledger(tmp_path: Path, catalog: Catalog) -> Path:
    """$2.50 three days ago, $0.25 ten days ago: no call today, none in the first days of a 30d range."""
    db = tmp_path / "ledger.sqlite3"
    now = dt.datetime.now().astimezone()
    tracker = CostTracker(catalog, ledger=db)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=now - dt.timedelta(days=3))
    tracker.record("gpt-4o", Usage(input=100_000), tier="Tier 1", at=now - dt.timedelta(days=10))
    tracker.close()
    return db


@pytest.mark.parametrize(("label", "days"), [("today", 1), ("7d", 7), ("30d", 30)])
def test_the_history_axis_shows_exactly_the_ranges_days_ending_today(ledger: Path, label: str, days: int) -> None:
    now = dt.datetime.now().astimezone()
    conn = open_read_only(ledger)
    try:
        view = history_view(conn, label, now=now)
    finally:
        conn.close()
    today = now.date()
    first_day = today - dt.timedelta(days=days - 1)
    assert view.days_shown == (pytest.approx(noon(first_day) - 43200), pytest.approx(noon(today) + 43200))


def test_the_history_average_line_counts_the_days_before_the_range(ledger: Path) -> None:
    now = dt.datetime.now().astimezone()
    conn = open_read_only(ledger)
    try:
        view = history_view(conn, "7d", now=now)
    finally:
        conn.close()
    today = now.date()
    xs, ys = view.trend
    by_day = dict(zip(xs, ys))
    # the range's first day (6 days ago) averages the 7 days up to it: the $0.25 of 10 days ago,
    # before the range, is in its window; three days ago that call has left the window
    assert by_day[noon(today - dt.timedelta(days=6))] == pytest.approx(0.25 / 7)
    assert by_day[noon(today - dt.timedelta(days=3))] == pytest.approx(2.5 / 7)
    assert by_day[noon(today)] == pytest.approx(2.5 / 7)  # today's window still holds three days ago
    assert min(xs) >= noon(today - dt.timedelta(days=6)) and max(xs) <= noon(today)  # within the range
    assert view.bars == ([pytest.approx(noon(today - dt.timedelta(days=3)))], [pytest.approx(2.5)])
