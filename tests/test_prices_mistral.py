"""Mistral prices added or changed on 2026-12-03, computed by hand from Mistral's model pages
(docs.mistral.ai/models/..., source files in github.com/mistralai/platform-docs-public). Periods
marked `unverified` in pricing/mistral.toml come from genai-prices 0.2.3 / LiteLLM 1.110.2."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from costpanel import Usage
from costpanel.pricing import Catalog
from costpanel.pricing.retirement import is_retired
from costpanel.quote import quote

UTC = dt.timezone.utc


def at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 12, tzinfo=UTC)


M = 1_000_000

CASES = [
    # --- Mistral Large 4: launch promotion (page: 0.68 in, 0.07 cached, 2.09 out)
    # 1,000,000 in x $0.68/M + 1,000,000 out x $2.09/M = 0.68 + 2.09 = $2.77
    ("mistral-large-4", Usage(input=M, output=M), at(2026, 10, 10), "2.77", "mistral-large-4"),
    # 1,000,000 cached x $0.07/M = $0.07
    ("mistral-large-4", Usage(cache_read=M), at(2026, 10, 10), "0.07", "mistral-large-4"),
    # list price after the promotion (1.36 / 4.18): 1,000 x 1.36/M + 1,000 x 4.18/M = 0.00136 + 0.00418 = $0.00554
    ("mistral-large-4-0", Usage(input=1_000, output=1_000), at(2026, 10, 25), "0.00554", "mistral-large-4"),
    # from 2026-10-29 (0.70 / 2.10 / cached 0.07):
    # 10,000 x 0.70/M + 2,000 x 2.10/M + 5,000 x 0.07/M = 0.007 + 0.0042 + 0.00035 = $0.01155
    ("mistral/mistral-large-4", Usage(input=10_000, output=2_000, cache_read=5_000), at(2026, 12, 3),
     "0.01155", "mistral-large-4"),
    # no long-context tier: 1,000,001 prompt tokens x 0.70/M = $0.70000070
    ("mistral-large-4", Usage(input=M + 1), at(2026, 12, 3), "0.70000070", "mistral-large-4"),
    # mistral-large-latest is still Large 3: 1,000,000 x 0.50/M + 1,000,000 x 1.50/M = $2.00
    ("mistral-large-latest", Usage(input=M, output=M), at(2026, 12, 3), "2.00", "mistral-large-latest"),
    # --- Magistral -latest names, now their own models
    # before the move: 1,000 x $2/M + 1,000 x $5/M = 0.002 + 0.005 = $0.007
    ("magistral-medium-latest", Usage(input=1_000, output=1_000), at(2026, 7, 1), "0.007", "magistral-medium-latest"),
    # after (Medium 3.5): 1,000 x $1.50/M + 1,000 x $7.50/M = 0.0015 + 0.0075 = $0.009
    ("magistral-medium-latest", Usage(input=1_000, output=1_000), at(2026, 8, 15), "0.009", "magistral-medium-latest"),
    # the versioned id keeps its price: $0.007
    ("magistral-medium-2509", Usage(input=1_000, output=1_000), at(2026, 12, 3), "0.007", "magistral-medium-2509"),
    # Small 4 rates: 1,000,000 x 0.15/M + 1,000,000 x 0.60/M + 1,000,000 cached x 0.015/M = $0.765
    ("magistral-small-latest", Usage(input=M, output=M, cache_read=M), at(2026, 12, 3), "0.765",
     "magistral-small-latest"),
    # before: 1,000,000 x 0.50/M + 1,000,000 x 1.50/M = $2.00
    ("magistral-small-latest", Usage(input=M, output=M), at(2026, 1, 1), "2.00", "magistral-small-latest"),
    # --- Z.ai GLM 5.3 on Mistral (1.40 / 4.40 / cached 0.14)
    # 1,000,000 x 1.40/M + 100,000 x 4.40/M + 1,000,000 x 0.14/M = 1.40 + 0.44 + 0.14 = $1.98
    ("zai-glm-5-3", Usage(input=M, output=100_000, cache_read=M), at(2026, 12, 3), "1.98", "zai-glm-5-3"),
    ("zai-glm-5", Usage(input=M, output=100_000, cache_read=M), at(2026, 12, 3), "1.98", "zai-glm-5-3"),
    ("mistral/zai-glm-latest", Usage(input=M, output=100_000, cache_read=M), at(2026, 12, 3), "1.98", "zai-glm-5-3"),
    # GLM 5.2 cached input: 0.26 at launch, 0.14 from 2026-08-13: 1,000,000 cached x 0.26/M = $0.26
    ("zai-glm-5-2", Usage(cache_read=M), at(2026, 8, 10), "0.26", "zai-glm-5-2"),
    ("zai-glm-5-2", Usage(cache_read=M), at(2026, 8, 20), "0.14", "zai-glm-5-2"),
    # GLM 5.3 Flash: 1,000,000 x 0.15/M + 1,000,000 x 0.50/M + 1,000,000 cached x 0.03/M = $0.68
    ("zai-glm-5-3-flash", Usage(input=M, output=M, cache_read=M), at(2026, 12, 3), "0.68", "zai-glm-5-3-flash"),
    # DeepSeek V4.1 Flash on Mistral: 1,000,000 x 0.30/M + 1,000,000 x 1.20/M + 1,000,000 x 0.007/M = $1.507
    ("deepseek-v4-1-flash-1017", Usage(input=M, output=M, cache_read=M), at(2026, 12, 3), "1.507",
     "deepseek-v4-1-flash-1017"),
    # Devstral Small 2 (labs): 1,000,000 x 0.10/M + 1,000,000 x 0.30/M = $0.40
    ("labs-devstral-small-2512", Usage(input=M, output=M), at(2026, 1, 1), "0.40", "devstral-small-2507"),
    # --- short names (issue 10): aliases of the family's -latest model, with its price history
    # mistral-medium now (Medium 3.5): 1,000,000 x 1.50/M + 1,000,000 x 7.50/M = $9.00
    ("mistral-medium", Usage(input=M, output=M), at(2026, 12, 3), "9.00", "mistral-medium-latest"),
    ("mistral/mistral-medium", Usage(input=M, output=M), at(2026, 12, 3), "9.00", "mistral-medium-latest"),
    # before the 2026-06-16 move (Medium 3 / 3.1): 1,000,000 x 0.40/M + 1,000,000 x 2/M = $2.40
    ("mistral-medium", Usage(input=M, output=M), at(2025, 6, 1), "2.40", "mistral-medium-latest"),
    # mistral-small now (Small 4): 1,000,000 x 0.15/M + 1,000,000 x 0.60/M + 1,000,000 x 0.015/M = $0.765
    ("mistral-small", Usage(input=M, output=M, cache_read=M), at(2026, 12, 3), "0.765", "mistral-small-latest"),
    # a February 2024 call of the legacy endpoint is priced at the first -latest period (0.10 / 0.30),
    # not at the old 2 / 6 (documented under-pricing): 1,000,000 x 0.10/M + 1,000,000 x 0.30/M = $0.40
    ("mistral-small", Usage(input=M, output=M), at(2024, 2, 20), "0.40", "mistral-small-latest"),
    # mistral-large = mistral-large-latest = Large 3: $2.00
    ("mistral-large", Usage(input=M, output=M), at(2026, 12, 3), "2.00", "mistral-large-latest"),
    ("mistral-large-3", Usage(input=M, output=M), at(2026, 12, 3), "2.00", "mistral-large-2512"),
    # Ministral 3 long names: same models and prices as the -2512 ids
    # 1,000,000 x 0.15/M + 1,000,000 x 0.15/M = $0.30
    ("ministral-3-8b-2512", Usage(input=M, output=M), at(2026, 12, 3), "0.30", "ministral-8b-2512"),
    ("ministral-3-3b-2512", Usage(input=M, output=M), at(2026, 12, 3), "0.20", "ministral-3b-2512"),
    ("ministral-3-14b-2512", Usage(input=M, output=M), at(2026, 12, 3), "0.40", "ministral-14b-2512"),
    # Voxtral Small, text tokens: 1,000,000 x 0.10/M + 1,000,000 x 0.40/M + 1,000,000 cached x 0.01/M = $0.51
    ("voxtral-small-latest", Usage(input=M, output=M, cache_read=M), at(2026, 12, 3), "0.51", "voxtral-small-2507"),
    # product endpoint names: Medium 3.5 / Small 4 / Codestral / Devstral 2 rates
    # 1,000,000 x 1.50/M + 1,000,000 x 7.50/M = $9.00
    ("mistral-vibe-cli-with-tools", Usage(input=M, output=M), at(2026, 12, 3), "9.00", "mistral-vibe-cli-latest"),
    # 1,000,000 x 0.15/M + 1,000,000 x 0.60/M = $0.75
    ("mistral-vibe-cli-fast", Usage(input=M, output=M), at(2026, 12, 3), "0.75", "mistral-vibe-cli-fast"),
    # 1,000,000 x 0.30/M + 1,000,000 x 0.90/M + 1,000,000 x 0.03/M = $1.23
    ("mistral-code-fim-latest", Usage(input=M, output=M, cache_read=M), at(2026, 12, 3), "1.23", "mistral-code-latest"),
    # 1,000,000 x 0.40/M + 1,000,000 x 2/M = $2.40
    ("mistral-code-agent-latest", Usage(input=M, output=M), at(2026, 12, 3), "2.40", "mistral-code-agent-latest"),
    # Mistral Labs Leanstral: free, priced at exactly 0
    ("labs-leanstral-1-5-1", Usage(input=M, output=M), at(2026, 12, 3), "0", "labs-leanstral-1-5-1"),
]


@pytest.mark.parametrize(("name", "usage", "when", "expected", "model_id"), CASES)
def test_mistral_prices(catalog: Catalog, name: str, usage: Usage, when: dt.datetime, expected: str,
                        model_id: str) -> None:
    q = quote(catalog, name, usage, when)
    assert q.matched == model_id
    assert q.cost_usd == Decimal(expected)


@pytest.mark.parametrize("model_id", [
    "mistral-large-2411", "mistral-medium-2508", "mistral-small-2503", "mistral-small-2506",
    "ministral-3b-2410", "ministral-8b-2410", "magistral-medium-2509", "magistral-small-2509",
    "devstral-2512", "devstral-small-2507", "pixtral-large-2411", "pixtral-12b-2409", "open-mistral-nemo",
    "mistral-saba-2502", "zai-glm-5-2",
])
def test_models_mistral_retired_are_retired_and_still_priced(catalog: Catalog, model_id: str) -> None:
    entry = catalog.match(model_id)
    assert entry is not None and is_retired(entry.retired, dt.date(2026, 12, 3))
    assert quote(catalog, model_id, Usage(input=1, output=1), at(2026, 12, 3)).priced


@pytest.mark.parametrize("model_id", [
    "mistral-large-4", "mistral-large-2512", "mistral-medium-3.5", "mistral-small-2603", "zai-glm-5-3",
    "zai-glm-5-3-flash", "magistral-medium-latest", "magistral-small-latest", "codestral-2508",
])
def test_current_models_are_not_retired(catalog: Catalog, model_id: str) -> None:
    entry = catalog.match(model_id)
    assert entry is not None and entry.retired is None


@pytest.mark.parametrize("name", [
    "mistral-large-4-1",
    "mistral-large-5",
    "mistral-large-4-latest",
    "zai-glm",
    "glm-5-3",                # the name without Mistral's `zai-` prefix
    "glm-5-2",
    "codestral-mamba-latest",  # retired 2024 open model, not priced (known difference)
    "mistral-tiny-latest",
    "zai-glm-5-3-fast",
    "magistral-medium",
])
def test_names_that_must_not_match(catalog: Catalog, name: str) -> None:
    assert not quote(catalog, name, Usage(input=1, output=1), at(2026, 12, 3)).priced
