"""What if: ``Snapshot.reprice`` and the call-by-call reprice of a real ledger, with dollars worked
out by hand from the test models' prices (tests/data/whatif/prices.toml, USD per 1M tokens):

    model        input  output  cache read  5m write  1h write  web search /1k
    wi-actual      3      15       0.3        3.75       6          10
    wi-cached      2      10       0.2        2.5        4           5
    wi-nocache     1       4        —          —         —           —
    wi-5m-only     1       4       0.1        1.25       —           0
    wi-cliff       1       5       0.1        1.25       2           —   (whole request x2 above 1,000 prompt tokens;
                                                                          variant priority: 3 / 15, 6 / 30 above 500)
    wi-batchy      4      20       0.4        5          8           —   (variant batch: x0.5)
    wi-grounded    1       4        —          —         —          20   (once per request, however many searches)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage, load_catalog
from costpanel.ledger.queries import parse_range
from costpanel.ledger.sqlite_storage import open_read_only
from costpanel.pricing import Catalog
from costpanel.whatif import WhatIf, WhatIfRow, reprice_ledger

PRICES = Path(__file__).parent / "data" / "whatif" / "prices.toml"
AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)

# Tier 1: 1,000 input, 200 output, 5,000 cache reads, 1,000 5-minute writes
#   wi-actual  3,000 + 3,000 + 1,500 + 3,750 = 11,250 µ$ = $0.01125
# Tier 2: 2,000 input, 100 output
#   wi-actual  6,000 + 1,500 = $0.0075
T1 = Usage(1000, 200, cache_read=5000, cache_write=1000)
T2 = Usage(2000, 100)


@pytest.fixture
def wi_catalog() -> Catalog:
    return load_catalog(overrides=False, extra=[PRICES])


@pytest.fixture
def session(wi_catalog: Catalog) -> CostTracker:
    t = CostTracker(wi_catalog, fallback=False)
    t.record("wi-actual", T1, tier="Tier 1")
    t.record("wi-actual", T2, tier="Tier 2")
    return t


def test_a_whole_session_repriced_on_one_model(session: CostTracker) -> None:
    w = session.snapshot().reprice("wi-cached")
    # Tier 1 on wi-cached: 2,000 + 2,000 + 1,000 + 2,500 = $0.0075; Tier 2: 4,000 + 1,000 = $0.005
    t1, t2 = w.by_tier["Tier 1"], w.by_tier["Tier 2"]
    assert (t1.actual_usd, t1.what_if_usd, t1.difference_usd, t1.difference_pct) == (
        Decimal("0.01125"), Decimal("0.0075"), Decimal("-0.00375"), Decimal("-33.33"))
    assert (t2.actual_usd, t2.what_if_usd, t2.difference_usd) == (Decimal("0.0075"), Decimal("0.005"),
                                                                    Decimal("-0.0025"))
    assert w.total_usd == Decimal("0.0125") and w.actual_usd == Decimal("0.01875")
    assert w.difference_usd == Decimal("-0.00625") and w.difference_pct == Decimal("-33.33")
    assert w.total.target == "wi-cached" and t1.target == t2.target == "wi-cached"
    assert list(w.by_tier_model) == [("Tier 1", "wi-actual"), ("Tier 2", "wi-actual")]
    assert not w.approximate and not w.exact
    assert t1.cache_as_input == () and w.notes == ()
    assert isinstance(w, WhatIf) and w.calls == 2 and w.unpriced_calls == 0


def test_a_tier_map_reprices_those_tiers_and_keeps_the_others(session: CostTracker) -> None:
    w = session.snapshot().reprice({"Tier 2": "wi-nocache"})
    t1, t2 = w.by_tier["Tier 1"], w.by_tier["Tier 2"]
    assert t1.unchanged and t1.target is None
    assert t1.what_if_usd == t1.actual_usd == Decimal("0.01125") and t1.difference_usd == 0
    assert t2.target == "wi-nocache" and t2.what_if_usd == Decimal("0.0024")  # 2,000 x $1 + 100 x $4
    # 0.01125 + 0.0024 = 0.01365 against 0.01875: -0.0051, -27.20 %
    assert (w.total_usd, w.difference_usd, w.difference_pct) == (Decimal("0.01365"), Decimal("-0.0051"),
                                                                 Decimal("-27.20"))
    assert w.total.target is None and w.targets == {"Tier 1": None, "Tier 2": "wi-nocache"}
    model = w.by_model["wi-actual"]  # across both tiers: one unchanged, one repriced
    assert model.target is None and (model.actual_usd, model.what_if_usd) == (Decimal("0.01875"), Decimal("0.01365"))


def test_cache_tokens_carry_over_where_the_target_prices_caching_else_are_billed_as_input(
        session: CostTracker) -> None:
    snap = session.snapshot()
    carried = snap.reprice("wi-cached").by_tier["Tier 1"]
    assert carried.cache_as_input == () and carried.what_if_usd == Decimal("0.0075")
    as_input = snap.reprice("wi-nocache").by_tier["Tier 1"]
    # (1,000 + 5,000 + 1,000) x $1 + 200 x $4 = $0.0078
    assert as_input.what_if_usd == Decimal("0.0078") and as_input.difference_usd == Decimal("-0.00345")
    assert as_input.cache_as_input == ("cache_read", "cache_write")
    assert "cache reads priced as input (wi-nocache has no cache-read price)" in as_input.notes
    assert "5-minute cache writes priced as input (wi-nocache has no cache-write price)" in as_input.notes
    assert snap.reprice("wi-nocache").by_tier["Tier 2"].cache_as_input == ()  # no cache tokens: nothing to say


def test_one_hour_writes_fall_back_to_the_five_minute_rate(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    t.record("wi-actual", Usage(0, 0, cache_write_1h=10_000))  # 10,000 x $6 = $0.06
    row = t.snapshot().reprice("wi-5m-only").total
    assert row.what_if_usd == Decimal("0.0125")  # 10,000 x $1.25
    assert row.cache_as_input == ("cache_write_1h",)
    assert row.notes == ("1-hour cache writes priced at the 5-minute write rate (wi-5m-only has no 1-hour write "
                         "price)",)


def test_an_unknown_target_is_a_clear_error_never_zero(session: CostTracker) -> None:
    snap = session.snapshot()
    with pytest.raises(ValueError, match=r"target: unknown model 'no-such-model' \(not in the price catalog"):
        snap.reprice("no-such-model")
    with pytest.raises(ValueError, match=r"target for tier 'Tier 2': unknown model 'nope'"):
        snap.reprice({"Tier 2": "nope"})
    with pytest.raises(TypeError, match="target must be a model name"):
        snap.reprice(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="target for tier 'Tier 1' must be a model name"):
        snap.reprice({"Tier 1": 3})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="empty tier -> model mapping"):
        snap.reprice({})
    with pytest.raises(TypeError, match="tier must be a str"):
        snap.reprice({1: "wi-cached"})  # type: ignore[dict-item]


def test_a_retired_target_is_priced_at_its_last_price_and_says_it_is_retired(catalog: Catalog) -> None:
    gpt4 = catalog.match("gpt-4")
    assert gpt4 is not None and gpt4.retired is not None and gpt4.retired < dt.date.today()
    tracker = CostTracker(catalog)
    tracker.record("gpt-4o", Usage(input=1000, output=100), tier="Tier 3")
    w = tracker.snapshot().reprice({"Tier 3": "gpt-4"})
    assert w.total_usd == Decimal("0.036")  # 1k x $30/M + 100 x $60/M: its last price
    note = f"gpt-4 was retired on {gpt4.retired.isoformat()}: priced at its last price (calls to it now fail or are redirected)"
    assert note in w.notes
    assert not any("retired" in n for n in tracker.snapshot().reprice("gpt-4o-mini").notes)


def test_an_unpriced_actual_row_states_the_what_if_and_no_difference(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    t.record("mystery-model", Usage(1000, 1000), tier="Tier 3")
    t.record("wi-actual", Usage(1000, 0), tier="Tier 3")  # $0.003
    w = t.snapshot().reprice("wi-cached")
    mystery = w.by_tier_model[("Tier 3", "mystery-model")]
    assert mystery.actual_usd is None and mystery.what_if_usd == Decimal("0.012")  # 1,000 x $2 + 1,000 x $10
    assert mystery.difference_usd is None and mystery.difference_pct is None
    tier = w.by_tier["Tier 3"]
    assert tier.actual_usd == Decimal("0.003") and tier.actual_unpriced_calls == 1
    assert tier.what_if_usd == Decimal("0.014") and tier.difference_usd is None  # not comparable
    assert "1 call(s) recorded unpriced: no actual cost to compare them with" in tier.notes
    assert w.by_tier_model[("Tier 3", "wi-actual")].difference_usd == Decimal("-0.001")
    assert list(w.by_model) == ["wi-actual", "mystery-model"]  # costliest actual first
    assert w.by_model["mystery-model"].target == "wi-cached" and w.by_model["mystery-model"].actual_usd is None


def test_notes_that_count_calls_say_the_sum_over_the_rows_they_merge(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    for tier in ("Tier 1", "Tier 2", "Tier 2"):
        t.record("mystery-model", Usage(1000, 10), tier=tier)
        t.record("wi-actual", Usage(1000, 0), tier=tier)
    w = t.snapshot().reprice("wi-cached")
    assert w.total.actual_unpriced_calls == 3
    assert "3 call(s) recorded unpriced: no actual cost to compare them with" in w.notes
    assert "2 call(s) recorded unpriced: no actual cost to compare them with" in w.by_tier["Tier 2"].notes
    assert sum(n.startswith("3 call(s) recorded unpriced") for n in w.notes) == 1  # once, summed


def test_searches_are_priced_at_the_target_fee_or_left_unpriced_when_it_states_none(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    t.record("wi-actual", Usage(1000, 0, web_search=2))  # $0.003 + 2 x $0.01 = $0.023
    snap = t.snapshot()
    assert snap.total_usd == Decimal("0.023")
    assert snap.reprice("wi-cached").total_usd == Decimal("0.012")  # $0.002 + 2 x $0.005
    assert snap.reprice("wi-5m-only").total_usd == Decimal("0.001")  # searches free there, as stated
    w = snap.reprice("wi-nocache")
    assert w.total_usd is None and w.unpriced_calls == 1 and w.difference_usd is None
    assert "web searches: wi-nocache states no web-search fee, so calls that searched are not priced" in w.notes


def test_a_target_with_long_context_cliffs_is_approximate_from_sums(session: CostTracker) -> None:
    w = session.snapshot().reprice({"Tier 2": "wi-cliff"})
    t2 = w.by_tier["Tier 2"]
    # Tier 2's one call had 2,000 prompt tokens (above 1,000): its sums are that call, billed at its
    # tier exactly: 2,000 x $2 + 100 x $10 = $0.005
    assert t2.what_if_usd == Decimal("0.005") and not t2.approximate and not w.approximate
    # two calls of 600 prompt tokens each: neither crossed, but their sum (1,200) cannot tell: the base
    # rates (1,200 x $1 + 200 x $5 = $0.0022) are a lower bound, and said so
    session.record("wi-actual", Usage(600, 100), tier="Tier 3")
    session.record("wi-actual", Usage(600, 100), tier="Tier 3")
    w = session.snapshot().reprice({"Tier 3": "wi-cliff"})
    t3 = w.by_tier["Tier 3"]
    assert t3.what_if_usd == Decimal("0.0022") and t3.approximate and w.approximate
    assert not w.by_tier["Tier 1"].approximate
    assert any("above 1,000 prompt tokens" in n for n in t3.notes)
    assert not session.snapshot().reprice("wi-cached").approximate


def test_sums_at_or_under_the_first_cliff_are_exact(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    for _ in range(2):
        t.record("wi-actual", Usage(500, 100), tier="Tier 1")  # 1,000 prompt tokens in all: not above 1,000
    w = t.snapshot().reprice("wi-cliff")
    assert w.total_usd == Decimal("0.002") and not w.approximate and not w.notes  # 1,000 x $1 + 200 x $5


def test_the_issue_example_tier_4_on_haiku_others_unchanged(catalog: Catalog) -> None:
    t = CostTracker(catalog, fallback=False)
    t.record("claude-sonnet-5-5", Usage(10_000, 2_000), tier="Tier 1")
    t.record("claude-sonnet-5-5", Usage(10_000, 2_000), tier="Tier 4")  # $0.02 + $0.02
    w = t.snapshot().reprice({"Tier 4": "claude-haiku-5-5"})
    assert w.by_tier["Tier 1"].unchanged and w.by_tier["Tier 1"].what_if_usd == Decimal("0.04")
    assert w.by_tier["Tier 4"].what_if_usd == Decimal("0.002")  # $0.10 and $0.50 per 1M
    assert w.total_usd == Decimal("0.042") and w.difference_usd == Decimal("-0.038")
    assert w.difference_pct == Decimal("-47.50")
    assert not w.approximate  # 10,000 prompt tokens: no call can pass Haiku 5.5's 100,000 cliff


def test_the_same_model_costs_what_it_cost_and_unseen_tiers_are_noted(session: CostTracker) -> None:
    w = session.snapshot().reprice({"Tier 1": "wi-actual", "Tier 9": "wi-cached"})
    t1 = w.by_tier["Tier 1"]
    assert t1.target == "wi-actual" and t1.what_if_units == t1.actual_units and t1.difference_usd == 0
    assert t1.notes == ("already on this model: cost unchanged",)
    assert "Tier 9: no calls to reprice" in w.notes and "Tier 9" not in w.by_tier


def test_an_empty_session_reprices_to_zero_calls(wi_catalog: Catalog) -> None:
    w = CostTracker(wi_catalog, fallback=False).snapshot().reprice("wi-cached")
    assert w.calls == 0 and w.total_usd == 0 and w.by_tier == {} and w.difference_pct is None


def test_the_snapshot_keeps_a_reference_to_the_trackers_catalog(session: CostTracker) -> None:
    assert session.snapshot()._catalog is session.catalog


def test_rows_add_up_to_the_total(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    for k in range(1, 7):
        t.record(("wi-actual", "wi-cached", "mystery")[k % 3], Usage(100 * k, 10 * k, cache_read=50 * k),
                 tier=f"Tier {k % 4}")
    w = t.snapshot().reprice({"Tier 1": "wi-nocache", "Tier 2": "wi-cliff"})
    for field in ("calls", "actual_units", "what_if_units", "actual_unpriced_calls", "what_if_unpriced_calls"):
        assert sum(getattr(r, field) for r in w.by_tier.values()) == getattr(w.total, field)
        assert sum(getattr(r, field) for r in w.by_tier_model.values()) == getattr(w.total, field)


def _ledger(tmp_path: Path, catalog: Catalog, calls: list[tuple[str, Usage, str, str | None]]) -> Path:
    path = tmp_path / "ledger.sqlite3"
    t = CostTracker(catalog, ledger=path, fallback=False)
    for model, usage, tier, variant in calls:
        t.record(model, usage, tier=tier, at=AT, variant=variant)
    t.close()
    return path


def test_the_ledger_reprices_each_call_at_its_own_cliff(tmp_path: Path, wi_catalog: Catalog) -> None:
    path = _ledger(tmp_path, wi_catalog, [("wi-actual", Usage(600, 100), "Tier 2", None),  # 600 prompt: base
                                          ("wi-actual", Usage(2000, 100), "Tier 2", None)])  # 2,000: x2
    conn = open_read_only(path)
    try:
        w = reprice_ledger(conn, parse_range("all"), wi_catalog, "wi-cliff")
    finally:
        conn.close()
    # 600 x $1 + 100 x $5 = $0.0011, then 2,000 x $2 + 100 x $10 = $0.005
    assert w.exact and not w.approximate and w.total_usd == Decimal("0.0061")
    assert w.actual_usd == Decimal("0.0108")  # (600 + 2,000) x $3 + 200 x $15


def test_the_ledger_reprice_carries_a_variant_where_the_target_offers_it(tmp_path: Path,
                                                                         wi_catalog: Catalog) -> None:
    path = _ledger(tmp_path, wi_catalog, [("wi-batchy", Usage(1000, 1000), "Tier 1", "batch")])
    conn = open_read_only(path)
    try:
        span = parse_range("all")
        same = reprice_ledger(conn, span, wi_catalog, "wi-batchy")
        other = reprice_ledger(conn, span, wi_catalog, "wi-cached")
    finally:
        conn.close()
    assert same.actual_usd == same.total_usd == Decimal("0.012")  # (4,000 + 20,000) x 0.5
    assert other.total_usd == Decimal("0.012")  # 2,000 + 10,000 at standard rates
    assert "1 call(s) under variant 'batch' priced at wi-cached's standard rates (it has no 'batch' price)" \
        in other.notes


def test_a_flat_target_gives_the_same_figures_from_sums_and_call_by_call(tmp_path: Path,
                                                                         wi_catalog: Catalog) -> None:
    calls = [("wi-actual", Usage(100 * k, 7 * k, cache_read=30 * k, cache_write_1h=k), f"Tier {k % 3}", None)
             for k in range(1, 10)]
    path = _ledger(tmp_path, wi_catalog, calls)
    t = CostTracker(wi_catalog, fallback=False)
    for model, usage, tier, _ in calls:
        t.record(model, usage, tier=tier, at=AT)
    conn = open_read_only(path)
    try:
        by_call = reprice_ledger(conn, parse_range("all"), wi_catalog, "wi-nocache")
    finally:
        conn.close()
    by_sums = t.snapshot().reprice("wi-nocache")
    assert by_call.as_dict() | {"exact": None} == by_sums.as_dict() | {"exact": None}
    # Σk = 45: (4,500 input + 1,350 cache reads + 45 1-hour writes) x $1 + 315 output x $4 = $0.007155
    assert by_call.total_usd == Decimal("0.007155")


def test_a_search_fee_charged_once_per_request_is_exact_for_one_call_and_approximate_for_sums(
        wi_catalog: Catalog, tmp_path: Path) -> None:
    one = CostTracker(wi_catalog, fallback=False)
    one.record("wi-actual", Usage(1000, 0, web_search=3), tier="Tier 1")
    w = one.snapshot().reprice("wi-grounded")
    assert w.total_usd == Decimal("0.021") and not w.approximate  # $0.001 + one $0.02 fee
    calls = [("wi-actual", Usage(1000, 0, web_search=3), "Tier 1", None),
             ("wi-actual", Usage(1000, 0, web_search=1), "Tier 1", None),
             ("wi-actual", Usage(1000, 0), "Tier 1", None)]
    many = CostTracker(wi_catalog, fallback=False)
    for model, usage, tier, _ in calls:
        many.record(model, usage, tier=tier)
    sums = many.snapshot().reprice("wi-grounded")
    # 4 searches over 3 calls: at most one fee per call, so 3 fees are assumed ($0.003 + $0.06); really 2
    assert sums.total_usd == Decimal("0.063") and sums.approximate
    assert "wi-grounded charges its search fee once per request: estimated from session sums" in sums.notes
    conn = open_read_only(_ledger(tmp_path, wi_catalog, calls))
    try:
        exact = reprice_ledger(conn, parse_range("all"), wi_catalog, "wi-grounded")
    finally:
        conn.close()
    assert exact.total_usd == Decimal("0.043") and not exact.approximate  # $0.003 + 2 x $0.02


def test_a_target_name_that_implies_a_variant_is_priced_under_it(catalog: Catalog) -> None:
    t = CostTracker(catalog, fallback=False)
    t.record("gpt-4o", Usage(1000, 1000))
    snap = t.snapshot()
    plain = snap.reprice("claude-sonnet-4-5")
    regional = snap.reprice("us.anthropic.claude-sonnet-4-5-20250929-v1:0")  # Bedrock regional profile: +10 %
    assert plain.total_usd == Decimal("0.018") and regional.total_usd == Decimal("0.0198")
    assert regional.total.target == "claude-sonnet-4-5"
    assert "priced as claude-sonnet-4-5 under variant 'regional' (the name given implies it)" in regional.notes
    with pytest.raises(ValueError, match="is claude-3-haiku under variant 'govcloud', which claude-3-haiku has no "
                                         "price for"):
        snap.reprice("us-gov.anthropic.claude-3-haiku-20240307-v1:0")


def test_percentages_round_half_up_to_a_hundredth() -> None:
    row = WhatIfRow("x", "m", 1, 20_000, 0, 20_001, 0)  # +0.005 %
    assert row.difference_pct == Decimal("0.01") and row.difference_usd == Decimal("1E-12")
    assert WhatIfRow("x", "m", 1, 20_000, 0, 19_999, 0).difference_pct == Decimal("-0.01")
    assert WhatIfRow("x", "m", 1, 0, 0, 5, 0).difference_pct is None  # of $0 nothing is a percentage


def test_tiers_come_in_natural_order(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    for tier in ("Tier 10", "Tier 2", "planner"):
        t.record("wi-actual", Usage(10, 0), tier=tier)
    assert list(t.snapshot().reprice("wi-cached").by_tier) == ["planner", "Tier 2", "Tier 10"]


def test_grouped_ledger_items_price_exactly_as_call_by_call(tmp_path: Path, wi_catalog: Catalog) -> None:
    from costpanel.ledger.queries import calls_in
    from costpanel.whatif import items_of_calls, ledger_items, make_plan, reprice

    calls = []
    for k in range(40):  # prompts on both sides of wi-cliff's 1,000 (and exactly on it), searches, variants
        usage = Usage(200 + 100 * (k % 13), 10 * k, cache_read=50 * (k % 3), web_search=k % 4 // 2 * (k % 3))
        model = ("wi-actual", "wi-batchy", "mystery")[k % 3]
        variant = "batch" if model == "wi-batchy" and k % 2 else "priority" if model == "wi-actual" and k % 2 \
            else None  # wi-cliff's priority variant has its own cliff, at 500 prompt tokens
        calls.append((model, usage, f"Tier {k % 2 + 1}", variant))
    calls.append(("wi-actual", Usage(1000, 0), "Tier 1", None))  # exactly at the threshold: not above it
    conn = open_read_only(_ledger(tmp_path, wi_catalog, calls))
    try:
        span = parse_range("all")
        for target in ("wi-cliff", "wi-grounded", "wi-batchy", "wi-nocache", {"Tier 1": "wi-cliff"}):
            plan = make_plan(wi_catalog, target)
            grouped = list(ledger_items(conn, span, (plan.default, *plan.per_tier.values())))
            by_call = list(items_of_calls(calls_in(conn, span)))
            assert len(grouped) < len(by_call)  # grouped for real
            assert reprice(grouped, plan, exact=True).as_dict() == reprice(by_call, plan, exact=True).as_dict(), target
    finally:
        conn.close()


def test_exact_repricing_refuses_sums_without_their_prompt_class(session: CostTracker, wi_catalog: Catalog) -> None:
    from costpanel.whatif import items_of_cells, make_plan, reprice

    session.record("wi-actual", Usage(10, 0), tier="Tier 1")  # a cell of two calls
    with pytest.raises(ValueError, match="exact=True reprices calls, or groups from ledger_items"):
        reprice(items_of_cells(session.snapshot()._cells), make_plan(wi_catalog, "wi-cliff"), exact=True)


def test_the_docs_reprice_example_shows_the_values_it_returns() -> None:
    """docs/whatif.md's API block, run as written: each `# Decimal(...)` comment is the repr returned."""
    import re

    text = (Path(__file__).resolve().parent.parent / "docs" / "whatif.md").read_text()
    block = text.split("## From the API: `Snapshot.reprice`", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    names: dict[str, object] = {}
    shown = []
    for line in block.splitlines():
        code, _, comment = line.partition("#")
        found = re.match(r"\s*(Decimal\('[^']*'\))", comment)
        if found and code.strip():
            shown.append((code.strip(), found[1]))
        elif code.strip():
            exec(code, names)  # noqa: S102 - the documented lines, in order
    assert len(shown) == 4
    for expression, expected in shown:
        assert repr(eval(expression, names)) == expected, expression  # noqa: S307


def test_a_sum_of_which_only_some_calls_are_already_on_the_target_says_how_many(wi_catalog: Catalog) -> None:
    """Reprice on one model: a tier that used it and another model, and the total, are not
    "already on this model" — they say how many of their calls are (the trial found every row said it)."""
    t = CostTracker(wi_catalog, fallback=False)
    t.record("wi-actual", Usage(1_000, 100), tier="Tier 1")
    t.record("wi-cached", Usage(1_000, 100), tier="Tier 1")
    t.record("wi-actual", Usage(1_000, 100), tier="Tier 2")
    w = t.snapshot().reprice("wi-actual")
    assert w.by_tier["Tier 2"].notes == ("already on this model: cost unchanged",)
    assert w.by_tier["Tier 1"].notes[0] == "1 of its calls already on their target model: their cost unchanged"
    assert "already on this model: cost unchanged" not in w.notes
    assert "2 of its calls already on their target model: their cost unchanged" in w.notes


def test_sums_holding_variant_calls_say_so_and_are_approximate(catalog: Catalog, tmp_path: Path) -> None:
    """A snapshot's sums keep no split by variant: repriced at the target's standard rates, and said so."""
    t = CostTracker(catalog, ledger=tmp_path / "l.db", fallback=False)
    t.record("gpt-6.2-sol", Usage(10_000, 1_000), tier="Tier 2", variant="fast")
    t.record("gpt-6.2-sol", Usage(10_000, 1_000), tier="Tier 2")
    t.record("gpt-6.2-sol", Usage(10_000, 1_000), tier="Tier 1")
    with t.attempt("Tier 3") as attempt:  # a committed attempt's variant counts too
        attempt.record("gpt-6.2-sol", Usage(1_000, 100), variant="batch")
    snap = t.snapshot()
    assert dict(snap._variants) == {("Tier 2", "gpt-6.2-sol"): ("fast",), ("Tier 3", "gpt-6.2-sol"): ("batch",)}
    w = snap.reprice("claude-opus-5")
    t2, t1 = w.by_tier["Tier 2"], w.by_tier["Tier 1"]
    assert t2.approximate and not t1.approximate and w.approximate
    assert any("calls billed under 'fast' are in these sums, priced at claude-opus-5's standard rates" in n
               for n in t2.notes)
    # 20,000 x $5 + 2,000 x $25 per 1M at standard rates, the fast call included
    assert t2.what_if_usd == Decimal("0.15")
    t.close()
    resumed = CostTracker(catalog, ledger=tmp_path / "l.db", resume=True, fallback=False)
    try:
        assert dict(resumed.snapshot()._variants) == dict(snap._variants)  # read back from the ledger
        resumed.reset()
        assert dict(resumed.snapshot()._variants) == {}
    finally:
        resumed.close()
