""""Cheapest that has the same capabilities" from the user's list, and the what-if's text for people.
Prices: see tests/test_whatif.py's docstring."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage, load_catalog
from costpanel.pricing import Catalog
from costpanel.whatif.candidates import Candidates, bundled_path, cheapest, load_candidates
from costpanel.whatif.view import format_difference, format_pct, model_choices, model_lines, tier_lines

PRICES = Path(__file__).parent / "data" / "whatif" / "prices.toml"


@pytest.fixture
def wi_catalog() -> Catalog:
    return load_catalog(overrides=False, extra=[PRICES])


@pytest.fixture
def session(wi_catalog: Catalog) -> CostTracker:
    t = CostTracker(wi_catalog, fallback=False)
    t.record("wi-actual", Usage(1000, 200, cache_read=5000, cache_write=1000), tier="Tier 1")
    t.record("wi-actual", Usage(2000, 100, web_search=2), tier="Tier 2")
    return t


def test_the_cheapest_candidate_that_prices_every_call_wins(session: CostTracker) -> None:
    choice = cheapest(session.snapshot(), ["wi-nocache", "no-such-model", "wi-cached", "wi-5m-only"])
    # wi-cached: Tier 1 $0.0075, Tier 2 4,000 + 1,000 + 2 searches x $0.005 = $0.015 -> $0.0225
    # wi-5m-only: Tier 1 1,000 + 800 + 500 + 1,250 = $0.00355, Tier 2 2,000 + 400 (searches free) -> $0.00595
    assert choice.target == "wi-5m-only"
    assert choice.ranked["*"] == (("wi-5m-only", 5_950_000_000), ("wi-cached", 22_500_000_000))
    assert choice.whatif is not None and choice.whatif.total_usd == Decimal("0.00595")
    skipped = dict(choice.skipped)
    assert skipped["no-such-model"] == "not in the price catalog"
    assert skipped["wi-nocache"].startswith("cannot price 1 call(s) (web searches: wi-nocache states no web-search fee")


def test_per_tier_each_tier_gets_its_own_cheapest(session: CostTracker) -> None:
    candidates = Candidates(("wi-cached", "wi-nocache"), {"Tier 2": ("wi-actual", "wi-cached")})
    choice = cheapest(session.snapshot(), candidates, per_tier=True)
    # Tier 1: wi-cached $0.0075 < wi-nocache 7,000 + 800 = $0.0078; Tier 2: wi-cached $0.015 < as recorded $0.0075 + $0.02 = $0.0275
    assert choice.target == {"Tier 1": "wi-cached", "Tier 2": "wi-cached"}
    assert choice.ranked["Tier 1"] == (("wi-cached", 7_500_000_000), ("wi-nocache", 7_800_000_000))
    assert choice.ranked["Tier 2"] == (("wi-cached", 15_000_000_000), ("wi-actual", 27_500_000_000))
    assert choice.whatif is not None and choice.whatif.total_usd == Decimal("0.0225")


def test_no_usage_chooses_nothing(wi_catalog: Catalog) -> None:
    choice = cheapest(CostTracker(wi_catalog, fallback=False).snapshot(), ["wi-cached"])
    assert choice == (None, None, {}, ())


def test_no_usable_candidate_chooses_nothing(session: CostTracker) -> None:
    choice = cheapest(session.snapshot(), ["wi-nocache", "nope"])
    assert choice.target is None and choice.whatif is None and choice.ranked == {"*": ()}


def test_ties_keep_the_list_order(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    t.record("wi-actual", Usage(1000, 0))  # $0.001 on both below
    assert cheapest(t.snapshot(), ["wi-nocache", "wi-5m-only"]).target == "wi-nocache"
    assert cheapest(t.snapshot(), ["wi-5m-only", "wi-nocache"]).target == "wi-5m-only"


def test_the_bundled_list_is_the_default_and_the_catalog_prices_all_of_it(catalog: Catalog) -> None:
    bundled = load_candidates()
    assert bundled.path == bundled_path() and len(bundled.models) >= 3
    assert [catalog.match(name) is not None for name in bundled.models] == [True] * len(bundled.models)


def test_the_users_file_replaces_the_bundled_list(isolated_user_dirs: Path, session: CostTracker) -> None:
    (isolated_user_dirs / "whatif.toml").write_text(
        '[whatif]\ncandidates = ["wi-cached"]\n[whatif.tiers]\n"Tier 1" = ["wi-nocache"]\n', encoding="utf-8")
    mine = load_candidates()
    assert mine == Candidates(("wi-cached",), {"Tier 1": ("wi-nocache",)}, isolated_user_dirs / "whatif.toml")
    assert cheapest(session.snapshot()).target == "wi-cached"  # read by default


@pytest.mark.parametrize(("text", "message"), [
    ("candidates = ['a']\n", "needs a [whatif] table"),
    ("[whatif]\ncandidates = []\n", "whatif.candidates must be a non-empty list"),
    ("[whatif]\ncandidates = 'gpt-5'\n", "whatif.candidates must be a non-empty list"),
    ("[whatif]\ncandidates = ['a', 3]\n", "whatif.candidates must be a str, got int 3"),
    ("[whatif]\ncandidates = ['a']\nmodels = ['b']\n", "unknown field(s) models"),
    ("[whatif]\ncandidates = ['a']\ntiers = 3\n", "whatif.tiers must be a table"),
    ("[whatif]\ncandidates = ['a']\n[whatif.tiers]\nT = []\n", "whatif.tiers.'T' must be a non-empty list"),
    ("[whatif\n", "not valid TOML"),
])
def test_a_malformed_candidates_file_names_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "whatif.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=str(path)) as info:
        load_candidates(path)
    assert message in str(info.value)


def test_a_missing_candidates_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such candidates file"):
        load_candidates(tmp_path / "absent.toml")


def test_the_view_lines_state_money_difference_and_percent_as_text(wi_catalog: Catalog) -> None:
    t = CostTracker(wi_catalog, fallback=False)
    t.record("wi-actual", Usage(1000, 200, cache_read=5000, cache_write=1000), tier="Tier 1")
    t.record("mystery-model", Usage(1000, 1000), tier="Tier 2")
    w = t.snapshot().reprice({"Tier 1": "wi-nocache", "Tier 2": "wi-cached"})
    tier1, tier2, total = tier_lines(w)
    assert tier1[:8] == ("Tier 1", "wi-nocache", "1", "$0.011", "$0.0078", "-$0.0035", "-30.67%", "cache→input")
    assert "cache reads priced as input" in tier1.tooltip
    assert tier2[:7] == ("Tier 2", "wi-cached", "1", "unpriced", "$0.012", "—", "—")
    assert total[:7] == ("Total", "mixed", "2", "$0.011 +?", "$0.020", "—", "—")
    assert [ln.label for ln in model_lines(w)] == ["Tier 1 · wi-actual", "Tier 2 · mystery-model"]
    assert tier_lines(t.snapshot().reprice({"Tier 1": "wi-cliff"}))[0].flags == ""  # one call: exact at its tier
    t.record("wi-actual", Usage(1000, 200), tier="Tier 1")  # two calls, 8,000 prompt tokens: which crossed?
    assert tier_lines(t.snapshot().reprice({"Tier 1": "wi-cliff"}))[0].flags == "≈"


def test_differences_and_percentages_carry_their_sign() -> None:
    assert format_difference(Decimal("0.5")) == "+$0.50" and format_difference(Decimal("-0.5")) == "-$0.50"
    assert format_difference(Decimal(0)) == "$0.00" and format_difference(None) == "—"
    assert format_pct(Decimal("12.50")) == "+12.50%" and format_pct(Decimal("-3.10")) == "-3.10%"
    assert format_pct(None) == "—"


def test_model_choices_put_the_candidates_first(wi_catalog: Catalog) -> None:
    choices = model_choices(wi_catalog, ["wi-cliff", "nope", "wi-cached"])
    assert choices[:2] == ("wi-cliff", "wi-cached") and len(choices) == len(wi_catalog)
    assert list(choices[2:]) == sorted(choices[2:])


def test_over_the_ledgers_calls_the_choice_is_exact(tmp_path: Path, wi_catalog: Catalog) -> None:
    import datetime as dt

    from costpanel.ledger.queries import calls_in, parse_range
    from costpanel.ledger.sqlite_storage import open_read_only
    from costpanel.whatif import items_of_calls
    from costpanel.whatif.candidates import cheapest_in_ledger, cheapest_of

    path = tmp_path / "ledger.sqlite3"
    t = CostTracker(wi_catalog, ledger=path, fallback=False)
    for _ in range(2):
        t.record("wi-actual", Usage(1500, 1000), at=dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc))
    t.close()
    # From sums wi-cliff looks cheap: 3,000 x $1 + 2,000 x $5 = $0.013. Call by call each 1,500-token
    # prompt is above its cliff: 2 x (1,500 x $2 + 1,000 x $10) = $0.026, as much as wi-cached
    conn = open_read_only(path)
    try:
        exact = cheapest_of(items_of_calls(calls_in(conn, parse_range("all"))), wi_catalog,
                            ["wi-cached", "wi-cliff"], exact=True)
    finally:
        conn.close()
    assert exact.ranked["*"] == (("wi-cached", 26_000_000_000), ("wi-cliff", 26_000_000_000))
    assert exact.target == "wi-cached" and exact.whatif is not None and not exact.whatif.approximate
    conn = open_read_only(path)
    try:
        grouped = cheapest_in_ledger(conn, parse_range("all"), wi_catalog, ["wi-cached", "wi-cliff", "nope"])
    finally:
        conn.close()
    assert grouped.ranked == exact.ranked and grouped.target == "wi-cached"
    assert grouped.skipped == (("nope", "not in the price catalog"),)
    t2 = CostTracker(wi_catalog, fallback=False)
    for _ in range(2):
        t2.record("wi-actual", Usage(1500, 1000))
    by_sums = cheapest(t2.snapshot(), ["wi-cached", "wi-cliff"])
    assert by_sums.ranked["*"] == (("wi-cliff", 13_000_000_000), ("wi-cached", 26_000_000_000))
    assert by_sums.whatif is not None and by_sums.whatif.approximate
