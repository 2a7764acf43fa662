"""The view model: snapshot → texts, rows and chart lines, with no Dear PyGui involved."""

from __future__ import annotations

import datetime as dt

from costpanel import CostTracker, Usage
from costpanel.gui.viewmodel import MODEL_COLUMNS, STANDARD_TIERS, build_view, chart_series, sort_rows

UTC = dt.timezone.utc


def test_chart_lines_are_cumulative_and_quiet_tiers_stay_flat_to_the_latest_second(tracker: CostTracker) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=t0)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 2", at=t0 + dt.timedelta(seconds=5))
    lines = chart_series(tracker.snapshot())
    assert lines["Total"] == ([t0.timestamp(), t0.timestamp() + 5], [2.5, 5.0])
    assert lines["Tier 1"] == ([t0.timestamp(), t0.timestamp() + 5], [2.5, 2.5])
    assert lines["Tier 2"] == ([t0.timestamp() + 5], [2.5])


def test_view_always_lists_the_four_standard_tiers_then_others_naturally(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=1), tier="Tier 12")
    tracker.record("gpt-4o", Usage(input=1), tier="planner")
    view = build_view(tracker.snapshot())
    assert [r.key for r in view.tables["tiers"]] == ["planner", *STANDARD_TIERS, "Tier 12"]


def test_header_texts_come_from_the_snapshot(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=1_000_000, output=1), tier="Tier 1")
    tracker.record("mystery", Usage(input=5), tier="Tier 1")
    h = build_view(tracker.snapshot()).header
    assert h.cost == "$2.50" and h.cost_exact == "$2.50001 exactly"
    assert h.calls == "2 calls" and h.tokens == "1,000,006 tokens"
    assert h.unpriced == "1 call(s) unpriced: mystery"


def test_sort_by_cost_puts_unpriced_below_zero(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=10), tier="Tier 1")
    tracker.record("mystery", Usage(input=10), tier="Tier 1")
    tracker.record("gpt-4o-mini", Usage(input=10), tier="Tier 1")
    rows = build_view(tracker.snapshot()).tables["models"]
    ordered = sort_rows(rows, MODEL_COLUMNS, ("cost", True))
    assert [r.key for r in ordered] == ["gpt-4o", "gpt-4o-mini", "mystery"]
