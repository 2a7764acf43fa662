"""Price variants (batch, flex, priority, fast, us, Bedrock regional / GovCloud) and web-search fees,
each computed by hand from the provider's published figures (USD per 1M tokens; search fees per
1,000 searches). Sources and unverified items are in the price files' notes and docs/pricing.md:

- Anthropic: platform.claude.com/docs/en/about-claude/pricing, .../build-with-claude/fast-mode
  (Opus 4.6: $30 / $150, above 200k $60 / $225 = 6x; Opus 4.8 / 5 / 5.5 / Fable 5.2: 2x),
  .../build-with-claude/data-residency (inference_geo "us": 1.1x, Opus 4.6 and later),
  .../build-with-claude/batch-processing (50 % off, cache multipliers on top), web search $10 / 1k.
- Amazon Bedrock: regional (geo) profiles +10 % from Sonnet 4.5 on, GovCloud +20 % (LiteLLM 1.110.2).
- OpenAI: developers.openai.com/api/docs/pricing, Flex / Priority / Batch tables (via LiteLLM 1.110.2);
  Fast mode = Priority renamed (openai.com/api-fast-mode); Ultrafast 3x, 6x from 2027-03-01 (GPT-6.2,
  genai-prices 0.2.5); web search $10 / 1k calls (reasoning models), $25 / 1k (gpt-4o, gpt-4.1 families).
- Gemini: batch 50 %, Flex 50 %, Priority 180 % (LiteLLM 1.110.2; genai-prices 0.2.5 for Gemini 4); Search grounding $14 / 1k queries (Gemini 3+), $35 / 1k grounded prompts (2.x).
- xAI: batch 20 % off (Grok 4.20 / 4.3 / 4.7); web search $5 / 1k calls. Mistral: batch 50 % off.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from costpanel.pricing import Catalog
from costpanel.quote import quote
from costpanel.tracker import CostTracker
from costpanel.usage import Usage

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
NOV = dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # Claude Sonnet 4.5 still served (retired 2026-11-30)
OPUS_46_LONG_CONTEXT = dt.datetime(2026, 2, 20, tzinfo=UTC)  # before the 1M context went flat (2026-03-13)

ALL = Usage(input=100_000, output=10_000, cache_read=200_000, cache_write=40_000, cache_write_1h=20_000)
OAI = Usage(input=100_000, output=10_000, cache_read=50_000)  # OpenAI: uncached input, cached beside it
SMALL = Usage(input=10_000, output=1_000)

# (model as sent, usage, at, variant, expected USD)
PRICED = [
    # --- Anthropic batch: 50 % off every token bucket, cache reads and both cache writes included.
    # Sonnet 4.6 standard: 100k×$3 + 10k×$15 + 200k×$0.30 + 40k×$3.75 + 20k×$6
    #   = 0.30 + 0.15 + 0.06 + 0.15 + 0.12 = $0.78 → batch $0.39
    ("claude-sonnet-4-6", ALL, NOW, "batch", "0.39"),
    # Haiku 5.5 above 100k prompt tokens: whole request at 5x ($0.50 / $2.50), then halved:
    #   150k×$0.25 + 1k×$1.25 = 0.0375 + 0.00125 = $0.03875
    ("claude-haiku-5-5", Usage(input=150_000, output=1_000), NOW, "batch", "0.03875"),
    # Batch leaves the search fee alone: Opus 5 10k×$2.50 + 2 searches×$0.01 = 0.025 + 0.02
    ("claude-opus-5", Usage(input=10_000, web_search=2), NOW, "batch", "0.045"),
    # --- Anthropic fast mode (speed: "fast")
    # Opus 4.6, 6x: 10k×$30 + 1k×$150 = 0.30 + 0.15
    ("claude-opus-4-6", SMALL, NOW, "fast", "0.45"),
    # Opus 4.6 in its long-context period, prompt above 200k: 6x the tier = $60 / $225 (the page's row)
    #   250k×$60 + 1k×$225 = 15 + 0.225
    ("claude-opus-4-6", Usage(input=250_000, output=1_000), OPUS_46_LONG_CONTEXT, "fast", "15.225"),
    # Opus 4.6 fast with cache: 6x the cache prices too: 100k hits×$3 + 10k 5m writes×$37.50 = 0.30 + 0.375
    ("claude-opus-4-6", Usage(cache_read=100_000, cache_write=10_000), NOW, "fast", "0.675"),
    # Opus 5.5, 2x ($8 / $40): 10k×$8 + 1k×$40 = 0.08 + 0.04
    ("claude-opus-5-5", SMALL, NOW, "fast", "0.12"),
    # Fable 5.2, 2x ($16 / $80): 10k×$16 + 1k×$80 = 0.16 + 0.08
    ("claude-fable-5-2", SMALL, NOW, "fast", "0.24"),
    # --- Anthropic data residency (inference_geo: "us"), 1.1x
    # Sonnet 5.5: 10k×$2.20 + 1k×$11 + 100k hits×$0.11 = 0.022 + 0.011 + 0.011
    ("claude-sonnet-5-5", Usage(input=10_000, output=1_000, cache_read=100_000), NOW, "us", "0.044"),
    # --- Stacking: fast and us multiply. Opus 4.8: 2 × 1.1 = 2.2x → 10k×$11 + 1k×$55 = 0.11 + 0.055
    ("claude-opus-4-8", SMALL, NOW, "fast+us", "0.165"),
    # Opus 4.6: 6 × 1.1 = 6.6x → 10k×$33 + 1k×$165 = 0.33 + 0.165; spelled in any order and case
    ("claude-opus-4-6", SMALL, NOW, "US+Fast", "0.495"),
    # "standard" is no variant: Opus 4.6 10k×$5 + 1k×$25
    ("claude-opus-4-6", SMALL, NOW, "standard", "0.075"),
    # --- Anthropic web search, $10 per 1,000: Sonnet 4.6 1k×$3 + 100×$15 + 3×$0.01
    ("claude-sonnet-4-6", Usage(input=1_000, output=100, web_search=3), NOW, None, "0.0345"),
    # --- Amazon Bedrock: a regional profile is +10 % from Sonnet 4.5 on, global is the list price.
    # us.: 100k×$3.30 + 10k×$16.50 = 0.33 + 0.165
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", Usage(input=100_000, output=10_000), NOV, None, "0.495"),
    # global.: 100k×$3 + 10k×$15
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", Usage(input=100_000, output=10_000), NOV, None, "0.45"),
    # eu. Opus 5.5: 10k×$4.40 + 1k×$22 = 0.044 + 0.022
    ("bedrock/eu.anthropic.claude-opus-5-5", SMALL, NOW, None, "0.066"),
    # Sonnet 4 (before 4.5): same price in every region: 100k×$3 + 10k×$15
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", Usage(input=100_000, output=10_000),
     dt.datetime(2026, 5, 1, tzinfo=UTC), None, "0.45"),
    # GovCloud (us-gov.), +20 %: 100k×$3.60 + 10k×$18 = 0.36 + 0.18
    ("us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0", Usage(input=100_000, output=10_000), NOV, None, "0.54"),
    # Regional stacks with batch: Sonnet 4.6 1.1 × 0.5 = 0.55x → 100k×$1.65 + 10k×$8.25 = 0.165 + 0.0825
    ("us.anthropic.claude-sonnet-4-6", Usage(input=100_000, output=10_000), NOW, "batch", "0.2475"),
    # --- OpenAI Priority (service_tier "priority"), explicit prices
    # gpt-5.1: $2.50 / $20 / cached $0.25 → 0.25 + 0.20 + 0.0125
    ("gpt-5.1", OAI, NOW, "priority", "0.4625"),
    # gpt-4.1: $3.50 / $14 / cached $0.875 → 0.35 + 0.14 + 0.04375
    ("gpt-4.1", OAI, NOW, "priority", "0.53375"),
    # gpt-4o: $4.25 / $17 / cached $2.125 → 0.425 + 0.17 + 0.10625
    ("gpt-4o", OAI, NOW, "priority", "0.70125"),
    # gpt-5.5 above 272k: 2.5x its long-context $10 / $45 = $25 / $112.50 → 300k×$25 + 1k×$112.50
    ("gpt-5.5", Usage(input=300_000, output=1_000), NOW, "priority", "7.6125"),
    # --- OpenAI Flex (service_tier "flex")
    # o4-mini: $0.55 / $2.20 / cached $0.138 (as published) → 0.055 + 0.022 + 0.0069
    ("o4-mini", OAI, NOW, "flex", "0.0839"),
    # gpt-5.5: $2.50 / $15 / cached $0.25 → 0.25 + 0.15 + 0.0125
    ("gpt-5.5", OAI, NOW, "flex", "0.4125"),
    # --- OpenAI Batch: gpt-4o $1.25 / $5 → 100k×$1.25 + 10k×$5
    ("gpt-4o", Usage(input=100_000, output=10_000), NOW, "batch", "0.175"),
    # --- OpenAI web search: gpt-5.1 $10 / 1k calls: 1k×$1.25 + 4×$0.01
    ("gpt-5.1", Usage(input=1_000, web_search=4), NOW, None, "0.04125"),
    # gpt-4.1 $25 / 1k calls: 1k×$2 + 4×$0.025
    ("gpt-4.1", Usage(input=1_000, web_search=4), NOW, None, "0.102"),
    # a tier changes the tokens, never the search fee: gpt-5.1 priority 1k×$2.50 + 1×$0.01
    ("gpt-5.1", Usage(input=1_000, web_search=1), NOW, "priority", "0.0125"),
    # --- Gemini grounding: 3.1 Pro $14 / 1k queries: 1k×$2 + 100×$12 + 5×$0.014
    ("gemini-3.1-pro-preview", Usage(input=1_000, output=100, web_search=5), NOW, None, "0.0732"),
    # 2.5 Flash $35 / 1k grounded prompts: 1k×$0.30 + 1×$0.035
    ("gemini-2.5-flash", Usage(input=1_000, web_search=1), NOV, None, "0.0353"),
    # ... one fee per call however many queries it ran (web_search_per = "request"), under a variant too
    ("gemini-2.5-flash", Usage(input=1_000, web_search=3), NOV, None, "0.0353"),
    ("gemini-2.5-flash", Usage(input=1_000, web_search=3), NOV, "batch", "0.03515"),
    ("gemini-2.5-pro", Usage(input=1_000, web_search=4), NOV, None, "0.03625"),
    # --- Gemini Flex (0.5x) and Priority (1.8x): 2.5 Flash $0.30 / $2.50 / $0.03
    #   flex: 100k×$0.15 + 10k×$1.25 + 50k×$0.015 = 0.015 + 0.0125 + 0.00075
    ("gemini-2.5-flash", OAI, NOV, "flex", "0.02825"),
    #   priority: 100k×$0.54 + 10k×$4.50 + 50k×$0.054 = 0.054 + 0.045 + 0.0027
    ("gemini-2.5-flash", OAI, NOV, "priority", "0.1017"),
    # 3.1 Pro above 200k, priority: 1.8x its long-context $4 / $18: 300k×$7.20 + 100×$32.40
    ("gemini-3.1-pro-preview", Usage(input=300_000, output=100), NOW, "priority", "2.16324"),
    # --- Gemini batch: 2.5 Pro above 200k, half its long-context $2.50 / $15: 300k×$1.25 + 100×$7.50
    ("gemini-2.5-pro", Usage(input=300_000, output=100), NOV, "batch", "0.37575"),
    # --- xAI: batch 20 % off, Grok 4.3 $1.25 / $2.50 / $0.20 → $1 / $2 / $0.16: 0.10 + 0.02 + 0.008
    ("grok-4.3", OAI, NOW, "batch", "0.128"),
    # web search $5 / 1k calls: Grok 4.7 1k×$2 + 10×$0.005
    ("grok-4.7", Usage(input=1_000, web_search=10), NOW, None, "0.052"),
    # --- Mistral batch 50 % off: Large 3 (2512) $0.50 / $1.50 → 100k×$0.25 + 10k×$0.75
    ("mistral-large-2512", Usage(input=100_000, output=10_000), NOW, "batch", "0.0325"),
    # --- OpenAI Fast mode: Priority renamed (2026-07-30); service_tier "fast" bills as "priority".
    # GPT-6.2 Sol 2x ($4 / $20 / $0.40): 100k×$4 + 10k×$20 + 50k×$0.20 = 0.40 + 0.20 + 0.01
    ("gpt-6.2-sol", OAI, NOW, "priority", "0.61"),
    ("gpt-6.2-sol", OAI, NOW, "fast", "0.61"),
    # gpt-6.1-sol's own priority (2x) under the new name: 100k×$4 + 10k×$20 + 50k×$0.20
    ("gpt-6.1-sol", OAI, NOW, "Fast", "0.61"),
    # GPT-6.2 Astra ultrafast, 3x through 2027-02-28 ($24 / $120 / $1.20): 2.40 + 1.20 + 0.06
    ("gpt-6.2-astra", OAI, NOW, "ultrafast", "3.66"),
    # ... and 6x from 2027-03-01 ($48 / $240 / $2.40): 4.80 + 2.40 + 0.12
    ("gpt-6.2-astra", OAI, dt.datetime(2027, 3, 1, tzinfo=UTC), "ultrafast", "7.32"),
    # the day before, still 3x
    ("gpt-6.2-astra", OAI, dt.datetime(2027, 2, 28, 23, 59, tzinfo=UTC), "ultrafast", "3.66"),
    # GPT-6.2 Sol ultrafast above 272k: 3x its long-context $4 / $15 = $12 / $45: 300k×$12 + 1k×$45
    ("gpt-6.2-sol", Usage(input=300_000, output=1_000), NOW, "ultrafast", "3.645"),
    # Fast mode and batch, at Astra 6.2: priority 2x ($16 / $80): 10k×$16 + 1k×$80; batch ½: $4 / $20
    ("gpt-6.2-astra", SMALL, NOW, "fast", "0.24"),
    ("gpt-6.2-astra", SMALL, NOW, "batch", "0.06"),
    # --- Gemini 4 Carbon / Neon, Flex ½ and Priority 1.8x (genai-prices 0.2.5).
    # Carbon from 2026-12-01 ($4 / $20 / $0.20): flex 100k×$2 + 10k×$10 + 50k×$0.10 = 0.20 + 0.10 + 0.005
    ("gemini-4-carbon", OAI, NOW, "flex", "0.305"),
    # priority $7.20 / $36 / $0.36: 0.72 + 0.36 + 0.018
    ("gemini-4-carbon", OAI, NOW, "priority", "1.098"),
    # Neon ($3 / $15 / $0.15): flex 0.15 + 0.075 + 0.00375; priority $5.40 / $27 / $0.27: 0.54 + 0.27 + 0.0135
    ("gemini-4-neon", OAI, NOW, "flex", "0.22875"),
    ("gemini-4-neon", OAI, NOW, "priority", "0.8235"),
]


@pytest.mark.parametrize(("model", "usage", "at", "variant", "expected"), PRICED,
                         ids=[f"{c[0]}-{c[3]}-{c[4]}" for c in PRICED])
def test_a_variant_or_search_is_priced_as_the_provider_bills_it(catalog: Catalog, model: str, usage: Usage,
                                                                at: dt.datetime, variant: str | None,
                                                                expected: str) -> None:
    q = quote(catalog, model, usage, at, variant=variant)
    assert q.priced, (q.variant, q.offered, q.unstated)
    assert q.cost_usd == Decimal(expected)


# (model, usage, at, variant): the provider has no price for it → unpriced, never $0 or a guess
UNPRICED = [
    ("claude-sonnet-4-5", SMALL, NOV, "us"),  # inference_geo: Opus 4.6 and later only
    ("claude-sonnet-5", SMALL, NOW, "fast"),  # fast mode: Opus / Fable 5.2 only
    ("claude-sonnet-4-6", SMALL, NOW, "priority"),  # Priority Tier: no per-token list price
    ("claude-2.1", SMALL, dt.datetime(2025, 1, 1, tzinfo=UTC), "batch"),  # predates Message Batches
    ("claude-opus-4-6", SMALL, NOW, "fast+priority"),  # one part not offered: the whole call
    ("claude-3-haiku", Usage(input=10, web_search=1), dt.datetime(2025, 6, 1, tzinfo=UTC), None),  # no search tool
    ("us-gov.anthropic.claude-3-5-haiku-20241022-v1:0", SMALL, dt.datetime(2025, 6, 1, tzinfo=UTC), None),
    ("gpt-4o", OAI, NOW, "flex"),  # Flex: reasoning / GPT-5 models only
    ("gpt-5-nano", OAI, NOW, "priority"),  # no Priority row
    ("gpt-4", Usage(input=10, web_search=1), NOW, None),  # no web search tool
    ("gpt-5.1", OAI, NOW, "scale"),  # Scale Tier: not priced per token
    ("gemini-2.0-flash-lite", Usage(input=10, web_search=1), dt.datetime(2026, 1, 1, tzinfo=UTC), None),
    ("gemini-2.0-flash", OAI, NOV, "flex"),  # Gemini Flex / Priority: 2.5 and later only
    ("grok-4.5", OAI, NOW, "batch"),  # no batch price found
    ("grok-3", Usage(input=10, web_search=1), dt.datetime(2025, 6, 1, tzinfo=UTC), None),  # Live Search: per source
    ("zai-glm-5-3", OAI, NOW, "batch"),  # third-party model on Mistral: no batch price
    ("mistral-large-2512", Usage(input=10, web_search=1), NOW, None),  # no search fee found
    ("deepseek-v4-flash", OAI, NOW, "batch"),  # DeepSeek has no batch API
    ("gpt-6.2-sol", OAI, NOW, "flex"),  # no Flex rate published for GPT-6.2
    ("gpt-6-astra", OAI, NOW, "ultrafast"),  # Ultrafast priced for GPT-6.2 only (genai-prices 0.2.5)
    ("gpt-5-nano", OAI, NOW, "fast"),  # the alias needs the model's priority: none here
    ("claude-opus-4-6", SMALL, NOW, "ultrafast"),  # OpenAI's tier, not Anthropic's
]


@pytest.mark.parametrize(("model", "usage", "at", "variant"), UNPRICED, ids=[f"{c[0]}-{c[3]}" for c in UNPRICED])
def test_an_unoffered_variant_or_unpriced_search_leaves_the_call_unpriced(catalog: Catalog, model: str, usage: Usage,
                                                                         at: dt.datetime, variant: str | None) -> None:
    q = quote(catalog, model, usage, at, variant=variant)
    assert q.matched is not None  # the model is known: only the variant or the search has no price
    assert not q.priced and q.cost_usd is None


def test_batch_halves_every_anthropic_bucket_and_leaves_the_request_fee(catalog: Catalog) -> None:
    standard = quote(catalog, "claude-sonnet-4-6", ALL, NOW)
    batch = quote(catalog, "claude-sonnet-4-6", ALL, NOW, variant="batch")
    assert standard.breakdown is not None and batch.breakdown is not None
    for bucket in ("input", "output", "cache_read", "cache_write", "cache_write_1h"):
        assert batch.breakdown[bucket] * 2 == standard.breakdown[bucket] != 0, bucket
    # 20k 1h writes × $6 / 2 = $0.06 (the 1-hour write is halved too, not billed as a 5-minute one)
    assert batch.breakdown["cache_write_1h"] == Decimal("0.06")


def test_a_bedrock_region_prefix_is_recorded_as_the_regional_variant(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    usage = Usage(input=100_000, output=10_000)
    regional = tracker.record("us.anthropic.claude-sonnet-4-5-20250929-v1:0", usage, at=NOV)
    global_ = tracker.record("global.anthropic.claude-sonnet-4-5-20250929-v1:0", usage, at=NOV)
    plain = tracker.record("claude-sonnet-4-5", usage, at=NOV)
    stacked = tracker.record("eu.anthropic.claude-sonnet-4-6", usage, at=NOW, variant="batch")
    assert regional.variant == "regional" and regional.matched == "claude-sonnet-4-5"
    assert global_.variant is None and plain.variant is None
    # 100k × $3.30 + 10k × $16.50 vs 100k × $3 + 10k × $15
    assert regional.cost_usd == Decimal("0.495")
    assert global_.cost_usd == plain.cost_usd == Decimal("0.45")
    assert regional.cost_usd == global_.cost_usd * Decimal("1.1")
    # eu. + batch on Sonnet 4.6: 1.1 × 0.5 → 100k × $1.65 + 10k × $8.25
    assert stacked.variant == "batch+regional" and stacked.cost_usd == Decimal("0.2475")


def test_every_variant_named_in_the_catalog_is_one_a_call_can_carry(catalog: Catalog) -> None:
    """The variant names the adapters and users send; a typo in a price file would never be billed."""
    known = {"batch", "flex", "priority", "ultrafast", "fast", "us", "regional", "govcloud"}
    seen: set[str] = set()
    for entry in catalog.models.values():
        for period in entry.periods:
            seen.update(period.variants)
    assert seen <= known, seen - known
    assert known <= seen


# ----------------------------------------------- Gemini 2.x grounding: one fee per grounded prompt
@pytest.mark.parametrize(("model", "at", "fees", "expected"), [
    ("gemini-2.5-flash", NOV, 1, "0.0353"),  # 1k×$0.30 + 1×$0.035, whatever the 3 queries
    ("gemini-2.0-flash", NOV, 1, "0.0351"),  # 1k×$0.10 + 1×$0.035
    ("gemini-3.1-pro-preview", NOW, 3, "0.044"),  # 1k×$2 + 3×$0.014: Gemini 3 bills each query
])
def test_gemini_2_grounding_is_one_fee_per_call_and_gemini_3_one_per_query(
        catalog: Catalog, model: str, at: dt.datetime, fees: int, expected: str) -> None:
    import json

    from cli_run import costpanel

    usage = Usage(input=1_000, web_search=3)
    q = quote(catalog, model, usage, at)
    assert q.cost_usd == Decimal(expected) and q.usage.web_search == 3
    fee = catalog.match(model).period_at(at.timestamp()).base.web_search
    assert q.breakdown["web_search"] == Decimal(fees * fee).scaleb(-12)

    tracker = CostTracker(catalog)
    event = tracker.record(model, usage, at=at)
    assert event.cost_usd == Decimal(expected)  # record()'s own arithmetic, not cost_units
    held = tracker.price(model, usage, "Tier 1", at)
    assert held.cost == event.cost_units
    total = tracker.snapshot().total
    assert total.cost_usd == Decimal(expected) and total.usage.web_search == 3

    r = costpanel("price", model, "--input", "1000", "--web-search", "3", "--at", at.date().isoformat(), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["cost_usd"] == expected and data["usage"]["web_search"] == 3
    table = costpanel("price", model, "--input", "1000", "--web-search", "3", "--at", at.date().isoformat())
    row = [line.replace("│", " ").split() for line in table.stdout.splitlines() if "web_search" in line]
    assert table.returncode == 0 and row == [["web_search", "3", str(Decimal(fees * fee).scaleb(-12).normalize())]]


def test_openai_ultrafast_stacked_with_batch_or_flex_is_refused_as_two_service_tiers(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    for variant in ("batch+ultrafast", "flex+ultrafast", "priority+ultrafast"):
        with pytest.raises(ValueError, match="service tiers; a call has one"):
            tracker.record("gpt-6.2-astra", SMALL, variant=variant)
    assert tracker.snapshot().calls == 0


@pytest.mark.parametrize(("variant", "words"), [
    ("fast+flex", "fast is the provider's name for priority; flex and priority are service tiers; a call has one"),
    ("fast+ultrafast", "priority and ultrafast are service tiers"),
    ("fast+priority", "so it names priority twice"),  # one tier named twice is not 2x twice
])
def test_openai_fast_stacked_with_another_tier_is_refused_as_priority_would_be(catalog: Catalog, variant: str,
                                                                              words: str) -> None:
    tracker = CostTracker(catalog)
    tracker.record("gpt-6.1-sol", OAI, at=NOW)
    before = tracker.snapshot()
    with pytest.raises(ValueError, match=words):
        tracker.record("gpt-6.1-sol", OAI, at=NOW, variant=variant)
    with pytest.raises(ValueError, match=words):
        quote(catalog, "gpt-6.1-sol", OAI, NOW, variant=variant)
    after = tracker.snapshot()
    assert after.total == before.total and after.calls == 1


def test_a_call_reported_fast_and_one_reported_priority_are_one_price_and_keep_their_words(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    fast = tracker.record("gpt-6.2-sol", OAI, at=NOW, variant="fast")
    priority = tracker.record("gpt-6.2-sol", OAI, at=NOW, variant="priority")
    assert (fast.variant, priority.variant) == ("fast", "priority")  # what the provider said, kept
    assert fast.cost_usd == priority.cost_usd == Decimal("0.61")
