"""CostTracker.price_event: the Event record() would return, counting nothing (for backfills)."""

from __future__ import annotations

import datetime as dt

import pytest

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED
from costpanel.pricing import Catalog

U = Usage(input=3, cache_read=20_000, cache_write=1_000, output=700)
AT = dt.datetime(2026, 11, 30, 9, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("model", "variant"), [("claude-sonnet-4-5", None), ("claude-sonnet-4-5", "batch"),
                                                 ("gpt-4o", "priority"), ("mystery-model", None)])
def test_price_event_is_what_record_counts_and_changes_nothing(catalog: Catalog, model: str,
                                                               variant: str | None) -> None:
    tracker = CostTracker(catalog, fallback=False)
    priced = tracker.price_event(model, U, "main", "cc-1", "e1", AT.timestamp(), variant, "claude-code", "/p")
    assert tracker.snapshot().calls == 0 and tracker.snapshot().version == 1  # nothing counted
    recorded = CostTracker(catalog, fallback=False).record(model, U, "main", "cc-1", "e1", AT, variant,
                                                          "claude-code", "/p")
    assert priced == recorded and priced.status == COMMITTED
    assert (priced.cost_units is None) == (model == "mystery-model")


def test_a_call_before_a_price_change_is_billed_at_the_prices_then(catalog: Catalog) -> None:
    """deepseek-chat changed its prices several times: a call of 2025-03 is billed as it was then."""
    tracker = CostTracker(catalog, fallback=False)
    old, now = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc), dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    then = tracker.price_event("deepseek-chat", U, ts=old.timestamp()).cost_units
    assert then == CostTracker(catalog, fallback=False).record("deepseek-chat", U, at=old).cost_units
    assert then != tracker.price_event("deepseek-chat", U, ts=now.timestamp()).cost_units


@pytest.mark.parametrize(("ts", "error"), [(float("nan"), ValueError), (float("inf"), ValueError), (1e300, ValueError),
                                           ("12", TypeError), (True, TypeError)])
def test_a_time_that_is_no_time_is_refused(catalog: Catalog, ts: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="ts must be epoch seconds"):
        CostTracker(catalog, fallback=False).price_event("gpt-4o", U, ts=ts)  # type: ignore[arg-type]


def test_bad_labels_are_refused_as_record_refuses_them(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False)
    with pytest.raises(TypeError, match="tier must be a str"):
        tracker.price_event("gpt-4o", U, tier=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="event_id"):
        tracker.price_event("gpt-4o", U, event_id="a\nb")
    with pytest.raises(ValueError, match="source"):
        tracker.price_event("gpt-4o", U, source="Claude Code")


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-opus-4-1", "gemini-2.0-flash", "gemini-2.5-pro",
                                   "gpt-4o", "deepseek-chat", "mystery-model"])
@pytest.mark.parametrize("usage", [U, Usage(input=5, cache_write_1h=40_000, output=9, web_search=3),
                                   Usage(input=250_000, output=10, requests=2, web_search=1), Usage(output=1)])
def test_the_flat_rate_shortcut_prices_as_the_period_does(catalog: Catalog, model: str, usage: Usage) -> None:
    """price_event's shortcut for a flat-priced model's latest period (no variant) sums record()'s
    products; the held path prices through cost_units() on the period: the two agree to the unit,
    web-search fees charged once per call or unstated (None) included."""
    tracker = CostTracker(catalog, fallback=False)
    event = tracker.price_event(model, usage, "main", "s", "e", AT.timestamp())
    held = tracker.price(model, usage, "main", AT)
    assert event.cost_units == held.cost and event.priced_by == held.priced_by
