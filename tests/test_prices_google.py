"""Google Gemini models added on 2026-12-03 (issue 10): each case's expected cost is worked out by
hand from the provider's rates (USD per 1M tokens), arithmetic in the comment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from costpanel import Usage
from costpanel.pricing import Catalog
from costpanel.pricing.retirement import is_retired
from costpanel.quote import quote

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.timezone.utc)
NOV = dt.datetime(2026, 11, 15, 12, 0, tzinfo=dt.timezone.utc)
JAN27 = dt.datetime(2027, 1, 2, 12, 0, tzinfo=dt.timezone.utc)

CASES = [
    # --- Gemini 3.1 Pro Preview: $2 in, $12 out, $0.20 cache read; > 200k prompt: $4 / $18 / $0.40
    # 1,000 in × $2/M + 500 out × $12/M = 0.002 + 0.006 = $0.008
    ("gemini-3.1-pro-preview", Usage(input=1_000, output=500), NOW, "0.008"),
    ("gemini-3.1-pro-preview-customtools", Usage(input=1_000, output=500), NOW, "0.008"),
    ("gemini-pro-latest", Usage(input=1_000, output=500), NOW, "0.008"),
    ("models/gemini-3.1-pro-preview", Usage(input=1_000, output=500), NOW, "0.008"),
    # cache read: 1,000 in × $2/M + 10,000 cached × $0.20/M + 100 out × $12/M = 0.002 + 0.002 + 0.0012
    ("gemini/gemini-3.1-pro-preview", Usage(input=1_000, cache_read=10_000, output=100), NOW, "0.0052"),
    # cliff at exactly 200,000 prompt tokens (not above): 200,000 × $2/M + 1,000 × $12/M = 0.4 + 0.012
    ("gemini-3.1-pro-preview", Usage(input=200_000, output=1_000), NOW, "0.412"),
    # 200,001 prompt tokens: whole request at $4 / $18: 200,001 × $4/M + 1,000 × $18/M = 0.800004 + 0.018
    ("gemini-3.1-pro-preview", Usage(input=200_001, output=1_000), NOW, "0.818004"),
    # cached tokens count toward the cliff: 100,000 in + 100,001 cached = 200,001 > 200,000:
    # 100,000 × $4/M + 100,001 × $0.40/M + 0 out = 0.4 + 0.0400004
    ("gemini-3.1-pro-preview", Usage(input=100_000, cache_read=100_001), NOW, "0.4400004"),
    # --- Gemini 3.1 Flash-Lite: $0.25 / $1.50 / $0.025
    # 1,000,000 in × $0.25/M + 100,000 out × $1.50/M = 0.25 + 0.15
    ("gemini-3.1-flash-lite", Usage(input=1_000_000, output=100_000), NOW, "0.4"),
    ("gemini-3.1-flash-lite-preview", Usage(input=1_000_000, output=100_000), NOW, "0.4"),
    # 40,000 cached × $0.025/M = $0.001
    ("gemini-3.1-flash-lite", Usage(cache_read=40_000), NOW, "0.001"),
    # no cliff on Flash-Lite: 300,000 × $0.25/M = $0.075
    ("gemini-3.1-flash-lite", Usage(input=300_000), NOW, "0.075"),
    # --- Gemini 3.5 Flash: $1.50 / $9 / $0.15
    # 2,000 in × $1.50/M + 1,000 out × $9/M + 10,000 cached × $0.15/M = 0.003 + 0.009 + 0.0015
    ("gemini-3.5-flash", Usage(input=2_000, output=1_000, cache_read=10_000), NOW, "0.0135"),
    # --- Gemini 3.5 Flash-Lite: $0.30 / $2.50 / $0.03
    # 10,000 in × $0.30/M + 2,000 out × $2.50/M + 100,000 cached × $0.03/M = 0.003 + 0.005 + 0.003
    ("gemini-3.5-flash-lite", Usage(input=10_000, output=2_000, cache_read=100_000), NOW, "0.011"),
    ("gemini-flash-lite-latest", Usage(input=10_000, output=2_000, cache_read=100_000), NOW, "0.011"),
    # --- Gemini 3.6 / 3.7 / 3.8 Flash: introductory $0.75 / $3.75 / $0.075 through 2026-12-31
    # 4,000 in × $0.75/M + 1,000 out × $3.75/M + 20,000 cached × $0.075/M = 0.003 + 0.00375 + 0.0015
    ("gemini-3.6-flash", Usage(input=4_000, output=1_000, cache_read=20_000), NOW, "0.00825"),
    ("gemini-3.7-flash", Usage(input=4_000, output=1_000, cache_read=20_000), NOW, "0.00825"),
    ("gemini-3.8-flash", Usage(input=4_000, output=1_000, cache_read=20_000), NOW, "0.00825"),
    ("gemini-flash-latest", Usage(input=4_000, output=1_000, cache_read=20_000), NOW, "0.00825"),
    # from 2027-01-01: $1.50 / $7.50 / $0.15: 0.006 + 0.0075 + 0.003
    ("gemini-3.6-flash", Usage(input=4_000, output=1_000, cache_read=20_000), JAN27, "0.0165"),
    ("gemini-3.7-flash", Usage(input=4_000, output=1_000, cache_read=20_000), JAN27, "0.0165"),
    ("gemini-3.8-flash", Usage(input=4_000, output=1_000, cache_read=20_000), JAN27, "0.0165"),
    # no cliff on Flash: 500,000 × $0.75/M = $0.375
    ("gemini-3.8-flash", Usage(input=500_000), NOW, "0.375"),
    # 3.7 Flash from its release (2026-08-13): 0.003 + 0.00375 + 0.0015
    ("gemini-3.7-flash", Usage(input=4_000, output=1_000, cache_read=20_000),
     dt.datetime(2026, 8, 14, tzinfo=dt.timezone.utc), "0.00825"),
    # --- Gemini Robotics ER 2 Preview: $1 / $5 / $0.10 through 2026-12-31, then $2 / $10 / $0.20
    # 10,000 in × $1/M + 2,000 out × $5/M + 10,000 cached × $0.10/M = 0.01 + 0.01 + 0.001
    ("gemini-robotics-er-2-preview", Usage(input=10_000, output=2_000, cache_read=10_000), NOW, "0.021"),
    # 10,000 × $2/M + 2,000 × $10/M + 10,000 × $0.20/M = 0.02 + 0.02 + 0.002
    ("gemini-robotics-er-2-preview", Usage(input=10_000, output=2_000, cache_read=10_000), JAN27, "0.042"),
    # --- Gemini 4 Argon: $2 / $10 / $0.10 through 2026-11-30, then $4 / $20 / $0.20
    # 1,000 in × $2/M + 1,000 out × $10/M + 10,000 cached × $0.10/M = 0.002 + 0.01 + 0.001
    ("gemini-4-argon", Usage(input=1_000, output=1_000, cache_read=10_000), NOV, "0.013"),
    # 1,000 × $4/M + 1,000 × $20/M + 10,000 × $0.20/M = 0.004 + 0.02 + 0.002
    ("gemini-4-argon", Usage(input=1_000, output=1_000, cache_read=10_000), NOW, "0.026"),
    # no cliff: 300,000 × $4/M = $1.2
    ("google/gemini-4-argon", Usage(input=300_000), NOW, "1.2"),
    # --- Gemini 4 Hydrogen: $1.50 / $7.50 / $0.075
    # 1,000 in × $1.50/M + 1,000 out × $7.50/M + 10,000 cached × $0.075/M = 0.0015 + 0.0075 + 0.00075
    ("gemini-4-hydrogen", Usage(input=1_000, output=1_000, cache_read=10_000), NOW, "0.00975"),
    # --- Gemini 4 Carbon (unverified): $4 / $20 / $0.20 from 2026-12-01, $2 / $10 / $0.10 before
    # 1,000 in × $4/M + 1,000 out × $20/M + 10,000 cached × $0.20/M = 0.004 + 0.02 + 0.002
    ("gemini-4-carbon", Usage(input=1_000, output=1_000, cache_read=10_000), NOW, "0.026"),
    ("gemini-4-carbon", Usage(input=1_000, output=1_000, cache_read=10_000), dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc),
     "0.013"),
    # --- Gemini 4 Neon (unverified): $3 / $15 / $0.15: 0.003 + 0.015 + 0.0015
    ("gemini-4-neon", Usage(input=1_000, output=1_000, cache_read=10_000), NOW, "0.0195"),
    # --- Gemini Omni 1.2 Flash, text buckets only: 1,000 in × $1.50/M + 1,000 out × $9/M = 0.0015 + 0.009;
    # no cached-input price: 10,000 cached bill as input × $1.50/M = 0.015
    ("gemini-omni-1.2-flash", Usage(input=1_000, output=1_000), NOW, "0.0105"),
    ("gemini/gemini-omni-1.2-flash", Usage(cache_read=10_000), NOW, "0.015"),
    # --- Gemma on the Gemini API and the old experiments: free, priced at exactly 0
    ("gemma-3-27b-it", Usage(input=1_000_000, output=1_000_000), NOW, "0"),
    ("models/gemma-4-31b-it", Usage(input=1_000_000, output=1_000_000), NOW, "0"),
    ("gemma-4-26b-a4b-it", Usage(input=1_000_000, output=1_000_000), NOW, "0"),
    ("gemini-exp-1114", Usage(input=1_000_000, output=1_000_000), NOV, "0"),
    ("learnlm-1.5-pro-experimental", Usage(input=1_000_000, output=1_000_000), NOV, "0"),
    # --- the 3.1 Flash-Lite preview, split out (retired), same price:
    # 1,000 in × $0.25/M + 1,000 out × $1.50/M = 0.00025 + 0.0015
    ("gemini-3.1-flash-lite-preview", Usage(input=1_000, output=1_000), NOW, "0.00175"),
]


@pytest.mark.parametrize(("name", "usage", "at", "expected"), CASES)
def test_google_price(catalog: Catalog, name: str, usage: Usage, at: dt.datetime, expected: str) -> None:
    q = quote(catalog, name, usage, at)
    assert q.priced, name
    assert q.provider == "google"
    assert q.cost_usd == Decimal(expected)


def test_cliff_tier_reported(catalog: Catalog) -> None:
    assert quote(catalog, "gemini-3.1-pro-preview", Usage(input=200_000), NOW).tier_threshold is None
    assert quote(catalog, "gemini-3.1-pro-preview", Usage(input=200_001), NOW).tier_threshold == 200_000


@pytest.mark.parametrize(("name", "model_id"), [
    ("gemini-3.5-flash-lite", "gemini-3.5-flash-lite"),  # not gemini-3.5-flash
    ("gemini-3.5-flash", "gemini-3.5-flash"),
    ("gemini-3.1-flash-lite", "gemini-3.1-flash-lite"),
    ("gemini-3.1-flash-lite-preview", "gemini-3.1-flash-lite-preview"),
    ("gemini-flash-latest", "gemini-3.8-flash"),
    ("gemini-flash-lite-latest", "gemini-3.5-flash-lite"),
    ("gemini-pro-latest", "gemini-3.1-pro-preview"),
])
def test_names_match_the_right_model(catalog: Catalog, name: str, model_id: str) -> None:
    assert quote(catalog, name, Usage(input=1), NOW).matched == model_id


@pytest.mark.parametrize("name", [
    "gemini-3.1-pro",            # no GA id is listed; not the preview
    "gemini-3.1-flash",          # no such model
    "gemini-3.5-flash-lite-x",
    "gemini-3.8-flash-lite",     # not 3.8 Flash
    "gemini-3.8-flash-tts",      # TTS model, other prices
    "gemini-3.8-live",           # Live API model, other prices
    "gemini-4",
    "gemini-4-argon-mini",
    "gemini-hydrogen-latest",
    "gemini-3.5",
    "gemini-robotics-er-2-streaming-preview",  # Live API endpoint, not priced here
    "gemini-robotics-er-2",
    "gemini-omni-1.2-flash-lite",
    "gemma-3-27b",               # not the Gemini API id (-it)
    "gemini-gemma-2-27b-it",     # LiteLLM's own name
    "lyria-3-pro-preview",       # music model, not priced
    "deep-research-preview-04-2026",  # agent product, not priced
])
def test_names_that_must_not_match(catalog: Catalog, name: str) -> None:
    q = quote(catalog, name, Usage(input=1_000), NOW)
    assert not q.priced, f"{name} matched {q.matched}"


@pytest.mark.parametrize("model_id", ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-3-pro-preview",
                                      "gemini-3.1-flash-lite-preview"])
def test_shut_down_models_are_retired_but_still_priced(catalog: Catalog, model_id: str) -> None:
    assert is_retired(catalog.models[model_id].retired, dt.date(2026, 12, 3))
    # Gemini 2.5 Pro before its shutdown: 1,000 in × $1.25/M + 1,000 out × $10/M = $0.01125
    if model_id == "gemini-2.5-pro":
        assert quote(catalog, model_id, Usage(input=1_000, output=1_000), NOV).cost_usd == Decimal("0.01125")


@pytest.mark.parametrize("model_id", ["gemini-2.5-flash-lite", "gemini-3-flash-preview", "gemini-3.1-pro-preview",
                                      "gemini-3.8-flash", "gemini-4-argon", "gemini-4-hydrogen",
                                      "gemini-3.1-flash-lite", "gemini-omni-1.2-flash", "gemini-4-carbon",
                                      "gemini-4-neon"])
def test_current_models_are_not_retired(catalog: Catalog, model_id: str) -> None:
    assert catalog.models[model_id].retired is None
