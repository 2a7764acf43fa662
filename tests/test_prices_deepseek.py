"""DeepSeek prices as published on https://api-docs.deepseek.com/quick_start/pricing (checked
2026-12-03), computed by hand. Off-peak prices are the ones recorded (see pricing/deepseek.toml)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from costpanel import Usage
from costpanel.pricing import Catalog
from costpanel.quote import quote

UTC = dt.timezone.utc
AT = dt.datetime(2026, 12, 3, 12, tzinfo=UTC)

# Page, 2026-12-03, off-peak USD per 1M tokens:
#   deepseek-flash (DeepSeek-V4.1-Flash-1017): cache hit 0.003, cache miss 0.15, output 0.60
#   deepseek-v4-pro (DeepSeek-V4-Pro-0813):    cache hit 0.022, cache miss 0.66, output 1.98
CASES = [
    # 1,000,000 in x $0.15/M + 100,000 out x $0.60/M = 0.15 + 0.06 = $0.21
    ("deepseek-flash", Usage(input=1_000_000, output=100_000), "0.21", "deepseek-flash"),
    # 1,000,000 cache hits x $0.003/M = $0.003
    ("deepseek-flash", Usage(cache_read=1_000_000), "0.003", "deepseek-flash"),
    # legacy names, billed at Flash prices: 2,000 in x 0.15/M + 1,000 out x 0.60/M + 10,000 hit x 0.003/M
    #   = 0.0003 + 0.0006 + 0.00003 = $0.00093
    ("deepseek-v4-flash", Usage(input=2_000, output=1_000, cache_read=10_000), "0.00093", "deepseek-v4-flash"),
    ("deepseek-v4-flash-vision-exp", Usage(input=2_000, output=1_000, cache_read=10_000), "0.00093",
     "deepseek-v4-flash"),
    ("deepseek/deepseek-v4-flash", Usage(input=2_000, output=1_000, cache_read=10_000), "0.00093",
     "deepseek-v4-flash"),
    ("DeepSeek-Flash", Usage(input=1_000_000, output=100_000), "0.21", "deepseek-flash"),
    # 1,000 in x $0.66/M + 500 out x $1.98/M + 2,000 hit x $0.022/M = 0.00066 + 0.00099 + 0.000044 = $0.001694
    ("deepseek-v4-pro", Usage(input=1_000, output=500, cache_read=2_000), "0.001694", "deepseek-v4-pro"),
    ("deepseek/deepseek-v4-pro", Usage(input=1_000, output=500, cache_read=2_000), "0.001694", "deepseek-v4-pro"),
    # no cache-write fee: written prompt tokens are cache misses, 1,000,000 x $0.66/M = $0.66
    ("deepseek-v4-pro", Usage(cache_write=1_000_000), "0.66", "deepseek-v4-pro"),
]


@pytest.mark.parametrize(("name", "usage", "expected", "model_id"), CASES)
def test_deepseek_prices_from_the_pricing_page(
    catalog: Catalog, name: str, usage: Usage, expected: str, model_id: str
) -> None:
    q = quote(catalog, name, usage, AT)
    assert q.matched == model_id
    assert q.cost_usd == Decimal(expected)


def test_flash_before_the_v4_1_switch_keeps_its_august_price(catalog: Catalog) -> None:
    # 2026-09-01: deepseek-v4-flash off-peak 0.22 in / 0.66 out:
    # 1,000,000 x 0.22/M + 1,000,000 x 0.66/M = $0.88
    q = quote(catalog, "deepseek-v4-flash", Usage(input=1_000_000, output=1_000_000),
              dt.datetime(2026, 9, 1, tzinfo=UTC))
    assert q.cost_usd == Decimal("0.88")


@pytest.mark.parametrize("name", [
    "deepseek-flash-latest",   # OpenRouter's floating alias, not a DeepSeek API name
    "deepseek-pro-latest",
    "deepseek-pro",            # not a DeepSeek model name
    "deepseek-v4-pro-0813",    # Perplexity's name (perplexity/deepseek-v4-pro-0813), peak-priced there
    "deepseek-v4.1-flash",
    "deepseek-flash-mini",
    "deepseek",
    "deepseek-r1",             # third-party hosts' names: DeepSeek's API says deepseek-reasoner / deepseek-chat
    "deepseek-v3",
])

def test_names_deepseek_does_not_serve_are_unpriced(catalog: Catalog, name: str) -> None:
    assert not quote(catalog, name, Usage(input=1, output=1), AT).priced


@pytest.mark.parametrize(("when", "expected"), [
    # V2.5 / V3 promotion period: 1,000,000 x 0.14/M + 1,000,000 x 0.28/M + 1,000,000 x 0.014/M = $0.434
    (dt.datetime(2024, 10, 1, tzinfo=UTC), "0.434"),
    # after the 2025-02-09 change: deepseek-chat's price then (0.27 / 1.10 / 0.07): 0.27 + 1.10 + 0.07 = $1.44
    (dt.datetime(2025, 3, 1, tzinfo=UTC), "1.44"),
])
def test_deepseek_coder_is_deepseek_chat_with_its_history(catalog: Catalog, when: dt.datetime, expected: str) -> None:
    usage = Usage(input=1_000_000, output=1_000_000, cache_read=1_000_000)
    q = quote(catalog, "deepseek-coder", usage, when)
    assert q.matched == "deepseek-chat"
    assert q.cost_usd == Decimal(expected) == quote(catalog, "deepseek-chat", usage, when).cost_usd
