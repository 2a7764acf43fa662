"""OpenAI models and prices added or changed on 2026-12-03 (issue 10, OpenAI slice).

Every expected cost is worked out by hand from the published USD-per-1M rates, with the
arithmetic in the comment next to it; ``quote`` must agree to the last digit. Rates were read from
genai-prices 0.2.3 and LiteLLM 1.110.2 (no copy of https://developers.openai.com/api/docs/pricing
was available, so the periods carry ``unverified`` notes where the two had to stand in for it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from costpanel import Usage
from costpanel.pricing import Catalog
from costpanel.pricing.retirement import is_retired
from costpanel.quote import quote

UTC = dt.timezone.utc
AT = dt.datetime(2026, 12, 3, 12, tzinfo=UTC)  # after every period added here
TODAY = AT.date()

# (name as sent, matched id, usage, expected USD, at)
CASES: list[tuple[str, str, Usage, str, dt.datetime]] = [
    # ---------------------------------------------------------------- GPT-5.6 Sol: the promotion ended 2026-11-30
    # 10,000 in × $5/M + 10,000 cached × $0.50/M + 1,000 out × $30/M = 0.05 + 0.005 + 0.03
    ("gpt-5.6", "gpt-5.6-sol", Usage(input=10_000, cache_read=10_000, output=1_000), "0.085", AT),
    # during the promotion: 0.04 + 0.004 + 0.02
    ("gpt-5.6-sol", "gpt-5.6-sol", Usage(input=10_000, cache_read=10_000, output=1_000), "0.064",
     dt.datetime(2026, 11, 20, tzinfo=UTC)),
    # ---------------------------------------------------------------- GPT-6.2 (released 2026-11-17)
    # Sol: 10,000 in × $2/M + 10,000 cached × $0.10/M + 1,000 out × $10/M = 0.02 + 0.001 + 0.01
    ("gpt-6.2-sol", "gpt-6.2-sol", Usage(input=10_000, cache_read=10_000, output=1_000), "0.031", AT),
    # Sol above 272K: the whole request at $4 / $15: 300,000 × $4/M + 1,000 × $15/M = 1.2 + 0.015
    ("openai/gpt-6.2-sol", "gpt-6.2-sol", Usage(input=300_000, output=1_000), "1.215", AT),
    # Astra: 10,000 in × $8/M + 10,000 cached × $0.40/M + 1,000 out × $40/M = 0.08 + 0.004 + 0.04
    ("gpt-6.2-astra", "gpt-6.2-astra", Usage(input=10_000, cache_read=10_000, output=1_000), "0.124", AT),
    # ---------------------------------------------------------------- base models (completions)
    # babbage-002: 100,000 in × $0.40/M = 0.04; 50,000 out × $0.40/M = 0.02
    ("babbage-002", "babbage-002", Usage(input=100_000, output=50_000), "0.06", AT),
    # davinci-002: 12,345 in × $2/M = 0.02469; 6,789 out × $2/M = 0.013578
    ("openai/davinci-002", "davinci-002", Usage(input=12_345, output=6_789), "0.038268", AT),
    # ---------------------------------------------------------------- GPT-5.3
    # 10,000 in × $1.75/M = 0.0175; 20,000 cache read × $0.175/M = 0.0035; 2,000 out × $14/M = 0.028
    ("gpt-5.3-codex", "gpt-5.3-codex", Usage(input=10_000, cache_read=20_000, output=2_000), "0.049", AT),
    # retired, still priced: 1,000 in × $1.75/M = 0.00175; 1,000 out × $14/M = 0.014
    ("gpt-5.3-chat", "gpt-5.3-chat-latest", Usage(input=1_000, output=1_000), "0.01575", AT),
    ("gpt-5.3-chat-latest", "gpt-5.3-chat-latest", Usage(input=1_000, output=1_000), "0.01575",
     dt.datetime(2026, 5, 1, tzinfo=UTC)),
    # ---------------------------------------------------------------- GPT-5.4 pro (no cached price)
    # 100,000 in × $30/M = 3; 10,000 out × $180/M = 1.8
    ("gpt-5.4-pro", "gpt-5.4-pro", Usage(input=100_000, output=10_000), "4.8", AT),
    # cache read billed at input: 10,000 × $30/M = 0.3; 90,000 in × $30/M = 2.7; 10,000 out × $180/M = 1.8
    ("gpt-5.4-pro-2026-03-05", "gpt-5.4-pro", Usage(input=90_000, cache_read=10_000, output=10_000), "4.8", AT),
    # cliff: prompt exactly 272,000 stays on the base rates: 272,000 × $30/M = 8.16; 1,000 × $180/M = 0.18
    ("gpt-5.4-pro", "gpt-5.4-pro", Usage(input=272_000, output=1_000), "8.34", AT),
    # 272,001: the whole request at 2x input, 1.5x output: 272,001 × $60/M = 16.32006; 1,000 × $270/M = 0.27
    ("gpt-5.4-pro", "gpt-5.4-pro", Usage(input=272_001, output=1_000), "16.59006", AT),
    # ---------------------------------------------------------------- GPT-5.5 pro
    # 100,000 in × $30/M = 3; 10,000 out × $180/M = 1.8
    ("gpt-5.5-pro-2026-04-23", "gpt-5.5-pro", Usage(input=100_000, output=10_000), "4.8", AT),
    # 200,000 in + 72,000 cache read = 272,000: base; 272,000 × $30/M = 8.16; 2,000 out × $180/M = 0.36
    ("gpt-5.5-pro", "gpt-5.5-pro", Usage(input=200_000, cache_read=72_000, output=2_000), "8.52", AT),
    # 200,000 in + 72,001 cache read = 272,001: tier; 272,001 × $60/M = 16.32006; 2,000 × $270/M = 0.54
    ("gpt-5.5-pro", "gpt-5.5-pro", Usage(input=200_000, cache_read=72_001, output=2_000), "16.86006", AT),
    # ---------------------------------------------------------------- new aliases of existing models
    # gpt-5.2: 1,000 in × $1.75/M = 0.00175; 1,000 out × $14/M = 0.014
    ("gpt-5.2-codex", "gpt-5.2-codex", Usage(input=1_000, output=1_000), "0.01575", AT),
    ("gpt-5.2-chat", "gpt-5.2-chat-latest", Usage(input=1_000, output=1_000), "0.01575", AT),
    # gpt-5 / gpt-5.1: 1,000 in × $1.25/M = 0.00125; 1,000 out × $10/M = 0.01
    ("gpt-5-chat", "gpt-5-chat-latest", Usage(input=1_000, output=1_000), "0.01125", AT),
    ("gpt-5.1-chat", "gpt-5.1-chat-latest", Usage(input=1_000, output=1_000), "0.01125", AT),
    # variants split from their base model (own shutdown date), same price as the base
    ("gpt-5-codex", "gpt-5-codex", Usage(input=1_000, output=1_000), "0.01125", AT),
    ("gpt-5.1-codex-max", "gpt-5.1-codex-max", Usage(input=1_000, output=1_000), "0.01125", AT),
    # ---------------------------------------------------------------- fine-tuned models (issue 10)
    # ft:gpt-4o-2024-08-06: 10,000 in × $3.75/M = 0.0375; 10,000 cache read × $1.875/M = 0.01875;
    # 1,000 out × $15/M = 0.015
    ("ft:gpt-4o-2024-08-06:acme:bot:abc123", "ft:gpt-4o-2024-08-06",
     Usage(input=10_000, cache_read=10_000, output=1_000), "0.07125", AT),
    # ft:gpt-4o-mini-2024-07-18: 100,000 in × $0.30/M = 0.03; 10,000 out × $1.20/M = 0.012
    ("ft:gpt-4o-mini-2024-07-18:acme::9abc", "ft:gpt-4o-mini-2024-07-18",
     Usage(input=100_000, output=10_000), "0.042", AT),
    # the base snapshot keeps the base price: 100,000 × $0.15/M = 0.015; 10,000 × $0.60/M = 0.006
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", Usage(input=100_000, output=10_000), "0.021", AT),
    # ft:gpt-4.1-2025-04-14: 1,000,000 in × $3/M = 3; 100,000 cache read × $0.75/M = 0.075;
    # 100,000 out × $12/M = 1.2
    ("ft:gpt-4.1-2025-04-14:org:x:y", "ft:gpt-4.1-2025-04-14",
     Usage(input=1_000_000, cache_read=100_000, output=100_000), "4.275", AT),
    # ft:gpt-4.1-mini-2025-04-14: 1,000 in × $0.80/M = 0.0008; 1,000 cache read × $0.20/M = 0.0002;
    # 1,000 out × $3.20/M = 0.0032
    ("ft:gpt-4.1-mini-2025-04-14:org::z", "ft:gpt-4.1-mini-2025-04-14",
     Usage(input=1_000, cache_read=1_000, output=1_000), "0.0042", AT),
    # gpt-5.5: 1,000 in × $5/M = 0.005; 1,000 cache read × $0.5/M = 0.0005; 1,000 out × $30/M = 0.03
    ("gpt-5.5-codex", "gpt-5.5", Usage(input=1_000, cache_read=1_000, output=1_000), "0.0355", AT),
    ("gpt-5.5-chat-latest", "gpt-5.5", Usage(input=1_000, cache_read=1_000, output=1_000), "0.0355", AT),
    # ---------------------------------------------------------------- GPT-6.1 Terra
    # 10,000 in × $1/M = 0.01; 30,000 cache read × $0.05/M = 0.0015; 4,000 cache write × $1.25/M = 0.005;
    # 2,000 out × $5/M = 0.01
    ("gpt-6.1-terra", "gpt-6.1-terra", Usage(input=10_000, cache_read=30_000, cache_write=4_000, output=2_000),
     "0.0265", AT),
    # dated snapshot names reach it by date stripping: 1,000 in × $1/M = 0.001; 1,000 out × $5/M = 0.005
    ("gpt-6.1-terra-2026-10-26", "gpt-6.1-terra", Usage(input=1_000, output=1_000), "0.006", AT),
    # cliff: 250,000 in + 22,000 cache read = 272,000 (base): 250,000 × $1/M = 0.25; 22,000 × $0.05/M = 0.0011;
    # 1,000 out × $5/M = 0.005
    ("gpt-6.1-terra", "gpt-6.1-terra", Usage(input=250_000, cache_read=22_000, output=1_000), "0.2561", AT),
    # 272,001 (tier): 250,000 × $2/M = 0.5; 22,001 × $0.10/M = 0.0022001; 1,000 out × $7.50/M = 0.0075
    ("gpt-6.1-terra", "gpt-6.1-terra", Usage(input=250_000, cache_read=22_001, output=1_000), "0.5097001", AT),
    # ---------------------------------------------------------------- GPT-6 Rosalind
    # 10,000 in × $15/M = 0.15; 10,000 cache read × $1.50/M = 0.015; 10,000 cache write × $18.75/M = 0.1875;
    # 1,000 out × $75/M = 0.075
    ("gpt-6-rosalind", "gpt-6-rosalind",
     Usage(input=10_000, cache_read=10_000, cache_write=10_000, output=1_000), "0.4275", AT),
    # cliff at 272,000 / 272,001 prompt tokens: 272,000 × $15/M = 4.08 + 1,000 × $75/M = 0.075
    ("gpt-6-rosalind", "gpt-6-rosalind", Usage(input=272_000, output=1_000), "4.155", AT),
    # 272,001 × $30/M = 8.16003; 1,000 × $112.50/M = 0.1125
    ("gpt-6-rosalind", "gpt-6-rosalind", Usage(input=272_001, output=1_000), "8.27253", AT),
    # ---------------------------------------------------------------- GPT-6 Cyber (no long-context tier)
    # 10,000 in × $20/M = 0.2; 10,000 cache read × $2/M = 0.02; 10,000 cache write × $25/M = 0.25;
    # 1,000 out × $100/M = 0.1
    ("gpt-6-cyber", "gpt-6-cyber", Usage(input=10_000, cache_read=10_000, cache_write=10_000, output=1_000),
     "0.57", AT),
    # no tier: 300,000 in × $20/M = 6; 1,000 out × $100/M = 0.1
    ("gpt-6-cyber", "gpt-6-cyber", Usage(input=300_000, output=1_000), "6.1", AT),
    # ---------------------------------------------------------------- GPT-6 Astra Law (LiteLLM's rates only)
    # 10,000 in × $10/M = 0.1; 10,000 cache read × $1/M = 0.01; 1,000 out × $50/M = 0.05
    ("gpt-6-astra-law", "gpt-6-astra-law", Usage(input=10_000, cache_read=10_000, output=1_000), "0.16", AT),
    # ---------------------------------------------------------------- GPT-Rosalind
    # 10,000 in × $5/M = 0.05; 10,000 cache read × $0.50/M = 0.005; 1,000 out × $25/M = 0.025
    ("gpt-rosalind-research", "gpt-rosalind-research", Usage(input=10_000, cache_read=10_000, output=1_000),
     "0.08", AT),
    ("gpt-rosalind-discovery", "gpt-rosalind-discovery", Usage(input=10_000, cache_read=10_000, output=1_000),
     "0.08", AT),
    # ---------------------------------------------------------------- GPT-5.5 Cyber (price history)
    # before 2026-10-19 no cached price: 10,000 in × $12.50/M = 0.125; 10,000 cache read billed as input
    # × $12.50/M = 0.125; 1,000 out × $75/M = 0.075
    ("gpt-5.5-cyber", "gpt-5.5-cyber", Usage(input=10_000, cache_read=10_000, output=1_000), "0.325",
     dt.datetime(2026, 10, 18, 23, 59, tzinfo=UTC)),
    # from 2026-10-19: 10,000 in × $12.50/M = 0.125; 10,000 cache read × $1.25/M = 0.0125; 1,000 out × $75/M = 0.075
    ("gpt-5.5-cyber", "gpt-5.5-cyber", Usage(input=10_000, cache_read=10_000, output=1_000), "0.2125",
     dt.datetime(2026, 10, 19, tzinfo=UTC)),
    ("gpt-5.5-cyber-preview", "gpt-5.5-cyber", Usage(input=10_000, cache_read=10_000, output=1_000), "0.2125", AT),
    # ---------------------------------------------------------------- GPT-5.6 Cyber (no tier)
    # 10,000 in × $12.50/M = 0.125; 10,000 cache read × $1.25/M = 0.0125; 8,000 cache write × $15.625/M = 0.125;
    # 1,000 out × $75/M = 0.075
    ("gpt-5.6-cyber", "gpt-5.6-cyber", Usage(input=10_000, cache_read=10_000, cache_write=8_000, output=1_000),
     "0.3375", AT),
    # ---------------------------------------------------------------- Daybreak (LiteLLM only)
    # red: 10,000 in × $12.50/M = 0.125; 8,000 cache write × $15.625/M = 0.125; 1,000 out × $75/M = 0.075
    ("daybreak-red-latest", "gpt-daybreak-red-latest", Usage(input=10_000, cache_write=8_000, output=1_000),
     "0.325", AT),
    # red cliff: 272,000 × $12.50/M = 3.4 + 1,000 × $75/M = 0.075; 272,001 × $25/M = 6.800025 + 1,000 × $112.50/M
    ("gpt-daybreak-red-latest", "gpt-daybreak-red-latest", Usage(input=272_000, output=1_000), "3.475", AT),
    ("gpt-daybreak-red-latest", "gpt-daybreak-red-latest", Usage(input=272_001, output=1_000), "6.912525", AT),
    # blue: 10,000 in × $4/M = 0.04; 10,000 cache read × $0.40/M = 0.004; 1,000 out × $20/M = 0.02
    ("daybreak-blue-latest", "gpt-daybreak-blue-latest", Usage(input=10_000, cache_read=10_000, output=1_000),
     "0.064", AT),
    # blue above 272k: 272,001 × $8/M = 2.176008; 1,000 out × $30/M = 0.03
    ("gpt-daybreak-blue-latest", "gpt-daybreak-blue-latest", Usage(input=272_001, output=1_000), "2.206008", AT),
    # ---------------------------------------------------------------- chat-latest
    # 10,000 in × $5/M = 0.05; 10,000 cache read × $0.50/M = 0.005; 1,000 out × $30/M = 0.03
    ("chat-latest", "chat-latest", Usage(input=10_000, cache_read=10_000, output=1_000), "0.085", AT),
    ("gpt-chat-latest", "chat-latest", Usage(input=10_000, cache_read=10_000, output=1_000), "0.085", AT),
    ("openai/chat-latest", "chat-latest", Usage(input=10_000, cache_read=10_000, output=1_000), "0.085", AT),
    # ---------------------------------------------------------------- search models (search fees not modelled)
    # gpt-5-search-api: 10,000 in × $1.25/M = 0.0125; 10,000 cache read × $0.125/M = 0.00125;
    # 1,000 out × $10/M = 0.01
    ("gpt-5-search-api", "gpt-5-search-api", Usage(input=10_000, cache_read=10_000, output=1_000), "0.02375", AT),
    ("gpt-5-search-api-2025-10-14", "gpt-5-search-api", Usage(input=10_000, cache_read=10_000, output=1_000),
     "0.02375", AT),
    # gpt-4o-search-preview, no cached price: 10,000 in × $2.50/M = 0.025; 10,000 cache read billed as input
    # × $2.50/M = 0.025; 1,000 out × $10/M = 0.01; every request searches: 1 × $25/1,000 = 0.025
    ("gpt-4o-search-preview", "gpt-4o-search-preview", Usage(input=10_000, cache_read=10_000, output=1_000),
     "0.085", AT),
    # gpt-4o-mini-search-preview: 10,000 in × $0.15/M = 0.0015; 10,000 cache read × $0.075/M = 0.00075;
    # 1,000 out × $0.60/M = 0.0006; the request's search $0.025
    ("gpt-4o-mini-search-preview-2025-03-11", "gpt-4o-mini-search-preview-2025-03-11",
     Usage(input=10_000, cache_read=10_000, output=1_000), "0.02785", AT),
    # ---------------------------------------------------------------- older models the catalog lacked (retired)
    # o1-mini: 10,000 in × $1.10/M = 0.011; 10,000 cache read × $0.55/M = 0.0055; 1,000 out × $4.40/M = 0.0044
    ("o1-mini", "o1-mini", Usage(input=10_000, cache_read=10_000, output=1_000), "0.0209", AT),
    ("o1-mini-2024-09-12", "o1-mini", Usage(input=10_000, cache_read=10_000, output=1_000), "0.0209", AT),
    # codex-mini: 10,000 in × $1.50/M = 0.015; 10,000 cache read × $0.375/M = 0.00375; 1,000 out × $6/M = 0.006
    ("codex-mini-latest", "codex-mini-latest", Usage(input=10_000, cache_read=10_000, output=1_000), "0.02475", AT),
    # computer-use-preview: 10,000 in × $3/M = 0.03; 1,000 out × $12/M = 0.012
    ("computer-use-preview-2025-03-11", "computer-use-preview", Usage(input=10_000, output=1_000), "0.042", AT),
]


@pytest.mark.parametrize(("name", "matched", "usage", "expected", "when"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_cost_matches_the_hand_computed_price(
    catalog: Catalog, name: str, matched: str, usage: Usage, expected: str, when: dt.datetime
) -> None:
    q = quote(catalog, name, usage, when)
    assert q.matched == matched
    assert q.provider == "openai"
    assert q.cost_usd == Decimal(expected)


# Names that must not borrow a neighbour's price: no prefix, suffix or fuzzy matching.
UNKNOWN = [
    "gpt-5.3-codex-mini", "gpt-5.4-pro-mini", "gpt-5.5-pro-max", "gpt-5.3-codex-spark", "gpt-5.3-instant",
    "gpt-6.1-terra-mini", "gpt-6.1", "gpt-6.1-luna", "gpt-6", "gpt-6-rosalind-mini", "gpt-rosalind",
    "gpt-6-astra-legal",
    "gpt-5.5-cyber-mini", "gpt-5.6-cyber-preview", "gpt-cyber", "daybreak-red", "gpt-daybreak-blue", "chat",
    "chatgpt-latest", "gpt-chat",
    "gpt-5-search", "gpt-4o-search", "gpt-4o-mini-search", "o1-mini-high", "codex", "computer-use",
]


@pytest.mark.parametrize("name", UNKNOWN)
def test_near_names_stay_unpriced(catalog: Catalog, name: str) -> None:
    assert catalog.match(name) is None
    assert not quote(catalog, name, Usage(input=1_000, output=1_000), AT).priced


@pytest.mark.parametrize(("name", "other"), [("gpt-5.4-pro", "gpt-5.4"), ("gpt-5.5-pro", "gpt-5.5"),
                                             ("gpt-5.3-codex", "gpt-5.3-chat-latest"),
                                             ("gpt-6.1-terra", "gpt-5.6-terra"), ("gpt-6-astra-law", "gpt-6-astra")])
def test_a_variant_is_its_own_model(catalog: Catalog, name: str, other: str) -> None:
    assert catalog.match(name).id == name
    assert catalog.match(name) is not catalog.match(other)


RETIRED = [
    # added here, already withdrawn
    "gpt-5.3-chat-latest", "o1-mini", "codex-mini-latest", "computer-use-preview",
    # marked retired on 2026-12-03 (shutdown dates in each model's note)
    "gpt-3.5-turbo", "gpt-3.5-turbo-1106", "gpt-3.5-turbo-instruct", "gpt-4", "gpt-4-turbo", "gpt-4o-2024-05-13",
    "gpt-4.1-nano", "chatgpt-4o-latest", "gpt-5.1-codex-mini", "o1", "o3-mini", "o4-mini", "o3-deep-research",
    "o4-mini-deep-research",
]


@pytest.mark.parametrize("model_id", RETIRED)
def test_retired_models_are_marked_and_still_priced(catalog: Catalog, model_id: str) -> None:
    entry = catalog.models[model_id]
    assert is_retired(entry.retired, TODAY)
    assert "Retired" in (entry.spec.note or ""), "the model's note gives the shutdown date"
    assert quote(catalog, model_id, Usage(input=1_000, output=1_000), AT).cost_usd > 0


# Retiring changes no price: the periods are untouched. Each: 1,000 in + 1,000 out at the listed rates.
RETIRED_COSTS = [
    ("gpt-3.5-turbo-0125", "0.002"),       # 1,000 × $0.50/M + 1,000 × $1.50/M = 0.0005 + 0.0015
    ("gpt-3.5-turbo-1106", "0.003"),       # 1,000 × $1/M + 1,000 × $2/M = 0.001 + 0.002
    ("gpt-3.5-turbo-instruct", "0.0035"),  # 1,000 × $1.50/M + 1,000 × $2/M = 0.0015 + 0.002
    ("gpt-4-0613", "0.09"),                # 1,000 × $30/M + 1,000 × $60/M = 0.03 + 0.06
    ("gpt-4-turbo-2024-04-09", "0.04"),    # 1,000 × $10/M + 1,000 × $30/M = 0.01 + 0.03
    ("gpt-4o-2024-05-13", "0.02"),         # 1,000 × $5/M + 1,000 × $15/M = 0.005 + 0.015
    ("gpt-4.1-nano", "0.0005"),            # 1,000 × $0.10/M + 1,000 × $0.40/M = 0.0001 + 0.0004
    ("chatgpt-4o-latest", "0.02"),         # 1,000 × $5/M + 1,000 × $15/M = 0.005 + 0.015
    ("gpt-5.1-codex-mini", "0.00225"),     # 1,000 × $0.25/M + 1,000 × $2/M = 0.00025 + 0.002
    ("o1-2024-12-17", "0.075"),            # 1,000 × $15/M + 1,000 × $60/M = 0.015 + 0.06
    ("o3-mini", "0.0055"),                 # 1,000 × $1.10/M + 1,000 × $4.40/M = 0.0011 + 0.0044
    ("o4-mini-2025-04-16", "0.0055"),      # 1,000 × $1.10/M + 1,000 × $4.40/M = 0.0011 + 0.0044
    ("o3-deep-research", "0.05"),          # 1,000 × $10/M + 1,000 × $40/M = 0.01 + 0.04
    ("o4-mini-deep-research", "0.01"),     # 1,000 × $2/M + 1,000 × $8/M = 0.002 + 0.008
]


@pytest.mark.parametrize(("name", "expected"), RETIRED_COSTS)
def test_a_retired_model_keeps_its_price(catalog: Catalog, name: str, expected: str) -> None:
    q = quote(catalog, name, Usage(input=1_000, output=1_000), AT)
    assert is_retired(catalog.models[q.matched].retired, TODAY)
    assert q.cost_usd == Decimal(expected)


def test_o1_pro_is_retired_and_keeps_its_price(catalog: Catalog) -> None:
    # Shut down 2026-10-23 (OpenAI's deprecations page, see its note); history stays priced:
    # 1,000 in × $150/M = 0.15; 1,000 out × $600/M = 0.6
    assert catalog.models["o1-pro"].retired == dt.date(2026, 10, 23)
    assert is_retired(catalog.models["o1-pro"].retired, TODAY)
    assert quote(catalog, "o1-pro", Usage(input=1_000, output=1_000), AT).cost_usd == Decimal("0.75")
