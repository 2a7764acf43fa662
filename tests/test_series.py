"""The bounded per-second series: fixed memory, buckets that leave the window fold into a baseline."""

from __future__ import annotations

import datetime as dt

import pytest

from costpanel import CostTracker, Usage
from costpanel.money import UNITS_PER_USD
from costpanel.pricing import Catalog
from costpanel.series import RingSeries, merge_views


def test_ring_keeps_recent_seconds_and_folds_older_ones() -> None:
    ring = RingSeries(window=10)
    ring.add(100, 5, 1)
    ring.add(105, 7, 2)
    ring.add(112, 11, 3)  # 100 and 101.. leave the window (103..112)
    ring.add(50, 13, 4)  # far older than the window
    view = ring.view()
    assert view.raw_points() == [(105, 7.0, 2.0), (112, 11.0, 3.0)]
    assert view.base_cost == 5 + 13 and view.base_tokens == 5
    xs, ys = view.cumulative_usd()
    assert ys[-1] * UNITS_PER_USD == pytest.approx(36)


def test_ring_memory_is_fixed_however_far_time_moves() -> None:
    ring = RingSeries(window=60)
    for sec in range(0, 100_000, 7):
        ring.add(sec, 1, 1)
    assert len(ring.cost) == 60 and len(ring.tokens) == 60
    view = ring.view()
    assert view.base_cost + sum(c for _, c, _ in view.raw_points()) == len(range(0, 100_000, 7))


def test_merged_total_line_sums_tiers() -> None:
    a, b = RingSeries(10), RingSeries(10)
    a.add(100, 3, 0)
    b.add(100, 4, 0)
    b.add(101, 5, 0)
    total = merge_views([a.view(), b.view()])
    assert total is not None
    assert total.raw_points() == [(100, 7.0, 0.0), (101, 5.0, 0.0)]


def test_snapshot_series_is_bounded_and_places_events_at_their_time(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, series_seconds=120)
    base = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    for k in range(600):  # ten minutes of calls, one a second
        tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=base + dt.timedelta(seconds=k))
    s = tracker.snapshot()
    view = s.series["Tier 1"]
    assert len(view.points()) == 120
    xs, ys = view.cumulative_usd()
    assert ys[-1] == pytest.approx(float(s.total_usd))  # baseline + window = the whole session
    assert xs[-1] == (base + dt.timedelta(seconds=599)).timestamp()


def test_snapshot_cost_does_not_depend_on_event_count(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    for n in range(20_000):
        tracker.record("gpt-4o", Usage(input=n), tier=f"Tier {n % 4 + 1}")
    s = tracker.snapshot()
    assert len(s._cells) == 4  # one integer cell per (tier, model), not per event


def test_views_with_different_heads_and_a_pending_second_merge_exactly() -> None:
    a, b = RingSeries(10), RingSeries(10)
    a.add(100, 1, 1)
    a.add(104, 2, 1)
    b.add(111, 4, 1)  # b's window starts at 102: a's second 100 leaves the merged window
    merged = merge_views([a.view(), b.view().with_pending((112, 8.0, 1.0))])
    assert merged is not None
    assert merged.raw_points() == [(104, 2.0, 1.0), (111, 4.0, 1.0), (112, 8.0, 1.0)]
    assert merged.base_cost == 1.0  # second 100 fell before the window 103..112
    xs, ys = merged.cumulative_usd()
    assert xs == [104.0, 111.0, 112.0]
    assert [round(y * UNITS_PER_USD) for y in ys] == [3, 7, 15]
    assert merged.cost_usd_between(111, 112) * UNITS_PER_USD == pytest.approx(12)


@pytest.mark.parametrize("pending", [None, (112, 8.0, 1.0), (125, 8.0, 1.0), (90, 8.0, 1.0)])
@pytest.mark.parametrize(("first", "last"), [(0, 200), (104, 111), (111, 112), (113, 130), (103, 103), (100, 115)])
def test_cost_between_agrees_with_the_ordered_view(pending, first: int, last: int) -> None:
    ring = RingSeries(10)
    for sec, cost in ((100, 1), (104, 2), (108, 3), (111, 4)):
        ring.add(sec, cost, 1)
    view = ring.view().with_pending(pending)
    start, cost, _, _, _ = view.ordered()
    expected = sum(c for k, c in enumerate(cost) if first <= start + k <= last)
    assert view.cost_usd_between(first, last) * UNITS_PER_USD == pytest.approx(expected)


@pytest.mark.parametrize("gap", [1, 7, 59, 3599, 3600, 3601, 86_400])
def test_folding_keeps_every_unit_whatever_the_gap_between_calls(gap: int) -> None:
    ring = RingSeries(window=3600)
    for k in range(300):
        ring.add(1_000_000 + k * gap, 3, 2)
    view = ring.view()
    kept_cost = sum(c for _, c, _ in view.raw_points())
    assert view.base_cost + kept_cost == 900
    assert view.base_tokens + sum(t for _, _, t in view.raw_points()) == 600
    assert ring.window_cost == kept_cost
