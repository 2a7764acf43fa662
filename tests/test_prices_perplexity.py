"""Perplexity prices checked on 2026-12-03, computed by hand. perplexity/sonar and the retired Sonar
Chat Completions models are from Perplexity's pages; the Perplexity-hosted open models are
`unverified` in pricing/perplexity.toml (genai-prices 0.2.3 / LiteLLM 1.110.2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from costpanel import Usage
from costpanel.pricing import Catalog
from costpanel.quote import quote

UTC = dt.timezone.utc
AT = dt.datetime(2026, 12, 3, 12, tzinfo=UTC)
M = 1_000_000
ONE_M_EACH = Usage(input=M, output=M, cache_read=M)

CASES = [
    # Agent API Sonar (0.25 in / 2.50 out / 0.0625 cached):
    # 1,000,000 x 0.25/M + 100,000 x 2.50/M + 1,000,000 x 0.0625/M = 0.25 + 0.25 + 0.0625 = $0.5625
    ("perplexity/sonar", Usage(input=M, output=100_000, cache_read=M), "0.5625", "perplexity/sonar"),
    # LiteLLM's name for it must not fall through to the retired Chat Completions `sonar`
    ("perplexity/perplexity/sonar", Usage(input=M, output=100_000, cache_read=M), "0.5625", "perplexity/sonar"),
    # retired Chat Completions sonar keeps its request fee ($5 per 1,000 requests, low context):
    # 1,000 x $1/M + 1,000 x $1/M + 1 request x $5/1,000 = 0.001 + 0.001 + 0.005 = $0.007
    ("sonar", Usage(input=1_000, output=1_000), "0.007", "sonar"),
    # sonar-pro, 2 requests: 1,000 x $3/M + 1,000 x $15/M + 2 x $6/1,000 = 0.003 + 0.015 + 0.012 = $0.030
    ("sonar-pro", Usage(input=1_000, output=1_000, requests=2), "0.030", "sonar-pro"),
    # Kimi K3: 10,000 x $3/M + 2,000 x $15/M + 100,000 cached x $0.30/M = 0.03 + 0.03 + 0.03 = $0.09
    ("perplexity/kimi-k3", Usage(input=10_000, output=2_000, cache_read=100_000), "0.09", "perplexity/kimi-k3"),
    ("perplexity/perplexity/kimi-k3", Usage(input=10_000, output=2_000, cache_read=100_000), "0.09",
     "perplexity/kimi-k3"),
    # 1,000,000 each of input, output and cache reads:
    # GLM-5.3: 1.40 + 4.40 + 0.26 = $6.06
    ("perplexity/glm-5.3", ONE_M_EACH, "6.06", "perplexity/glm-5.3"),
    # GLM-5.3 Flash: 0.15 + 0.50 + 0.03 = $0.68
    ("perplexity/glm-5.3-flash", ONE_M_EACH, "0.68", "perplexity/glm-5.3-flash"),
    # Nemotron 3.5 Super: 0.20 + 0.50 + 0.04 = $0.74
    ("perplexity/nemotron-3.5-super-120b-a12b", ONE_M_EACH, "0.74", "perplexity/nemotron-3.5-super-120b-a12b"),
    # DeepSeek V4 Pro 0813 on Perplexity: 1.32 + 3.96 + 0.044 = $5.324 (not DeepSeek's off-peak 0.66 / 1.98)
    ("perplexity/deepseek-v4-pro-0813", ONE_M_EACH, "5.324", "perplexity/deepseek-v4-pro-0813"),
    # DeepSeek V4 Flash 0731: 0.13 + 0.26 + 0.028 = $0.418
    ("perplexity/deepseek-v4-flash-0731", ONE_M_EACH, "0.418", "perplexity/deepseek-v4-flash-0731"),
    # Kimi K2.7 Code: 0.95 + 4 + 0.19 = $5.14
    ("perplexity/kimi-k2.7-code", ONE_M_EACH, "5.14", "perplexity/kimi-k2.7-code"),
    # Nemotron 3.5 Lightning: 0.0115 + 0.17 + 0.00115 = $0.18265
    ("perplexity/nemotron-3.5-lightning-30b-a3b", ONE_M_EACH, "0.18265", "perplexity/nemotron-3.5-lightning-30b-a3b"),
    # Nemotron 3 Ultra: 0.25 + 2.50 + 0.25 = $3.00
    ("perplexity/nemotron-3-ultra-550b-a55b", ONE_M_EACH, "3.00", "perplexity/nemotron-3-ultra-550b-a55b"),
    # hosted models have no request fee: 1,000 requests with no tokens cost $0
    ("perplexity/kimi-k3", Usage(requests=1_000), "0", "perplexity/kimi-k3"),
    # GLM-5.2 hosted by Perplexity: 1,000,000 x 1.40/M + 1,000,000 x 4.40/M + 1,000,000 x 0.14/M = $5.94
    ("perplexity/glm-5.2", ONE_M_EACH, "5.94", "perplexity/glm-5.2"),
    ("perplexity/perplexity/glm-5.2", ONE_M_EACH, "5.94", "perplexity/glm-5.2"),
]


@pytest.mark.parametrize(("name", "usage", "expected", "model_id"), CASES)
def test_perplexity_prices(catalog: Catalog, name: str, usage: Usage, expected: str, model_id: str) -> None:
    q = quote(catalog, name, usage, AT)
    assert q.matched == model_id
    assert q.cost_usd == Decimal(expected)


@pytest.mark.parametrize("name", [
    "kimi-k3",                        # Moonshot's own API, not Perplexity's hosted price
    "glm-5.3",
    "deepseek-v4-pro-0813",
    "perplexity/kimi-k3-mini",
    "perplexity/glm-5.1",
    "pplx-70b-online",                # legacy 2023-24 models, removed before this catalog's history
    "sonar-small-chat",
    "perplexity/glm-5.3-flashx",
    "perplexity/nemotron-3.5-super",
    "perplexity/sonar-mini",
])
def test_names_that_must_not_match(catalog: Catalog, name: str) -> None:
    assert not quote(catalog, name, Usage(input=1, output=1), AT, fallback=False).priced
    # genai-prices may price Moonshot's or Z.ai's own model under the bare name, never as Perplexity's
    q = quote(catalog, name, Usage(input=1, output=1), AT)
    assert not q.priced or (q.priced_by != "catalog" and q.provider != "perplexity")
