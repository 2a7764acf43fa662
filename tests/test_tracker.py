"""CostTracker: the public API, exact money, unpriced models, attempts, bad input, reset."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED, DISCARDED, DUPLICATE, PENDING

if TYPE_CHECKING:
    from conftest import Clock

    from costpanel.pricing import Catalog

UTC = dt.timezone.utc


def test_record_prices_a_known_model_exactly(tracker: CostTracker) -> None:
    ev = tracker.record("gpt-4o", Usage(input=1200, output=300), tier="Tier 3")
    # 1200 × $2.50/M + 300 × $10/M
    assert ev.cost_usd == Decimal("0.006")
    assert isinstance(ev.cost_usd, Decimal)
    assert ev.priced is True
    assert ev.matched == "gpt-4o"
    assert ev.provider == "openai"
    assert ev.status == COMMITTED


def test_snapshot_exposes_the_documented_api(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=1200, output=300), tier="Tier 3", session=None, event_id=None, at=None)
    s = tracker.snapshot()
    assert s.total_usd == Decimal("0.006")
    assert s.calls == 1
    assert s.tokens == 1500
    assert s.by_tier["Tier 3"].cost_usd == Decimal("0.006")
    assert s.by_model["gpt-4o"].calls == 1
    assert s.by_tier_model[("Tier 3", "gpt-4o")].input == 1200


def test_dressed_names_land_on_one_model_row(tracker: CostTracker) -> None:
    for name in ("gpt-4o-mini", "openai/gpt-4o-mini", "gpt-4o-mini-2024-07-18", "GPT-4o-mini"):
        tracker.record(name, Usage(input=1000, output=100), tier="Tier 4")
    s = tracker.snapshot()
    assert list(s.by_model) == ["gpt-4o-mini"]
    assert s.by_model["gpt-4o-mini"].calls == 4


def test_unknown_model_counts_tokens_but_is_never_priced_as_zero(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=1000, output=100), tier="Tier 1")
    ev = tracker.record("acme-secret-model", Usage(input=5000, output=50), tier="Tier 1")
    assert ev.cost_usd is None and ev.priced is False and ev.matched is None
    s = tracker.snapshot()
    assert s.unpriced == ("acme-secret-model",)
    assert s.unpriced_calls == 1
    row = s.by_model["acme-secret-model"]
    assert row.cost_usd is None  # not Decimal(0)
    assert row.tokens == 5050 and row.calls == 1
    tier = s.by_tier["Tier 1"]
    assert tier.unpriced_calls == 1 and not tier.fully_priced
    assert tier.tokens == 6150
    assert s.total_usd == Decimal("0.0035")  # the priced part, with s.unpriced saying what is missing


@pytest.mark.parametrize(
    ("name", "expected"),
    [("gpt-4", "gpt-4"), ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"), ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13")],
)
def test_similar_names_never_borrow_another_models_price(tracker: CostTracker, name: str, expected: str) -> None:
    assert tracker.record(name, Usage(input=1)).matched == expected


def test_rows_and_total_agree_to_the_last_unit(tracker: CostTracker) -> None:
    calls = [
        ("gpt-4o", "Tier 1", Usage(input=1234, cache_read=777, output=99)),
        ("claude-sonnet-4-5", "Tier 2", Usage(input=3, cache_write=1001, cache_write_1h=17, output=5)),
        ("gemini-2.5-flash-lite", "Tier 4", Usage(input=1, output=1)),
        ("mystery", "Tier 4", Usage(input=10, output=10)),
        ("gpt-5-nano", "Tier 3", Usage(input=7, output=3)),
    ] * 7
    now = time.time()
    expected = sum((tracker.catalog.match(m).cost_units(u, now) for m, _, u in calls if m != "mystery"), 0)
    for model, tier, usage in calls:
        tracker.record(model, usage, tier=tier)
    s = tracker.snapshot()
    assert s.total.cost_units == expected
    assert sum(r.cost_units for r in s.by_model.values()) == expected
    assert sum(r.cost_units for r in s.by_tier.values()) == expected
    assert sum(r.cost_units for r in s.by_tier_model.values()) == expected
    assert sum((r.cost_usd or 0 for r in s.by_model.values()), Decimal(0)) == s.total_usd
    assert sum(r.calls for r in s.by_tier.values()) == len(calls)


def test_each_row_carries_every_bucket_calls_cost_and_share(tracker: CostTracker) -> None:
    tracker.record("claude-sonnet-4-5", Usage(input=1, cache_read=2, cache_write=3, cache_write_1h=4, output=5, requests=2), tier="T")
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="T")
    row = tracker.snapshot().by_model["claude-sonnet-4-5"]
    assert (row.input, row.cache_read, row.cache_write, row.cache_write_1h, row.output, row.requests) == (1, 2, 3, 4, 5, 2)
    assert row.calls == 1
    assert row.tokens == 15
    # $3×1 + $0.30×2 + $3.75×3 + $6×4 + $15×5 per million tokens
    assert row.cost_usd == Decimal("0.00011385")
    assert row.share == pytest.approx(0.00011385 / (0.00011385 + 2.5))  # of the session's $2.50011385


def test_tiers_sort_naturally(tracker: CostTracker) -> None:
    for tier in ("Tier 10", "Tier 2", "Tier 1", "planner", "Tier 4", "Tier 3"):
        tracker.record("gpt-4o", Usage(input=1), tier=tier)
    assert list(tracker.snapshot().by_tier) == ["planner", "Tier 1", "Tier 2", "Tier 3", "Tier 4", "Tier 10"]


def test_at_picks_the_price_period_in_effect(tracker: CostTracker) -> None:
    entry = tracker.catalog.match("o3")
    assert entry is not None and len(entry.periods) >= 2, "o3 has a price history (cut on 2025-06-10)"
    before = tracker.record("o3", Usage(input=1_000_000), at=dt.datetime(2025, 5, 1, tzinfo=UTC))
    after = tracker.record("o3", Usage(input=1_000_000), at=dt.datetime(2025, 7, 1, tzinfo=UTC))
    assert before.cost_usd == Decimal(10)
    assert after.cost_usd == Decimal(2)
    assert before.at == dt.datetime(2025, 5, 1, tzinfo=UTC)


def test_long_context_cliff_reprices_the_whole_request(tracker: CostTracker) -> None:
    small = tracker.record("claude-sonnet-4-5", Usage(input=200_000, output=1000))
    big = tracker.record("claude-sonnet-4-5", Usage(input=150_000, cache_read=50_001, output=1000))
    assert small.cost_usd == Decimal("0.6") + Decimal("0.015")
    # > 200k prompt tokens (cache reads count): $6 in, $0.60 cache read, $22.50 out, for all of it
    assert big.cost_usd == Decimal("0.9") + Decimal("0.0300006") + Decimal("0.0225")


def test_idempotent_event_id_counts_once(tracker: CostTracker) -> None:
    first = tracker.record("gpt-4o", Usage(input=100), event_id="call-1")
    again = tracker.record("gpt-4o", Usage(input=100), event_id="call-1")
    assert first.status == COMMITTED and first.counted
    assert again.status == DUPLICATE and not again.counted
    s = tracker.snapshot()
    assert s.calls == 1 and s.total_usd == Decimal("0.00025")


def test_attempt_commit_counts_and_discard_is_shown_apart(tracker: CostTracker) -> None:
    with pytest.raises(TimeoutError):
        with tracker.attempt(tier="Tier 2") as a:
            ev = a.record("gpt-5", Usage(input=1000, output=10))
            assert ev.status == PENDING
            assert tracker.snapshot().pending_calls == 1
            raise TimeoutError
    with tracker.attempt(tier="Tier 2") as b:
        b.record("claude-sonnet-4-5", Usage(input=1000, output=10))
    s = tracker.snapshot()
    assert s.calls == 1 and list(s.by_model) == ["claude-sonnet-4-5"]
    assert s.total_usd == Decimal("0.00315")
    assert s.discarded.calls == 1
    assert s.discarded.cost_usd == Decimal("0.00135")  # gpt-5: 1000 × $1.25/M + 10 × $10/M
    assert list(s.discarded_by_tier_model) == [("Tier 2", "gpt-5")]
    assert s.pending_calls == 0 and s.pending_usd == 0
    assert [e.status for e in a.events] == [DISCARDED]
    assert [e.status for e in b.events] == [COMMITTED]


def test_attempt_explicit_discard_and_finished_attempt_refuses_more(tracker: CostTracker) -> None:
    with tracker.attempt(tier="T") as a:
        a.record("gpt-4o", Usage(input=10))
        a.discard()
    with pytest.raises(RuntimeError, match="already finished"):
        a.record("gpt-4o", Usage(input=10))
    assert tracker.snapshot().calls == 0
    assert tracker.snapshot().discarded.calls == 1


def test_discarded_event_id_may_be_retried(tracker: CostTracker) -> None:
    with tracker.attempt() as a:
        a.record("gpt-4o", Usage(input=10), event_id="x")
        a.discard()
    assert tracker.record("gpt-4o", Usage(input=10), event_id="x").counted


@pytest.mark.parametrize(
    ("kwargs", "error", "names"),
    [
        ({"usage": Usage(input=1), "model": ""}, ValueError, ["model", "''"]),
        ({"usage": Usage(input=1), "model": 42}, TypeError, ["model", "int", "42"]),
        ({"usage": Usage(input=1), "model": "gpt-4o", "tier": 3}, TypeError, ["tier", "int", "3"]),
        ({"usage": Usage(input=1), "model": "gpt-4o", "tier": None}, TypeError, ["tier", "None"]),
        ({"usage": Usage(input=1), "model": "gpt-4o", "tier": "  "}, ValueError, ["tier"]),
        ({"usage": {"input": -5}, "model": "gpt-4o"}, ValueError, ["input", "-5"]),
        ({"usage": {"input": 1.5}, "model": "gpt-4o"}, TypeError, ["input", "float", "1.5"]),
        ({"usage": {"output": True}, "model": "gpt-4o"}, TypeError, ["output", "bool", "True"]),
        ({"usage": {"inputs": 5}, "model": "gpt-4o"}, TypeError, ["inputs"]),
        ({"usage": (1, 2), "model": "gpt-4o"}, TypeError, ["usage", "tuple"]),
        ({"usage": Usage(input=1), "model": "gpt-4o", "at": dt.datetime(2025, 1, 1)}, ValueError, ["at", "naive"]),
        ({"usage": Usage(input=1), "model": "gpt-4o", "at": "2025-01-01"}, TypeError, ["at", "str"]),
        ({"usage": Usage(input=1), "model": "gpt-4o", "event_id": 7}, TypeError, ["event_id", "int"]),
        ({"usage": Usage(input=1), "model": "gpt-4o", "session": 7}, TypeError, ["session", "int"]),
    ],
)
def test_bad_input_raises_naming_the_field_and_changes_nothing(
    tracker: CostTracker, kwargs: dict, error: type[Exception], names: list[str]
) -> None:
    tracker.record("gpt-4o", Usage(input=100, output=10), tier="Tier 1", event_id="seen")
    before = tracker.snapshot()
    with pytest.raises(error) as info:
        tracker.record(**kwargs)
    for name in names:
        assert name in str(info.value)
    after = tracker.snapshot()
    assert after.version == before.version
    assert dict(after._cells) == dict(before._cells)
    assert after.by_model.keys() == before.by_model.keys()


def test_usage_rejects_bad_counts_naming_the_bucket() -> None:
    with pytest.raises(ValueError, match=r"Usage.cache_read must be >= 0, got -1"):
        Usage(cache_read=-1)
    with pytest.raises(TypeError, match=r"Usage.output must be a non-negative int, got float 2.0"):
        Usage(output=2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Usage.requests .* bool True"):
        Usage(requests=True)
    with pytest.raises(ValueError, match="implausibly large"):
        Usage(input=10**13)
    with pytest.raises(ValueError, match=r"Usage.output is implausibly large \(1764806400 > 1,000,000,000\)"):
        Usage(output=1764806400)  # a timestamp in a token count's place


def test_reset_starts_a_new_zero_session(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=100), tier="Tier 1", event_id="a")
    old = tracker.snapshot()
    new_session = tracker.reset()
    s = tracker.snapshot()
    assert new_session != old.session and s.session == new_session
    assert s.calls == 0 and s.total_usd == 0 and not s.by_tier and not s.by_model
    assert s.version > old.version
    assert s.started_at >= old.started_at
    assert old.calls == 1, "an earlier snapshot is not affected by reset"
    assert tracker.record("gpt-4o", Usage(input=100), event_id="a").counted, "ids are per session"


def test_version_changes_with_every_counted_call_only(tracker: CostTracker) -> None:
    v0 = tracker.version
    tracker.record("gpt-4o", Usage(input=1), event_id="e")
    v1 = tracker.version
    tracker.record("gpt-4o", Usage(input=1), event_id="e")  # duplicate
    assert v1 > v0 and tracker.version == v1
    tracker.snapshot()
    assert tracker.version == v1


def test_snapshot_is_immutable_and_unaffected_by_later_records(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=100))
    s = tracker.snapshot()
    tracker.record("gpt-4o", Usage(input=100))
    assert s.calls == 1 and tracker.snapshot().calls == 2
    with pytest.raises(TypeError):
        s.by_model["x"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        s.version = 3  # type: ignore[misc]


def test_subscribers_receive_counted_and_discarded_events(tracker: CostTracker) -> None:
    seen = []
    unsubscribe = tracker.subscribe(seen.append)
    tracker.record("gpt-4o", Usage(input=1), event_id="1")
    tracker.record("gpt-4o", Usage(input=1), event_id="1")
    with tracker.attempt() as a:
        a.record("gpt-4o", Usage(input=1))
        a.discard()
    unsubscribe()
    tracker.record("gpt-4o", Usage(input=1))
    assert [e.status for e in seen] == [COMMITTED, DISCARDED]


def test_a_failing_subscriber_does_not_break_record(tracker: CostTracker, caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    tracker.subscribe(broken)
    assert tracker.record("gpt-4o", Usage(input=1)).counted
    assert tracker.snapshot().calls == 1
    assert "listener bug" in caplog.text


def test_session_label_is_carried_on_events(tracker: CostTracker) -> None:
    assert tracker.record("gpt-4o", Usage(input=1)).session == tracker.session
    assert tracker.record("gpt-4o", Usage(input=1), session="chat-42").session == "chat-42"


def test_usage_mapping_is_accepted(tracker: CostTracker) -> None:
    ev = tracker.record("gpt-4o", {"input": 1000, "output": 10})
    assert ev.usage == Usage(input=1000, output=10)


def test_burn_rates_and_series_are_the_hand_computed_figures(catalog, clock: Clock) -> None:
    tracker = CostTracker(catalog)  # the session starts at the clock's START
    clock.advance(3600)  # an hour later: the session-average rate is the total per hour
    # gpt-4o: $2.50 per 1M input tokens, $10 per 1M output tokens
    tracker.record("gpt-4o", Usage(input=2_000_000), tier="Tier 1", at=clock.ago(3000))  # $5.00
    tracker.record("gpt-4o", Usage(input=100_000), tier="Tier 1", at=clock.ago(400))  # $0.25, before the 5 min
    tracker.record("gpt-4o", Usage(input=400_000), tier="Tier 2", at=clock.ago(120))  # $1.00
    tracker.record("gpt-4o", Usage(output=50_000), tier="Tier 2", at=clock.ago(30))  # $0.50
    s = tracker.snapshot()
    assert s.elapsed_s == 3600
    assert s.total_usd == Decimal("6.75")
    assert s.burn_rate_usd_per_hour(None) == pytest.approx(8.1)  # $6.75 since the first call, 3,000 s ago
    assert s.burn_rate_usd_per_hour(300) == pytest.approx(18.0)  # ($1.00 + $0.50) in 300 s = $18/h
    assert s.burn_rate_usd_per_hour(60) == pytest.approx(30.0)  # $0.50 in 60 s = $30/h
    assert set(s.series) == {"Tier 1", "Tier 2"}
    xs, ys = s.total_series.cumulative_usd()
    start = clock.START
    assert xs == [start + 600, start + 3200, start + 3480, start + 3570]
    assert ys == pytest.approx([5.0, 5.25, 6.25, 6.75])


def test_a_young_session_burns_at_its_rate_over_its_age_not_over_five_minutes(catalog, clock: Clock) -> None:
    tracker = CostTracker(catalog)
    clock.advance(100)
    tracker.record("gpt-4o", Usage(input=400_000), tier="Tier 1", at=clock.ago(50))  # $1.00
    s = tracker.snapshot()
    # $1.00 over the run's 50 s (since its first call), not over 300 s: $72/h (over 300 s: $12/h),
    # nor over the session's 100 s, half of them idle before the run began ($36/h)
    assert s.active_s == 50
    assert s.burn_rate_usd_per_hour(300) == pytest.approx(72.0)
    assert s.burn_rate_usd_per_hour(None) == pytest.approx(72.0)


AT = dt.datetime(2026, 11, 1, tzinfo=UTC)  # a fixed instant: the price periods in force are known


def test_record_adds_the_per_request_fee_to_the_token_cost(tracker: CostTracker) -> None:
    # pricing/perplexity.toml, sonar: input $1/M, output $1/M, per_1k_requests $5 ($0.005 a request)
    first = tracker.record("sonar", Usage(input=1000, output=500), tier="Tier 3", at=AT)
    assert first.cost_usd == Decimal("0.001") + Decimal("0.0005") + Decimal("0.005")
    second = tracker.record("sonar", Usage(input=2000, output=0, requests=2), tier="Tier 3", at=AT)
    assert second.cost_usd == Decimal("0.002") + 2 * Decimal("0.005")
    with tracker.attempt(tier="Tier 3") as a:  # the attempts' pricing path adds it too
        a.record("sonar", Usage(input=0, output=0), at=AT)
    s = tracker.snapshot()
    assert s.total_usd == Decimal("0.0065") + Decimal("0.012") + Decimal("0.005")
    assert s.by_model["sonar"].requests == 4
    assert s.by_tier["Tier 3"].cost_usd == Decimal("0.0235")


def test_the_session_total_is_the_sum_of_every_tier(tracker: CostTracker) -> None:
    # per 1M tokens: opus-4-1 $15 in / $75 out, sonnet-4-5 $3 / $15, gpt-5-mini $0.25 / $2, gpt-5-nano $0.05 / $0.40
    tracker.record("claude-opus-4-1", Usage(input=10_000, output=2_000), tier="Tier 1", at=AT)  # 0.15 + 0.15
    tracker.record("claude-sonnet-4-5", Usage(input=20_000, output=4_000), tier="Tier 2", at=AT)  # 0.06 + 0.06
    tracker.record("gpt-5-mini", Usage(input=40_000, output=5_000), tier="Tier 3", at=AT)  # 0.01 + 0.01
    tracker.record("gpt-5-nano", Usage(input=100_000, output=10_000), tier="Tier 4", at=AT)  # 0.005 + 0.004
    tracker.record("mystery", Usage(input=7, output=7), tier="Tier 4", at=AT)  # unpriced: not in the total
    s = tracker.snapshot()
    assert {t: r.cost_usd for t, r in s.by_tier.items()} == {
        "Tier 1": Decimal("0.30"), "Tier 2": Decimal("0.12"), "Tier 3": Decimal("0.02"), "Tier 4": Decimal("0.009")}
    assert s.total_usd == Decimal("0.449")
    assert s.total.calls == 5 and s.total.unpriced_calls == 1
    assert s.tokens == 12_000 + 24_000 + 45_000 + 110_000 + 14


def test_an_attempt_is_priced_with_the_period_in_force_at_its_time(tracker: CostTracker) -> None:
    # pricing/openai.toml, o3: $10/M input until 2025-06-10, then $2/M
    with tracker.attempt(tier="Tier 1") as a:
        before = a.record("o3", Usage(input=1_000_000), at=dt.datetime(2025, 5, 1, tzinfo=UTC))
        after = a.record("o3", Usage(input=1_000_000), at=dt.datetime(2025, 7, 1, tzinfo=UTC))
    assert (before.cost_usd, after.cost_usd) == (Decimal(10), Decimal(2))
    assert tracker.snapshot().total_usd == Decimal(12)


def test_a_session_can_have_begun_before_its_tracker(catalog: Catalog) -> None:
    """`costpanel watch` shows today: its session starts at local midnight, so elapsed time counts
    from there, not from when the watch was started; its rates count from the day's first call."""
    import datetime as dt

    begun = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
    tracker = CostTracker(catalog, fallback=False, started_at=begun)
    tracker.record("gpt-4o", Usage(input=400_000, output=0), at=begun + dt.timedelta(minutes=5))
    snap = tracker.snapshot()
    assert abs((snap.started_at - begun).total_seconds()) < 1e-3
    assert 7190 < snap.elapsed_s < 7300
    assert snap.active_s == pytest.approx(snap.elapsed_s - 300, abs=1e-3)  # since the call, 5 min after the start
    assert snap.burn_rate_usd_per_hour(None) == pytest.approx(float(snap.total_usd) / (115 / 60), rel=0.02)
    with pytest.raises(ValueError, match="must not be in the future"):
        CostTracker(catalog, started_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        CostTracker(catalog, started_at=dt.datetime.now())


@given(st.integers(-10**24, 10**24))  # (within the decimal context's 28 digits, for the division below)
def test_a_cost_is_the_exact_decimal_of_its_units_printed_without_trailing_zeros(units: int) -> None:
    """``print(snap.total_usd)`` says 0.00825, not 0.008250000000; the value is exact either way."""
    from costpanel.money import units_to_usd, usd_to_units

    usd = units_to_usd(units)
    assert usd == Decimal(units) / 10**12 and usd_to_units(usd) == units
    digits = usd.as_tuple().digits
    assert units == 0 or digits[-1] != 0 or usd.as_tuple().exponent == 0  # no zero kept past the point
    assert str(units_to_usd(8_250_000_000)) == "0.00825" and str(units_to_usd(15 * 10**11)) == "1.5"
