"""xAI (Grok) prices added or changed on 2026-12-03, each case computed by hand from xAI's pages.

Rates are USD per 1M tokens: docs.x.ai/developers/pricing, the per-model pages under
docs.x.ai/developers/models/ and docs.x.ai/developers/migration/may-15-retirement. A prompt of
">= 200k tokens" bills the whole request at the long-context column, so the tiers start above
199,999 prompt tokens.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from costpanel.pricing import Catalog
from costpanel.pricing.retirement import is_retired
from costpanel.quote import quote
from costpanel.usage import Usage

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=UTC)

CASES = [
    # --- Grok 4.7: 2 / cached 0.50 / 6; >= 200k: 4 / 1.00 / 12
    ("grok-4.7", "grok-4.7", Usage(input=10_000, output=2_000), NOW,
     "0.032"),  # 10,000 × $2/M + 2,000 × $6/M = 0.02 + 0.012
    ("grok-4.7-latest", "grok-4.7", Usage(input=100_000, cache_read=50_000, output=5_000), NOW,
     "0.255"),  # 100,000 × 2/M + 50,000 × 0.50/M + 5,000 × 6/M = 0.2 + 0.025 + 0.03
    ("xai/grok-4.7", "grok-4.7", Usage(input=10_000, output=2_000), NOW, "0.032"),
    ("grok-4.7", "grok-4.7", Usage(input=199_999, output=1_000), NOW,
     "0.405998"),  # under the cliff: 199,999 × 2/M + 1,000 × 6/M = 0.399998 + 0.006
    ("grok-4.7", "grok-4.7", Usage(input=200_000, output=1_000), NOW,
     "0.812"),  # at 200k, whole request long-context: 200,000 × 4/M + 1,000 × 12/M = 0.8 + 0.012
    # --- Grok 4.6: same as 4.7
    ("grok-4.6", "grok-4.6", Usage(input=1_000, output=500), NOW,
     "0.005"),  # 1,000 × 2/M + 500 × 6/M = 0.002 + 0.003
    ("grok-4.6-latest", "grok-4.6", Usage(input=300_000, cache_read=100_000, output=10_000), NOW,
     "1.42"),  # prompt 400k: 300,000 × 4/M + 100,000 × 1/M + 10,000 × 12/M = 1.2 + 0.1 + 0.12
    # --- Grok 4.5: 2 / cached 0.30 / 6; >= 200k: 4 / 0.60 / 12
    ("grok-4.5", "grok-4.5", Usage(input=20_000, cache_read=80_000, output=4_000), NOW,
     "0.088"),  # 20,000 × 2/M + 80,000 × 0.30/M + 4,000 × 6/M = 0.04 + 0.024 + 0.024
    ("grok-4.5-latest", "grok-4.5", Usage(input=150_000, cache_read=60_000, output=2_000), NOW,
     "0.66"),  # prompt 210k: 150,000 × 4/M + 60,000 × 0.60/M + 2,000 × 12/M = 0.6 + 0.036 + 0.024
    # --- Grok 4.3: 1.25 / cached 0.20 / 2.50; >= 200k: 2.50 / 0.40 / 5
    ("grok-4.3", "grok-4.3", Usage(input=1_000, output=500), NOW,
     "0.0025"),  # 1,000 × 1.25/M + 500 × 2.50/M = 0.00125 + 0.00125
    ("grok-4.3-latest", "grok-4.3", Usage(input=10_000, cache_read=90_000, output=1_000), NOW,
     "0.033"),  # 10,000 × 1.25/M + 90,000 × 0.20/M + 1,000 × 2.50/M = 0.0125 + 0.018 + 0.0025
    ("grok-4.3-20260430", "grok-4.3", Usage(input=1_000, output=500), NOW, "0.0025"),  # dated snapshot
    ("x-ai/grok-4.3", "grok-4.3", Usage(input=1_000, output=500), NOW, "0.0025"),
    ("grok-4.3", "grok-4.3", Usage(input=199_999), NOW,
     "0.24999875"),  # 199,999 × 1.25/M
    ("grok-4.3", "grok-4.3", Usage(input=200_000), NOW,
     "0.5"),  # 200,000 × 2.50/M
    ("grok-4.3", "grok-4.3", Usage(input=150_000, cache_read=50_000, output=1_000), NOW,
     "0.400"),  # prompt 200k (cache counts): 150,000 × 2.50/M + 50,000 × 0.40/M + 1,000 × 5/M = 0.375 + 0.02 + 0.005
    # --- Grok 4.20: launch 2 / 0.20 / 6 (>= 200k: 4 / 0.40 / 12); from 2026-04-30 1.25 / 0.20 / 2.50 (2.50 / 0.40 / 5)
    ("grok-4.20", "grok-4.20", Usage(input=10_000, output=1_000), NOW,
     "0.015"),  # 10,000 × 1.25/M + 1,000 × 2.50/M = 0.0125 + 0.0025
    ("grok-4.20-0309-reasoning", "grok-4.20", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-4.20-non-reasoning", "grok-4.20", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("x-ai/grok-4.20-0309-non-reasoning", "grok-4.20", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-4.20", "grok-4.20", Usage(cache_read=100_000), NOW, "0.02"),  # 100,000 × 0.20/M
    ("grok-4.20", "grok-4.20", Usage(input=250_000, output=1_000), NOW,
     "0.63"),  # 250,000 × 2.50/M + 1,000 × 5/M = 0.625 + 0.005
    ("grok-4.20-0309-reasoning", "grok-4.20", Usage(input=10_000, output=1_000),
     dt.datetime(2026, 4, 1, tzinfo=UTC), "0.026"),  # launch price: 10,000 × 2/M + 1,000 × 6/M = 0.02 + 0.006
    ("grok-4.20", "grok-4.20", Usage(input=250_000, output=1_000), dt.datetime(2026, 4, 1, tzinfo=UTC),
     "1.012"),  # launch long context: 250,000 × 4/M + 1,000 × 12/M = 1.0 + 0.012
    # --- Grok 4.20 Multi-Agent: same token prices as Grok 4.20
    ("grok-4.20-multi-agent", "grok-4.20-multi-agent", Usage(input=10_000, output=10_000), NOW,
     "0.0375"),  # 10,000 × 1.25/M + 10,000 × 2.50/M = 0.0125 + 0.025
    ("grok-4.20-multi-agent-0309", "grok-4.20-multi-agent", Usage(input=10_000, output=10_000), NOW, "0.0375"),
    # --- Grok Build 0.1: 1 / cached 0.20 / 2; >= 200k: 2 / 0.40 / 4
    ("grok-build-0.1", "grok-build-0.1", Usage(input=10_000, cache_read=10_000, output=10_000),
     dt.datetime(2026, 11, 1, tzinfo=UTC), "0.032"),  # 10,000 × 1/M + 10,000 × 0.20/M + 10,000 × 2/M = 0.01 + 0.002 + 0.02
    ("grok-build-0.1", "grok-build-0.1", Usage(input=199_999), dt.datetime(2026, 11, 1, tzinfo=UTC),
     "0.199999"),  # 199,999 × 1/M
    ("grok-build-0.1", "grok-build-0.1", Usage(input=200_000), dt.datetime(2026, 11, 1, tzinfo=UTC),
     "0.4"),  # 200,000 × 2/M
    # --- retired 2026-05-15 12:00 PT (19:00 UTC); from 2026-05-16 billed at grok-4.3's 1.25 / 0.20 / 2.50
    ("grok-4-0709", "grok-4-0709", Usage(input=10_000, output=1_000), dt.datetime(2026, 5, 15, 12, tzinfo=UTC),
     "0.045"),  # still Grok 4: 10,000 × 3/M + 1,000 × 15/M = 0.03 + 0.015
    ("grok-4-0709", "grok-4-0709", Usage(input=10_000, output=1_000), dt.datetime(2026, 5, 16, tzinfo=UTC),
     "0.015"),  # as grok-4.3: 10,000 × 1.25/M + 1,000 × 2.50/M = 0.0125 + 0.0025
    ("grok-4", "grok-4-0709", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-3", "grok-3", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-code-fast-1", "grok-code-fast-1", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-4-fast-reasoning", "grok-4-fast-reasoning", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-4-fast", "grok-4-fast-reasoning", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-4-fast-non-reasoning", "grok-4-fast-non-reasoning", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-4-1-fast-reasoning", "grok-4-1-fast-reasoning", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("grok-4-1-fast-non-reasoning", "grok-4-1-fast-non-reasoning", Usage(input=10_000, output=1_000), NOW,
     "0.015"),
    ("grok-4-1-fast-non-reasoning", "grok-4-1-fast-non-reasoning", Usage(input=10_000, output=1_000),
     dt.datetime(2026, 3, 1, tzinfo=UTC), "0.0025"),  # before: 10,000 × 0.20/M + 1,000 × 0.50/M = 0.002 + 0.0005
    ("grok-3", "grok-3", Usage(cache_read=100_000), NOW, "0.02"),  # cached as grok-4.3: 100,000 × 0.20/M
    ("grok-4-0709", "grok-4-0709", Usage(input=200_000), NOW,
     "0.5"),  # grok-4.3's long-context rate: 200,000 × 2.50/M
    # Grok 4.20 `-gv2` names: grok-4.20's rates. 10,000 × 1.25/M + 1,000 × 2.50/M = 0.0125 + 0.0025
    ("grok-4.20-reasoning-gv2", "grok-4.20", Usage(input=10_000, output=1_000), NOW, "0.015"),
    ("xai/grok-4.20-non-reasoning-gv2", "grok-4.20", Usage(input=10_000, output=1_000), NOW, "0.015"),
    # 200,000 prompt tokens (inclusive cliff): 200,000 × 2.50/M = 0.5
    ("grok-4.20-reasoning-gv2", "grok-4.20", Usage(input=200_000), NOW, "0.5"),
    # grok-build-latest: 1,000 × 2/M + 1,000 × 6/M + 10,000 cached × 0.30/M = 0.002 + 0.006 + 0.003
    ("grok-build-latest", "grok-build-latest", Usage(input=1_000, output=1_000, cache_read=10_000), NOW, "0.011"),
    # at 200,000 prompt tokens the whole request: 190,000 × 4/M + 10,000 × 0.60/M + 1,000 × 12/M
    #   = 0.76 + 0.006 + 0.012
    ("grok-build-latest", "grok-build-latest", Usage(input=190_000, cache_read=10_000, output=1_000), NOW,
     "0.778"),
    # one token below: 189,999 × 2/M + 10,000 × 0.30/M + 1,000 × 6/M = 0.379998 + 0.003 + 0.006
    ("grok-build-latest", "grok-build-latest", Usage(input=189_999, cache_read=10_000, output=1_000), NOW,
     "0.388998"),
]


@pytest.mark.parametrize(("name", "matched", "usage", "at", "expected"), CASES)
def test_xai_price(catalog: Catalog, name: str, matched: str, usage: Usage, at: dt.datetime, expected: str) -> None:
    q = quote(catalog, name, usage, at)
    assert q.matched == matched
    assert q.cost_usd == Decimal(expected)


@pytest.mark.parametrize(("name", "usage", "threshold"), [
    ("grok-4.7", Usage(input=199_999), None), ("grok-4.7", Usage(input=200_000), 199_999),
    ("grok-4.3", Usage(input=199_999), None), ("grok-4.3", Usage(input=200_000), 199_999),
    ("grok-build-0.1", Usage(input=200_000), 199_999),
])
def test_xai_cliff_is_inclusive_at_200k(catalog: Catalog, name: str, usage: Usage, threshold: int | None) -> None:
    assert quote(catalog, name, usage, NOW).tier_threshold == threshold


@pytest.mark.parametrize("name", [
    "grok-4.2", "grok-4.8", "grok-4.70", "grok-4.7-mini", "grok-4.7-fast", "grok-4.6-fast",
    "grok-4.3-fast", "grok-4.3-mini", "grok-4.20-mini", "grok-4.5-build", "grok-build",
    "grok-latest", "grok-build-latest-2", "grok-4.20-multi", "grok-5",
])
def test_names_that_must_not_match(catalog: Catalog, name: str) -> None:
    q = quote(catalog, name, Usage(input=1_000, output=1_000), NOW)
    assert q.matched is None and q.cost_usd is None


@pytest.mark.parametrize(("name", "retired"), [
    ("grok-3", True), ("grok-4-0709", True), ("grok-code-fast-1", True), ("grok-4-fast-reasoning", True),
    ("grok-4-fast-non-reasoning", True), ("grok-4-1-fast-reasoning", True), ("grok-4-1-fast-non-reasoning", True),
    ("grok-4.3", False), ("grok-4.7", False), ("grok-4.20", False), ("grok-3-mini", False),
])
def test_retired_flags(catalog: Catalog, name: str, retired: bool) -> None:
    entry = catalog.match(name)
    assert entry is not None and is_retired(entry.retired, dt.date(2026, 12, 3)) is retired


@pytest.mark.parametrize(("name", "expected"), [
    # 1,000,000 in x $5/M + 100,000 out x $25/M = $5 + $2.50
    ("grok-3-fast", "7.5"),
    # 1,000,000 in x $0.60/M + 100,000 out x $4/M = $0.60 + $0.40
    ("grok-3-mini-fast-latest", "1"),
    # 1,000,000 in x $2/M + 100,000 out x $10/M = $2 + $1
    ("grok-2-vision", "3"),
])
def test_older_grok_ids_genai_prices_lists_are_priced(catalog: Catalog, name: str, expected: str) -> None:
    q = quote(catalog, name, Usage(input=1_000_000, output=100_000), dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
    assert q.cost_usd == Decimal(expected)
