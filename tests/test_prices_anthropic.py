"""Anthropic prices added or changed on 2026-12-03 (issue 10, data slice), each computed by hand
from the numbers on Anthropic's pages (USD per 1M tokens):

- https://platform.claude.com/docs/en/about-claude/pricing (model pricing table)
- https://platform.claude.com/docs/en/models/<model>/overview (per-model pricing blocks)
- https://platform.claude.com/docs/en/release-notes/overview (Sonnet 5.5 cache-read cut on 2026-10-07,
  Sonnet 4.5 retirement on 2026-11-30)

Fable 5.2 / Mythos 5.2 cache rates are marked unverified in pricing/anthropic.toml (genai-prices 0.2.3).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from costpanel.pricing import Catalog
from costpanel.pricing.retirement import is_retired
from costpanel.quote import quote
from costpanel.usage import Usage

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.timezone.utc)
BEFORE_SONNET_55_CUT = dt.datetime(2026, 10, 6, 23, 59, 59, tzinfo=dt.timezone.utc)
SONNET_55_CUT = dt.datetime(2026, 10, 7, 0, 0, tzinfo=dt.timezone.utc)

# (name as sent, usage, at, expected canonical id, expected USD)
CASES = [
    # --- Claude Opus 5: $5 in / $25 out / $0.50 hit / $6.25 5m write / $10 1h write -------------
    # 10,000 in × $5/M = $0.05 ; 2,000 out × $25/M = $0.05 → $0.10
    ("claude-opus-5", Usage(input=10_000, output=2_000), NOW, "claude-opus-5", "0.1"),
    ("claude-opus-5-latest", Usage(input=10_000, output=2_000), NOW, "claude-opus-5", "0.1"),
    ("claude-opus-5-20260724", Usage(input=10_000, output=2_000), NOW, "claude-opus-5", "0.1"),
    ("anthropic/claude-opus-5", Usage(input=10_000, output=2_000), NOW, "claude-opus-5", "0.1"),
    # 100,000 hit × $0.50/M = $0.05 ; 10,000 5m write × $6.25/M = $0.0625 ; 10,000 1h write × $10/M = $0.10
    # → $0.2125
    ("claude-opus-5", Usage(cache_read=100_000, cache_write=10_000, cache_write_1h=10_000), NOW,
     "claude-opus-5", "0.2125"),
    # --- Claude Opus 5.5: $4 / $20 / $0.20 hit (0.05x) / $5 / $8 ----------------------------------
    # 10,000 in × $4/M = $0.04 ; 1,000 out × $20/M = $0.02 ; 200,000 hit × $0.20/M = $0.04 → $0.10
    ("claude-opus-5-5", Usage(input=10_000, output=1_000, cache_read=200_000), NOW, "claude-opus-5-5", "0.1"),
    # 8,000 5m write × $5/M = $0.04 ; 5,000 1h write × $8/M = $0.04 → $0.08
    ("claude-opus-5-5", Usage(cache_write=8_000, cache_write_1h=5_000), NOW, "claude-opus-5-5", "0.08"),
    ("claude-opus-5-5-20260923", Usage(input=10_000), NOW, "claude-opus-5-5", "0.04"),  # 10,000 × $4/M
    # --- Claude Sonnet 5.5: $2 / $10 / $2.50 / $4; hit $0.20 until 2026-10-06, $0.10 from 2026-10-07 ---
    # 10,000 in × $2/M = $0.02 ; 1,000,000 hit × $0.20/M = $0.20 → $0.22
    ("claude-sonnet-5-5", Usage(input=10_000, cache_read=1_000_000), BEFORE_SONNET_55_CUT,
     "claude-sonnet-5-5", "0.22"),
    # 10,000 in × $2/M = $0.02 ; 1,000,000 hit × $0.10/M = $0.10 → $0.12
    ("claude-sonnet-5-5", Usage(input=10_000, cache_read=1_000_000), SONNET_55_CUT, "claude-sonnet-5-5", "0.12"),
    ("claude-sonnet-5-5", Usage(input=10_000, cache_read=1_000_000), NOW, "claude-sonnet-5-5", "0.12"),
    # 2,000 out × $10/M = $0.02 ; 4,000 5m write × $2.50/M = $0.01 ; 5,000 1h write × $4/M = $0.02 → $0.05
    ("anthropic/claude-sonnet-5-5", Usage(output=2_000, cache_write=4_000, cache_write_1h=5_000), NOW,
     "claude-sonnet-5-5", "0.05"),
    # Sonnet 5 keeps its $0.20 hit: 1,000,000 × $0.20/M = $0.20 (not Sonnet 5.5's $0.10)
    ("claude-sonnet-5", Usage(cache_read=1_000_000), NOW, "claude-sonnet-5", "0.2"),
    # --- Claude Haiku 5.5: ≤ 100,000 prompt tokens $0.10 / $0.50 / $0.01 / $0.125 / $0.20;
    #     above, the whole request at $0.50 / $2.50 / $0.05 / $0.625 / $1 --------------------------
    # prompt 100,000 (not above): 100,000 in × $0.10/M = $0.01 ; 1,000 out × $0.50/M = $0.0005 → $0.0105
    ("claude-haiku-5-5", Usage(input=100_000, output=1_000), NOW, "claude-haiku-5-5", "0.0105"),
    # prompt 100,001: 100,001 in × $0.50/M = $0.0500005 ; 1,000 out × $2.50/M = $0.0025 → $0.0525005
    ("claude-haiku-5-5", Usage(input=100_001, output=1_000), NOW, "claude-haiku-5-5", "0.0525005"),
    # cache reads count toward the prompt: 1 in + 100,000 hit = 100,001 → tier:
    # 1 × $0.50/M = $0.0000005 ; 100,000 hit × $0.05/M = $0.005 → $0.0050005
    ("claude-haiku-5-5", Usage(input=1, cache_read=100_000), NOW, "claude-haiku-5-5", "0.0050005"),
    # below the cliff: 10,000 5m write × $0.125/M = $0.00125 ; 10,000 1h write × $0.20/M = $0.002 ;
    # 50,000 hit × $0.01/M = $0.0005 → $0.00375
    ("claude-haiku-5-5", Usage(cache_write=10_000, cache_write_1h=10_000, cache_read=50_000), NOW,
     "claude-haiku-5-5", "0.00375"),
    # writes count too: 50,001 in + 25,000 5m + 25,000 1h = 100,001 → tier:
    # 50,001 × $0.50/M = $0.0250005 ; 25,000 × $0.625/M = $0.015625 ; 25,000 × $1/M = $0.025 → $0.0656255
    ("claude-haiku-5-5", Usage(input=50_001, cache_write=25_000, cache_write_1h=25_000), NOW,
     "claude-haiku-5-5", "0.0656255"),
    ("claude-haiku-5-5@20261007", Usage(input=100_000, output=1_000), NOW, "claude-haiku-5-5", "0.0105"),
    # --- Claude Fable 5.1 / Mythos 5.1: $10 / $50 / $0.25 hit (0.025x) / $12.50 / $20 ------------
    # 10,000 in × $10/M = $0.10 ; 1,000 out × $50/M = $0.05 ; 400,000 hit × $0.25/M = $0.10 → $0.25
    ("claude-fable-5-1", Usage(input=10_000, output=1_000, cache_read=400_000), NOW, "claude-fable-5-1", "0.25"),
    ("claude-fable-5-1-20260901", Usage(input=10_000, output=1_000, cache_read=400_000), NOW,
     "claude-fable-5-1", "0.25"),
    ("claude-mythos-5-1", Usage(input=10_000, output=1_000, cache_read=400_000), NOW, "claude-mythos-5-1", "0.25"),
    # 8,000 5m write × $12.50/M = $0.10 ; 5,000 1h write × $20/M = $0.10 → $0.20
    ("claude-mythos-5-1", Usage(cache_write=8_000, cache_write_1h=5_000), NOW, "claude-mythos-5-1", "0.2"),
    # --- Claude Mythos 5 (= Fable 5): $10 / $50 / $1 hit / $12.50 / $20 --------------------------
    # 100,000 hit × $1/M = $0.10 ; 1,000 out × $50/M = $0.05 → $0.15
    ("claude-mythos-5", Usage(cache_read=100_000, output=1_000), NOW, "claude-mythos-5", "0.15"),
    # Fable 5 keeps its $1 hit (not Fable 5.1's $0.25): same usage → $0.15
    ("claude-fable-5", Usage(cache_read=100_000, output=1_000), NOW, "claude-fable-5", "0.15"),
    # --- Claude Fable 5.2 / Mythos 5.2: $8 / $40 / $0.20 hit / $10 / $16 --------------------------
    # 10,000 in × $8/M = $0.08 ; 1,000 out × $40/M = $0.04 ; 500,000 hit × $0.20/M = $0.10 ;
    # 10,000 5m × $10/M = $0.10 ; 10,000 1h × $16/M = $0.16 → $0.48
    ("claude-fable-5-2", Usage(input=10_000, output=1_000, cache_read=500_000, cache_write=10_000,
                               cache_write_1h=10_000), NOW, "claude-fable-5-2", "0.48"),
    ("claude-mythos-5-2", Usage(input=10_000, output=1_000, cache_read=500_000, cache_write=10_000,
                                cache_write_1h=10_000), NOW, "claude-mythos-5-2", "0.48"),
    ("claude-fable-5-2-20261109", Usage(input=10_000), NOW, "claude-fable-5-2", "0.08"),  # 10,000 × $8/M
    # --- Claude Sonnet 4.5, retired 2026-11-30: still priced for history ---------------------------
    # 1,000 in × $3/M = $0.003 ; 500 out × $15/M = $0.0075 → $0.0105
    ("claude-sonnet-4-5-20250929", Usage(input=1_000, output=500), dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc),
     "claude-sonnet-4-5", "0.0105"),
]


@pytest.mark.parametrize(("name", "usage", "at", "matched", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_price_as_anthropic_bills_it(catalog: Catalog, name: str, usage: Usage, at: dt.datetime,
                                     matched: str, expected: str) -> None:
    q = quote(catalog, name, usage, at)
    assert q.matched == matched
    assert q.provider == "anthropic"
    assert q.cost_usd == Decimal(expected)


def test_haiku_5_5_reports_the_100k_tier(catalog: Catalog) -> None:
    assert quote(catalog, "claude-haiku-5-5", Usage(input=100_000), NOW).tier_threshold is None
    assert quote(catalog, "claude-haiku-5-5", Usage(input=100_001), NOW).tier_threshold == 100_000


def test_sonnet_5_5_cache_read_cut_is_a_new_period(catalog: Catalog) -> None:
    periods = catalog.models["claude-sonnet-5-5"].spec.prices
    assert [(p.effective, p.cache_read) for p in periods] == [
        (dt.date(2026, 9, 28), Decimal("0.20")), (dt.date(2026, 10, 7), Decimal("0.10"))]


@pytest.mark.parametrize("name", [
    "claude-sonnet-4-5", "claude-2.1", "claude-3-5-haiku", "claude-opus-4-1",
])
def test_retired_models_stay_priced(catalog: Catalog, name: str) -> None:
    entry = catalog.models[name]
    assert is_retired(entry.retired, dt.date(2026, 12, 3))
    assert quote(catalog, name, Usage(input=1_000), NOW).priced


@pytest.mark.parametrize("name", [
    "claude-opus-5-5-mini",     # no such model: not the full Opus 5.5
    "claude-haiku-5",           # no Haiku 5 exists; not Haiku 5.5
    "claude-haiku-5-5x",
    "claude-sonnet-5-5-fast",   # fast mode is not a model name
    "claude-fable-5-3",
    "claude-fable",             # family names without a version match nothing
    "claude-mythos",
    "claude-opus-5-55",
    "claude-mythos-preview",    # retired 2026-06-09, disputed price, not catalogued
])
def test_names_that_must_not_match(catalog: Catalog, name: str) -> None:
    q = quote(catalog, name, Usage(input=1_000, output=1_000), NOW)
    assert not q.priced and q.matched is None


# Anthropic's published cache multipliers for the models of this slice: the 5-minute write is 1.25x
# and the 1-hour write 2x input everywhere; the cache hit is 0.1x input except where Anthropic
# published another rate (per model id, per period effective date).
CACHE_HIT_EXCEPTIONS = {
    ("claude-opus-5-5", dt.date(2026, 9, 23)): Decimal("0.05"),
    ("claude-sonnet-5-5", dt.date(2026, 10, 7)): Decimal("0.05"),
    ("claude-fable-5-1", dt.date(2026, 9, 1)): Decimal("0.025"),
    ("claude-mythos-5-1", dt.date(2026, 9, 1)): Decimal("0.025"),
    ("claude-fable-5-2", dt.date(2026, 11, 9)): Decimal("0.025"),
    ("claude-mythos-5-2", dt.date(2026, 11, 9)): Decimal("0.025"),
}


def test_cache_multipliers_of_the_claude_5_generation(catalog: Catalog) -> None:
    ids = ["claude-mythos-5", "claude-opus-5", "claude-fable-5-1", "claude-mythos-5-1", "claude-opus-5-5",
           "claude-sonnet-5-5", "claude-haiku-5-5", "claude-fable-5-2", "claude-mythos-5-2"]
    seen = set()
    for model_id in ids:
        for period in catalog.models[model_id].spec.prices:
            hit = CACHE_HIT_EXCEPTIONS.get((model_id, period.effective), Decimal("0.1"))
            seen.add((model_id, period.effective))
            for rates in (period, *period.tiers):
                assert rates.cache_read == rates.input * hit, model_id
                assert rates.cache_write == rates.input * Decimal("1.25"), model_id
                assert rates.cache_write_1h == rates.input * 2, model_id
    assert set(CACHE_HIT_EXCEPTIONS) <= seen
