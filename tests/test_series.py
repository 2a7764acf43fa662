"""The bounded per-second series: fixed memory, buckets that leave the window fold into a baseline."""

from __future__ import annotations

import datetime as dt
import gc
import sys
import tracemalloc
from decimal import Decimal

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


def _python_calls_to_read(tracker: CostTracker) -> int:
    """Function calls (Python and C) made to take a snapshot and read every figure a panel shows."""
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        s = tracker.snapshot()
        s.total, s.by_tier, s.by_model, s.by_tier_model, s.discarded, s.series, s.total_series  # noqa: B018
        s.burn_rate_usd_per_hour(300)
    finally:
        sys.setprofile(None)
    return count


def test_a_long_session_keeps_one_cell_per_tier_and_model_not_one_per_call(catalog: Catalog) -> None:
    """5,000 more calls leave the tracker's memory and the work of a snapshot as they were: both
    depend on the (tier, model) rows and the series window, not on how many calls were recorded."""
    base = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)

    def fill(tracker: CostTracker, first: int, n: int) -> None:  # gpt-4o in four tiers over ten minutes
        for k in range(first, first + n):
            tracker.record("gpt-4o", Usage(input=k), tier=f"Tier {k % 4 + 1}",
                           at=base + dt.timedelta(seconds=k % 600))

    short, long = CostTracker(catalog), CostTracker(catalog)
    fill(short, 0, 1_000)
    fill(long, 0, 1_000)
    gc.collect()
    # Only what this test's calls allocate (this file in the traceback): a thread another test left
    # running (a ledger's writer, say) must not count.
    # Traced from here on, so the snapshot holds only what was allocated since and is still alive.
    mine = [tracemalloc.Filter(True, __file__, all_frames=True)]
    tracemalloc.start(8)
    try:
        fill(long, 1_000, 5_000)
        gc.collect()
        grown = sum(stat.size for stat in tracemalloc.take_snapshot().filter_traces(mine).statistics("filename"))
    finally:
        tracemalloc.stop()
    # Keeping the calls would take most of a megabyte (an Event is ~150 bytes); even bare references 40 kB
    # (the bound leaves room for what CPython keeps around, ~2-20 kB here).
    assert grown < 32_000, f"the tracker grew by {grown:,} bytes over 5,000 calls"
    for _ in range(2):  # warm: first reads fill caches (sort keys, lazy imports)
        _python_calls_to_read(short), _python_calls_to_read(long)
    assert _python_calls_to_read(long) == _python_calls_to_read(short)
    # and the long session's figures are exact: input 0 + 1 + ... + 5,999 tokens at $2.50 per 1M
    s = long.snapshot()
    assert s.total.input == 5_999 * 6_000 // 2 == 17_997_000 and s.calls == 6_000
    assert s.total_usd == Decimal("44.9925")
    assert s.by_tier["Tier 1"].input == 1_500 * 5_996 // 2 == 4_497_000  # 0 + 4 + ... + 5,996


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
