"""The bundled price data (pricing/*.toml): coverage, the FIELD_NOTES prices, tiers, fees, free and
retired models, sources, and a cross-check against genai-prices."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest

from costpanel import Usage
from costpanel.pricing import Catalog
from costpanel.pricing.retirement import is_retired
from costpanel.quote import quote

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 1, tzinfo=UTC)
RATE_FIELDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h")


def test_catalog_covers_at_least_60_models_from_7_providers(catalog: Catalog) -> None:
    assert len(catalog) >= 60
    assert len(catalog.providers) >= 7
    assert {"openai", "anthropic", "google", "perplexity", "pollinations", "deepseek", "mistral"} <= set(
        catalog.providers
    )


# Every family FIELD_NOTES §1 and §3 name, by the name agent code sends.
REQUIRED_NAMES = [
    # OpenAI current and legacy (one replaced system used `gpt-4` as its example)
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o1", "o3", "o3-mini", "o4-mini",
    "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4", "gpt-4-turbo", "gpt-3.5-turbo",
    # Anthropic
    "claude-opus-4", "claude-opus-4-1", "claude-sonnet-4", "claude-sonnet-4-5", "claude-3-7-sonnet",
    "claude-haiku-4-5", "claude-3-5-haiku",
    # Google Gemini 2.0 and 2.5, incl. flash-lite and preview variants
    "gemini-2.0-flash", "gemini-2.0-flash-lite", "gemini-2.0-flash-lite-preview-02-05",
    "gemini-2.5-pro", "gemini-2.5-pro-preview-05-06", "gemini-2.5-flash", "gemini-2.5-flash-preview-04-17",
    "gemini-2.5-flash-preview-05-20", "gemini-2.5-flash-lite", "gemini-2.5-flash-lite-preview-06-17",
    # Perplexity sonar family
    "sonar", "sonar-pro", "sonar-reasoning", "sonar-reasoning-pro", "sonar-deep-research",
    # Pollinations free models
    "pollinations/openai", "pollinations/openai-large", "pollinations/mistral", "pollinations/llama",
    "pollinations/deepseek", "searchgpt",
    # DeepSeek and Mistral
    "deepseek-chat", "deepseek-reasoner", "mistral-large-latest", "mistral-small-latest", "codestral-latest",
]


@pytest.mark.parametrize("name", REQUIRED_NAMES)
def test_every_family_from_the_field_notes_is_priced(catalog: Catalog, name: str) -> None:
    entry = catalog.match(name)
    assert entry is not None, name
    assert quote(catalog, name, Usage(input=1, output=1), NOW).priced


# FIELD_NOTES §3, USD per 1M: id -> input, output, cache_read, cache_write (5m), cache_write_1h.
# None: the model has no such price (the bucket is then billed at the input rate).
FIELD_NOTES_PRICES: dict[str, tuple[str, str, str | None, str | None, str | None]] = {
    "gpt-4o": ("2.5", "10", "1.25", None, None),
    "gpt-4o-mini": ("0.15", "0.6", "0.075", None, None),
    "gpt-4.1": ("2", "8", "0.5", None, None),
    "gpt-4.1-mini": ("0.4", "1.6", "0.1", None, None),
    "gpt-4.1-nano": ("0.1", "0.4", "0.025", None, None),
    "o1": ("15", "60", "7.5", None, None),
    "o3": ("2", "8", "0.5", None, None),
    "o3-mini": ("1.1", "4.4", "0.55", None, None),
    "o4-mini": ("1.1", "4.4", "0.275", None, None),
    "gpt-5": ("1.25", "10", "0.125", None, None),
    "gpt-5-mini": ("0.25", "2", "0.025", None, None),
    "gpt-5-nano": ("0.05", "0.4", "0.005", None, None),
    "gpt-4": ("30", "60", None, None, None),
    "gpt-4-turbo": ("10", "30", None, None, None),
    "gpt-3.5-turbo": ("0.5", "1.5", None, None, None),
    "claude-opus-4": ("15", "75", "1.5", "18.75", "30"),
    "claude-opus-4-1": ("15", "75", "1.5", "18.75", "30"),
    "claude-sonnet-4": ("3", "15", "0.3", "3.75", "6"),
    "claude-sonnet-4-5": ("3", "15", "0.3", "3.75", "6"),
    "claude-3-7-sonnet": ("3", "15", "0.3", "3.75", "6"),
    "claude-haiku-4-5": ("1", "5", "0.1", "1.25", "2"),
    "claude-3-5-haiku": ("0.8", "4", "0.08", "1", "1.6"),
    "gemini-2.5-pro": ("1.25", "10", "0.125", None, None),
    "gemini-2.5-flash": ("0.3", "2.5", "0.03", None, None),
    "gemini-2.5-flash-lite": ("0.1", "0.4", "0.01", None, None),
    "gemini-2.0-flash": ("0.1", "0.4", "0.025", None, None),
    "gemini-2.0-flash-lite": ("0.075", "0.3", None, None, None),
    "sonar": ("1", "1", None, None, None),
    "sonar-pro": ("3", "15", None, None, None),
    "sonar-reasoning": ("1", "5", None, None, None),
}


@pytest.mark.parametrize(("model_id", "prices"), FIELD_NOTES_PRICES.items())
def test_current_prices_match_the_field_notes(catalog: Catalog, model_id: str, prices: tuple) -> None:
    entry = catalog.models[model_id]
    period = entry.current_spec
    got = tuple(getattr(period, f) for f in RATE_FIELDS)
    assert got == tuple(None if p is None else Decimal(p) for p in prices)


def test_anthropic_cache_prices_follow_the_multipliers(catalog: Catalog) -> None:
    # cache read 0.1x, 5-minute write 1.25x, 1-hour write 2x input, on every period and tier.
    # Exceptions: Claude 2.1 predates caching; Haiku 3 is published rounded (0.03 / 0.30 / 0.50);
    # some Claude 5 periods publish a cheaper cache read (CACHE_HIT_EXCEPTIONS, with their pages).
    from test_prices_anthropic import CACHE_HIT_EXCEPTIONS
    haiku_3 = catalog.models["claude-3-haiku"].current_spec
    assert (haiku_3.cache_read, haiku_3.cache_write, haiku_3.cache_write_1h) == (
        Decimal("0.03"), Decimal("0.30"), Decimal("0.50"))
    checked = 0
    for entry in catalog.models.values():
        if entry.provider != "anthropic" or entry.id in ("claude-2.1", "claude-3-haiku"):
            continue
        for period in entry.spec.prices:
            for rates in (period, *period.tiers):
                hit = CACHE_HIT_EXCEPTIONS.get((entry.id, period.effective), Decimal("0.1"))
                assert rates.cache_read == rates.input * hit, entry.id
                assert rates.cache_write == rates.input * Decimal("1.25"), entry.id
                assert rates.cache_write_1h == rates.input * 2, entry.id
                checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("model_id", "tier"),
    [
        ("claude-sonnet-4-5", ("6", "22.5", "0.6", "7.5", "12")),
        ("gemini-2.5-pro", ("2.5", "15", "0.25", None, None)),
    ],
)
def test_long_context_cliff_tiers_at_200k(catalog: Catalog, model_id: str, tier: tuple) -> None:
    (only,) = catalog.models[model_id].current_spec.tiers
    assert only.above_prompt_tokens == 200_000
    assert tuple(getattr(only, f) for f in RATE_FIELDS) == tuple(None if p is None else Decimal(p) for p in tier)


@pytest.mark.parametrize(("model_id", "fee"), [("sonar", "5"), ("sonar-reasoning", "5"), ("sonar-pro", "6")])
def test_perplexity_sonar_has_a_per_request_fee(catalog: Catalog, model_id: str, fee: str) -> None:
    assert catalog.models[model_id].current_spec.per_1k_requests == Decimal(fee)  # the low search-context fee
    q = quote(catalog, model_id, Usage(requests=1000), NOW)
    assert q.cost_usd == Decimal(fee)


def test_pollinations_models_are_free(catalog: Catalog) -> None:
    models = [e for e in catalog.models.values() if e.provider == "pollinations"]
    assert len(models) >= 10
    big = Usage(input=10**6, cache_read=10**6, cache_write=10**6, cache_write_1h=10**6, output=10**6, requests=9)
    for entry in models:
        assert entry.free, entry.id
        q = quote(catalog, entry.id, big, NOW)
        assert q.priced and q.cost_usd == 0, entry.id


def test_only_pollinations_and_experimental_models_are_free(catalog: Catalog) -> None:
    free = {e.id for e in catalog.models.values() if e.free}
    # Besides Pollinations and Gemini's -exp / -experimental models: Gemma on the Gemini API (no
    # paid tier) and Mistral Labs research previews (issue 10, LiteLLM 1.110.2 lists them at 0).
    allowed = ("gemma-", "labs-")
    assert all(i.startswith("pollinations/") or "-exp" in i or i.startswith(allowed) for i in free), sorted(free)
    assert {"gemma-3-27b-it", "gemma-4-31b-it", "gemma-4-26b-a4b-it", "labs-leanstral-1-5-1"} <= free


@pytest.mark.parametrize("model_id", ["sonar", "gpt-4-32k", "claude-3-opus", "gemini-2.0-flash", "deepseek-chat",
                                      "open-mixtral-8x22b", "gpt-4.5-preview"])
def test_named_retired_models_are_retired_and_priced(catalog: Catalog, model_id: str) -> None:
    entry = catalog.models[model_id]
    assert is_retired(entry.retired, dt.date(2026, 12, 3))
    assert quote(catalog, model_id, Usage(input=1000, output=1000), NOW).cost_usd > 0


def test_every_retired_model_is_still_priced(catalog: Catalog) -> None:
    retired = [e for e in catalog.models.values() if e.retired is not None]  # past and scheduled
    assert len(retired) >= 20
    for entry in retired:
        assert catalog.match(entry.id) is entry
        cost = quote(catalog, entry.id, Usage(input=1000, output=1000), NOW).cost_usd
        assert cost is not None and (cost == 0 if entry.free else cost > 0), entry.id


def test_every_price_period_has_an_https_source_and_an_effective_date(catalog: Catalog) -> None:
    periods = 0
    for entry in catalog.models.values():
        assert entry.free or entry.spec.prices, entry.id
        for period in entry.spec.prices:
            assert period.source.startswith("https://") and len(period.source) > len("https://x.y"), entry.id
            assert isinstance(period.effective, dt.date) and period.effective >= dt.date(2020, 1, 1), entry.id
            periods += 1
    assert periods >= len(catalog) - 30


def test_every_paid_model_has_a_positive_output_price(catalog: Catalog) -> None:
    """An output price left at 0 is a slip, except for an embedding model (billed on its input)."""
    embeddings = [e.id for e in catalog.models.values() if e.spec.embedding]
    assert "text-embedding-3-small" in embeddings
    for entry in catalog.models.values():
        if entry.spec.embedding:
            assert all(p.output == 0 and p.input > 0 for p in entry.spec.prices), entry.id
        elif not entry.free:
            assert all(p.output > 0 for p in entry.spec.prices), entry.id


# ------------------------------------------------------------------------ genai-prices cross-check

# Current mainstream models where costpanel and genai-prices agree; the deliberate disagreements
# (o3 launch cached price, Sonnet 4 and Grok 4 long-context tiers, Perplexity request fees,
# Gemini 2.5 Flash preview output, price histories genai-prices does not keep — e.g. xAI bills the
# retired grok-4-0709 and grok-code-fast-1 as grok-4.3 since 2026-05-16) are left out.
CROSS_CHECK = {
    "gpt-4o": "openai", "gpt-4o-mini": "openai", "gpt-4.1": "openai", "gpt-4.1-mini": "openai",
    "o3": "openai", "o4-mini": "openai", "gpt-5": "openai", "gpt-5-mini": "openai", "gpt-5-nano": "openai",
    "gpt-5.4": "openai", "claude-sonnet-4-5": "anthropic", "claude-haiku-4-5": "anthropic",
    "claude-opus-4-5": "anthropic", "claude-opus-4-8": "anthropic", "gemini-2.5-pro": "google",
    "gemini-2.5-flash": "google", "gemini-2.5-flash-lite": "google", "gemini-3-flash-preview": "google",
    "deepseek-v4-pro": "deepseek", "mistral-large-2512": "mistral", "mistral-medium-2508": "mistral",
    "grok-4.3": "x-ai",
}
CROSS_CHECK_AT = dt.datetime(2026, 10, 15, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def genai_prices():
    if os.environ.get("CI", "").lower() == "true":  # in CI the cross-check must run, never skip
        import genai_prices

        return genai_prices
    return pytest.importorskip("genai_prices", reason="genai-prices is not installed (a dependency: pip install -e .)")


@pytest.mark.parametrize(("model_id", "provider_id"), CROSS_CHECK.items())
def test_input_and_output_cost_agree_with_genai_prices(
    catalog: Catalog, genai_prices, model_id: str, provider_id: str
) -> None:
    usage = Usage(input=123_457, output=7_891)
    ours = quote(catalog, model_id, usage, CROSS_CHECK_AT)
    theirs = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=usage.input, output_tokens=usage.output), model_id,
        provider_id=provider_id, genai_request_timestamp=CROSS_CHECK_AT,
    )
    assert (ours.breakdown["input"], ours.breakdown["output"]) == (theirs.input_price, theirs.output_price)


@pytest.mark.parametrize(("model_id", "provider_id"), [("claude-sonnet-4-5", "anthropic"),
                                                       ("gemini-2.5-pro", "google"), ("gpt-5.4", "openai")])
def test_long_context_and_cached_cost_agree_with_genai_prices(
    catalog: Catalog, genai_prices, model_id: str, provider_id: str
) -> None:
    usage = Usage(input=250_000, cache_read=40_000, output=3_000)
    ours = quote(catalog, model_id, usage, CROSS_CHECK_AT)
    assert ours.tier_threshold is not None
    theirs = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=usage.input + usage.cache_read, cache_read_tokens=usage.cache_read,
                           output_tokens=usage.output),
        model_id, provider_id=provider_id, genai_request_timestamp=CROSS_CHECK_AT,
    )
    ours_input = ours.breakdown["input"] + ours.breakdown["cache_read"]
    assert (ours_input, ours.breakdown["output"]) == (theirs.input_price, theirs.output_price)


@pytest.mark.parametrize(("model_id", "provider_id", "threshold"), [("claude-sonnet-4-5", "anthropic", 200_000),
                                                                   ("gemini-2.5-pro", "google", 200_000)])
@pytest.mark.parametrize("above", [0, 1])
def test_the_cliff_starts_one_token_above_the_threshold_as_in_genai_prices(
    catalog: Catalog, genai_prices, model_id: str, provider_id: str, threshold: int, above: int
) -> None:
    # Anthropic and Google bill the higher rates when the prompt *exceeds* 200k tokens; genai-prices
    # applies a tier when the input is strictly greater than its start. Both sides of the edge:
    usage = Usage(input=threshold + above, output=1_000)
    ours = quote(catalog, model_id, usage, CROSS_CHECK_AT)
    theirs = genai_prices.calc_price(genai_prices.Usage(input_tokens=usage.input, output_tokens=usage.output),
                                     model_id, provider_id=provider_id, genai_request_timestamp=CROSS_CHECK_AT)
    assert (ours.breakdown["input"], ours.breakdown["output"]) == (theirs.input_price, theirs.output_price)
    assert ours.tier_threshold == (threshold if above else None)
