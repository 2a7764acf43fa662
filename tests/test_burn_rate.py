"""The 5-minute burn rate of a young session counts every call since it started, the first
second's included (it read $0/h while the session rate was $1,124/h)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from costpanel import CostTracker, Snapshot, Usage
from costpanel.pricing import Catalog

CALLS = [("gpt-4o", Usage(input=120_000, output=3_000), "Tier 1"),
         ("claude-sonnet-4-5", Usage(input=40_000, cache_read=200_000, output=1_500), "Tier 2"),
         ("gpt-4o-mini", Usage(input=9_000, output=700), "Tier 3")]


def record_all(tracker: CostTracker) -> tuple[Decimal, float]:
    """The calls' exact total in USD, from the events, and the latest event time."""
    events = [tracker.record(model, usage, tier=tier) for model, usage, tier in CALLS]
    assert all(e.cost_units is not None for e in events)
    return sum((Decimal(e.cost_units) / 10**12 for e in events), Decimal(0)), max(e.ts for e in events)


def expected_rate(total: Decimal, snap: Snapshot) -> float:
    """All of a young run's calls, over its age (since its first call): dollars per hour."""
    assert 0 < snap.active_s <= snap.elapsed_s
    return float(total) * 3600 / snap.active_s


def wait_until_fraction(low: float, high: float) -> None:
    """Sleep until the wall clock's fraction of a second lies in [low, high)."""
    while not (low <= time.time() % 1 < high):
        time.sleep(0.002)


def test_calls_in_the_first_second_count_when_the_snapshot_is_taken_in_the_next_one(catalog: Catalog) -> None:
    for _ in range(5):  # a stall at the wrong moment can keep the calls and snapshot in one second
        wait_until_fraction(0.85, 0.92)
        tracker = CostTracker(catalog)
        total, last_call = record_all(tracker)
        wait_until_fraction(0.02, 0.2)
        snap = tracker.snapshot()
        if int(last_call) < int(snap.taken_at.timestamp()) and snap.elapsed_s < 1.0:
            break
    else:
        pytest.fail("could not place the calls and the snapshot on both sides of a second")
    rate = snap.burn_rate_usd_per_hour(300)
    assert rate > 0
    assert rate == pytest.approx(expected_rate(total, snap), rel=1e-9)
    assert rate == pytest.approx(snap.burn_rate_usd_per_hour(None), rel=1e-9)  # young: the session's rate


def test_calls_and_snapshot_in_the_same_first_second(catalog: Catalog) -> None:
    wait_until_fraction(0.1, 0.5)
    tracker = CostTracker(catalog)
    total, _ = record_all(tracker)
    snap = tracker.snapshot()
    assert snap.elapsed_s < 1.0
    assert snap.burn_rate_usd_per_hour(300) == pytest.approx(expected_rate(total, snap), rel=1e-9)


def test_a_fresh_tracker_without_calls_burns_nothing(catalog: Catalog) -> None:
    snap = CostTracker(catalog).snapshot()
    assert snap.burn_rate_usd_per_hour(300) == 0.0 and snap.burn_rate_usd_per_hour(None) == 0.0
