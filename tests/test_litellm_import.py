"""Tests for importing LiteLLM's price list (costpanel.pricing.litellm_import)."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costpanel.pricing.litellm_import import (
    DEFAULT_SOURCE,
    REASON_BAD_ID,
    REASON_KNOWN,
    REASON_NO_PRICES,
    REASON_SAMPLE_SPEC,
    REASON_TIERED_TABLE,
    ImportResult,
    convert_litellm,
    load_litellm_json,
    model_name,
)
from costpanel.pricing.schema import ModelSpec, PricePeriod, ProviderFile

SAMPLE = Path(__file__).parent / "data" / "litellm" / "model_prices_sample.json"
CHECKED = dt.date(2026, 11, 23)

EXPECTED_IMPORTED = {
    "azure/gpt-4o",
    "azure/gpt-5.4",
    "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "claude-3-opus-20240229",
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "deepinfra/acme/odd-precision-7b",
    "gemini/gemini-2.5-pro",
    "gpt-3.5-turbo-instruct",
    "gpt-4o",
    "gpt-5.2-pro",
    "openrouter/acme/no-mode-model",
    "vertex_ai/claude-sonnet-4-6@default",
    "xai/grok-4-fast-reasoning",
    "zai/glm-4.7-flash",
}
EXPECTED_SKIPPED = {
    "sample_spec",
    "1024-x-1024/dall-e-2",
    "text-embedding-3-small",
    "cohere/rerank-english-v3.0",
    "omni-moderation-latest",
    "gemini/gemini-2.5-flash-preview-tts",
    "openai/container",
    "dashscope/qwen-plus",
    "fireworks_ai/accounts/fireworks/models/broken-negative",
    "together_ai/acme/string-price",
}


def parse(result: ImportResult) -> ProviderFile:
    return ProviderFile.model_validate(tomllib.loads(result.toml_text, parse_float=Decimal))


def models_by_id(result: ImportResult) -> dict[str, ModelSpec]:
    return {m.id: m for m in parse(result).models}


def only_period(model: ModelSpec) -> PricePeriod:
    assert len(model.prices) == 1
    return model.prices[0]


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def result(sample: dict[str, Any]) -> ImportResult:
    return convert_litellm(sample, checked=CHECKED)


@pytest.fixture(scope="module")
def models(result: ImportResult) -> dict[str, ModelSpec]:
    return models_by_id(result)


def chat(**prices: Any) -> dict[str, Any]:
    return {"litellm_provider": "openai", "mode": "chat", **prices}


# --------------------------------------------------------------------------- the file as a whole


def test_output_is_a_valid_provider_file(result: ImportResult) -> None:
    parsed = parse(result)
    assert parsed.provider == "litellm"
    assert parsed.name == "LiteLLM import"
    assert parsed.checked == CHECKED
    assert parsed.sources == (DEFAULT_SOURCE,)
    assert len(parsed.models) == len(result.imported)  # each LiteLLM key imported is one model


def test_imported_and_skipped_are_exactly_the_expected_entries(sample: dict[str, Any], result: ImportResult) -> None:
    assert set(result.imported) == EXPECTED_IMPORTED
    assert {key for key, _ in result.skipped} == EXPECTED_SKIPPED
    assert len(result.imported) + len(result.skipped) == len(sample)


def test_every_period_starts_on_checked_with_the_given_source(sample: dict[str, Any]) -> None:
    source = "https://raw.githubusercontent.com/BerriAI/litellm/abc123/model_prices_and_context_window.json"
    checked = dt.date(2025, 2, 3)
    parsed = parse(convert_litellm(sample, checked=checked, source=source))
    assert parsed.checked == checked
    assert parsed.sources == (source,)
    for model in parsed.models:
        period = only_period(model)
        assert period.effective == checked
        assert period.source == source


def test_routed_platforms_keep_their_prefix_and_direct_apis_are_named_as_their_api_reports(
        models: dict[str, ModelSpec]) -> None:
    """``azure/gpt-4o`` is Azure's offering (its own price): it keeps the prefix. ``xai/grok-…`` and
    ``gemini/gemini-…`` are the providers' own APIs, whose calls report the bare name: that is the
    id, LiteLLM's key an alias (so a call named either way is priced)."""
    for key in ("azure/gpt-4o", "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0",
                "vertex_ai/claude-sonnet-4-6@default", "openrouter/acme/no-mode-model"):
        assert models[key].name == key
        assert models[key].aliases == ()
    for key, bare in (("gemini/gemini-2.5-pro", "gemini-2.5-pro"), ("xai/grok-4-fast-reasoning", "grok-4-fast-reasoning")):
        assert key not in models
        assert (models[bare].name, models[bare].aliases) == (bare, (key,))


def test_a_direct_api_model_listed_with_and_without_its_prefix_is_one_model() -> None:
    entry = {"litellm_provider": "xai", "mode": "chat", "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05}
    result = convert_litellm({"xai/grok-acme": entry, "grok-acme": entry}, checked=CHECKED)
    assert [m.id for m in parse(result).models] == ["grok-acme"]
    assert len(result.imported) == 1 and len(result.skipped) == 1
    assert model_name("xai/grok-acme", entry) == "grok-acme"
    assert model_name("azure/grok-acme", {**entry, "litellm_provider": "azure"}) == "azure/grok-acme"


def test_prices_are_written_in_plain_decimal_notation(result: ImportResult) -> None:
    numeric_keys = r"(input|output|cache_read|cache_write|cache_write_1h|per_1k_requests|above_prompt_tokens)"
    lines = [ln.strip() for ln in result.toml_text.splitlines() if re.match(rf"\s*{numeric_keys} = ", ln)]
    assert lines, "no price lines found"
    for line in lines:
        value = line.split(" = ", 1)[1]
        assert re.fullmatch(r"\d+(\.\d+)?", value), line
        assert not value.endswith("0") or "." not in value, f"not normalised: {line}"


# --------------------------------------------------------------------------- exact prices


def test_gpt_4o_exact_prices(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["gpt-4o"])
    assert (period.input, period.output, period.cache_read) == (Decimal("2.5"), Decimal("10"), Decimal("1.25"))
    assert period.cache_write is None and period.cache_write_1h is None
    assert period.tiers == ()  # the _priority / _batches variants are not tiers


def test_conversion_is_exact_where_float_arithmetic_is_not(models: dict[str, ModelSpec]) -> None:
    # 8e-07 * 1e6 == 0.7999999999999999 in floats; 1e-07 * 1e6 == 0.09999999999999999
    haiku_35 = only_period(models["bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"])
    assert haiku_35.input == Decimal("0.8")
    assert haiku_35.note is None  # exact, so nothing was rounded
    haiku_45 = only_period(models["claude-haiku-4-5"])
    assert haiku_45.cache_read == Decimal("0.1")
    assert haiku_45.note is None
    assert only_period(models["grok-4-fast-reasoning"]).input == Decimal("0.2")


def test_responses_and_completion_modes_are_imported(models: dict[str, ModelSpec]) -> None:
    pro = only_period(models["gpt-5.2-pro"])
    assert (pro.input, pro.output) == (Decimal("21"), Decimal("168"))
    instruct = only_period(models["gpt-3.5-turbo-instruct"])
    assert (instruct.input, instruct.output) == (Decimal("1.5"), Decimal("2"))


def test_entry_without_mode_but_with_token_prices_is_imported(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["openrouter/acme/no-mode-model"])
    assert (period.input, period.output) == (Decimal("0.5"), Decimal("1.5"))


def test_cache_write_and_one_hour_cache_write(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["claude-haiku-4-5"])
    assert (period.input, period.output) == (Decimal("1"), Decimal("5"))
    assert (period.cache_read, period.cache_write, period.cache_write_1h) == (
        Decimal("0.1"),
        Decimal("1.25"),
        Decimal("2"),
    )


def test_zero_prices_stay_zero(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["zai/glm-4.7-flash"])
    assert (period.input, period.output, period.cache_read, period.cache_write) == (0, 0, 0, 0)


# --------------------------------------------------------------------------- cliff tiers


def test_anthropic_200k_tier_carries_every_bucket(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["claude-sonnet-4-5"])
    assert (period.input, period.output, period.cache_write_1h) == (Decimal("3"), Decimal("15"), Decimal("6"))
    (tier,) = period.tiers
    assert tier.above_prompt_tokens == 200000
    assert (tier.input, tier.output, tier.cache_read, tier.cache_write, tier.cache_write_1h) == (
        Decimal("6"),
        Decimal("22.5"),
        Decimal("0.6"),
        Decimal("7.5"),
        Decimal("12"),
    )


def test_gemini_200k_tier_ignores_priority_variants(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["gemini-2.5-pro"])
    assert (period.input, period.output, period.cache_read) == (Decimal("1.25"), Decimal("10"), Decimal("0.125"))
    (tier,) = period.tiers
    assert tier.above_prompt_tokens == 200000
    assert (tier.input, tier.output, tier.cache_read) == (Decimal("2.5"), Decimal("15"), Decimal("0.25"))
    assert tier.cache_write is None  # LiteLLM lists no cache write for this model at all


def test_other_thresholds_become_tiers_too(models: dict[str, ModelSpec]) -> None:
    (tier,) = only_period(models["azure/gpt-5.4"]).tiers
    assert tier.above_prompt_tokens == 272000
    assert (tier.input, tier.output, tier.cache_read) == (Decimal("5"), Decimal("22.5"), Decimal("0.5"))


def test_missing_tier_buckets_fall_back_to_base_prices_with_a_note() -> None:
    data = {
        "acme/long-context": chat(
            input_cost_per_token=1e-06,
            output_cost_per_token=4e-06,
            cache_read_input_token_cost=1e-07,
            cache_creation_input_token_cost=1.25e-06,
            input_cost_per_token_above_200k_tokens=2e-06,
        )
    }
    period = only_period(models_by_id(convert_litellm(data, checked=CHECKED))["acme/long-context"])
    (tier,) = period.tiers
    assert tier.above_prompt_tokens == 200000
    assert (tier.input, tier.output, tier.cache_read, tier.cache_write) == (
        Decimal("2"),
        Decimal("4"),
        Decimal("0.1"),
        Decimal("1.25"),
    )
    assert tier.cache_write_1h is None  # not in the base prices either
    assert period.note is not None
    assert "output, cache_read, cache_write" in period.note and "base price" in period.note


def test_xai_inclusive_threshold_is_written_one_lower(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["grok-4-fast-reasoning"])
    (tier,) = period.tiers
    assert tier.above_prompt_tokens == 127999
    assert (tier.input, tier.output, tier.cache_read) == (Decimal("0.4"), Decimal("1"), Decimal("0.05"))
    assert period.note is not None and "inclusive" in period.note


def test_tiers_sorted_by_threshold_and_plain_token_thresholds() -> None:
    data = {
        "acme/two-tiers": chat(
            input_cost_per_token=1e-06,
            output_cost_per_token=2e-06,
            input_cost_per_token_above_200k_tokens=3e-06,
            input_cost_per_token_above_128000_tokens=2e-06,
        )
    }
    period = only_period(models_by_id(convert_litellm(data, checked=CHECKED))["acme/two-tiers"])
    assert [(t.above_prompt_tokens, t.input, t.output) for t in period.tiers] == [
        (128000, Decimal("2"), Decimal("2")),
        (200000, Decimal("3"), Decimal("2")),
    ]


# --------------------------------------------------------------------------- rounding


def test_prices_finer_than_six_decimals_are_rounded_half_even_with_a_note(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["deepinfra/acme/odd-precision-7b"])
    # 1.0000005 is a tie: half-even gives 1 (half-up would give 1.000001)
    assert period.input == Decimal("1")
    assert period.cache_read == Decimal("0.003281")  # 0.00328125
    assert period.output == Decimal("2.1875")  # fits, untouched
    assert period.note is not None
    assert "input_cost_per_token" in period.note and "cache_read_input_token_cost" in period.note
    assert "output_cost_per_token" not in period.note
    assert "rounded half-even" in period.note


def test_prices_that_fit_get_no_rounding_note(models: dict[str, ModelSpec]) -> None:
    assert only_period(models["gpt-4o"]).note is None
    assert only_period(models["claude-sonnet-4-5"]).note is None


# --------------------------------------------------------------------------- skips


def test_skip_reasons(result: ImportResult) -> None:
    reasons = dict(result.skipped)
    assert reasons["sample_spec"] == REASON_SAMPLE_SPEC
    for key, mode in (
        ("text-embedding-3-small", "embedding"),
        ("1024-x-1024/dall-e-2", "image_generation"),
        ("gemini/gemini-2.5-flash-preview-tts", "audio_speech"),
        ("cohere/rerank-english-v3.0", "rerank"),
        ("omni-moderation-latest", "moderation"),
    ):
        assert f"mode {mode!r}" in reasons[key] and "not a chat model" in reasons[key]
    assert reasons["openai/container"] == REASON_NO_PRICES
    assert reasons["dashscope/qwen-plus"] == REASON_TIERED_TABLE


def test_bad_values_skip_the_model_naming_field_and_value(result: ImportResult) -> None:
    reasons = dict(result.skipped)
    negative = reasons["fireworks_ai/accounts/fireworks/models/broken-negative"]
    assert "output_cost_per_token" in negative and "-9e-07" in negative and "negative" in negative
    text = reasons["together_ai/acme/string-price"]
    assert "input_cost_per_token" in text and "'2e-07'" in text and "not a number" in text


@pytest.mark.parametrize(
    ("prices", "field", "shown"),
    [
        ({"input_cost_per_token": float("nan"), "output_cost_per_token": 1e-06}, "input_cost_per_token", "nan"),
        ({"input_cost_per_token": 1e-06, "output_cost_per_token": True}, "output_cost_per_token", "True"),
        (
            {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06, "cache_read_input_token_cost": -1e-08},
            "cache_read_input_token_cost",
            "-1e-08",
        ),
        (
            {
                "input_cost_per_token": 1e-06,
                "output_cost_per_token": 1e-06,
                "output_cost_per_token_above_200k_tokens": "lots",
            },
            "output_cost_per_token_above_200k_tokens",
            "'lots'",
        ),
    ],
)
def test_other_bad_values(prices: dict[str, Any], field: str, shown: str) -> None:
    result = convert_litellm({"acme/bad": chat(**prices)}, checked=CHECKED)
    assert result.imported == ()
    ((key, reason),) = result.skipped
    assert key == "acme/bad"
    assert field in reason and shown in reason


def test_half_priced_entries_are_skipped_not_guessed() -> None:
    data = {
        "acme/input-only": chat(input_cost_per_token=1e-06),
        "acme/output-only": chat(output_cost_per_token=1e-06),
        "acme/no-mode-no-prices": {"litellm_provider": "acme", "max_tokens": 100},
        "acme/not-an-object": [1, 2],
        "acme/mode-not-text": {"mode": ["chat"], "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
    }
    result = convert_litellm(data, checked=CHECKED)
    reasons = dict(result.skipped)
    assert result.imported == () and result.toml_text == ""
    assert "output_cost_per_token" in reasons["acme/input-only"]
    assert "input_cost_per_token" in reasons["acme/output-only"]
    assert reasons["acme/no-mode-no-prices"] == REASON_NO_PRICES
    assert "not a JSON object" in reasons["acme/not-an-object"]
    assert "not a chat model" in reasons["acme/mode-not-text"]


def test_ids_costpanel_cannot_use_are_skipped() -> None:
    data = {
        "acme/has space": chat(input_cost_per_token=1e-06, output_cost_per_token=1e-06),
        "x" * 201: chat(input_cost_per_token=1e-06, output_cost_per_token=1e-06),
        json.loads('"acme/lone-\\ud800-surrogate"'): chat(input_cost_per_token=1e-06, output_cost_per_token=1e-06),
        "acme/fine": chat(input_cost_per_token=1e-06, output_cost_per_token=1e-06),
    }
    result = convert_litellm(data, checked=CHECKED)
    assert result.imported == ("acme/fine",)
    assert dict(result.skipped) == {key: REASON_BAD_ID for key in data if key != "acme/fine"}


def test_skip_known_is_asked_with_the_exact_key_and_the_apis_name(sample: dict[str, Any]) -> None:
    asked: list[str] = []

    def known(name: str) -> bool:
        asked.append(name)
        return name in {"gpt-4o", "gemini/gemini-2.5-pro"}

    result = convert_litellm(sample, checked=CHECKED, skip_known=known)
    reasons = dict(result.skipped)
    assert reasons["gpt-4o"] == REASON_KNOWN
    assert reasons["gemini/gemini-2.5-pro"] == REASON_KNOWN
    assert set(result.imported) == EXPECTED_IMPORTED - {"gpt-4o", "gemini/gemini-2.5-pro"}
    assert len(parse(result).models) == len(result.imported)
    assert "gemini/gemini-2.5-pro" in asked and "azure/gpt-4o" in asked
    assert "grok-4-fast-reasoning" in asked  # a direct API's entry: asked under the name its API reports too


def test_nothing_importable_gives_empty_text() -> None:
    result = convert_litellm({"sample_spec": {"mode": "chat"}}, checked=CHECKED)
    assert result == ImportResult(toml_text="", imported=(), skipped=(("sample_spec", REASON_SAMPLE_SPEC),))


# --------------------------------------------------------------------------- notes and extras


def test_one_hour_cache_write_below_five_minute_is_flagged(models: dict[str, ModelSpec]) -> None:
    period = only_period(models["claude-3-opus-20240229"])
    assert (period.cache_write, period.cache_write_1h) == (Decimal("18.75"), Decimal("6"))
    assert period.note is not None and "1-hour cache-write" in period.note


def test_separate_reasoning_price_is_noted_not_imported() -> None:
    data = {
        "acme/thinker": chat(input_cost_per_token=1.5e-07, output_cost_per_token=6e-07, output_cost_per_reasoning_token=3.5e-06),
        "acme/same": chat(input_cost_per_token=1.5e-07, output_cost_per_token=6e-07, output_cost_per_reasoning_token=6e-07),
    }
    by_id = models_by_id(convert_litellm(data, checked=CHECKED))
    thinker = only_period(by_id["acme/thinker"])
    assert thinker.output == Decimal("0.6")
    assert thinker.note is not None and "reasoning" in thinker.note and "3.5" in thinker.note
    assert only_period(by_id["acme/same"]).note is None


def test_per_request_fee_becomes_per_1k_requests() -> None:
    data = {"acme/search": chat(input_cost_per_token=1e-06, output_cost_per_token=1e-06, input_cost_per_request=0.005)}
    period = only_period(models_by_id(convert_litellm(data, checked=CHECKED))["acme/search"])
    assert period.per_1k_requests == Decimal("5")


def test_strings_are_escaped_for_toml() -> None:
    key = 'acme/we"ird\\name:v1.0@eu'
    data = {key: {**chat(input_cost_per_token=1e-06, output_cost_per_token=2e-06), "litellm_provider": 'a"b\nc\\d'}}
    result = convert_litellm(data, checked=CHECKED)
    (model,) = parse(result).models
    assert model.id == key and model.name == key
    assert model.note is not None and 'a"b\nc\\d' in model.note


def test_bad_arguments_are_refused(sample: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="source"):
        convert_litellm(sample, checked=CHECKED, source="litellm.json")
    with pytest.raises(TypeError, match="checked"):
        convert_litellm(sample, checked=dt.datetime(2026, 11, 23, 12, 0))  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=0.01, allow_nan=False, allow_infinity=False))
def test_any_float_price_converts_exactly(price: float) -> None:
    expected = Decimal(repr(price)) * 1_000_000
    needs_rounding = expected.normalize().as_tuple().exponent < -6  # type: ignore[operator]
    if needs_rounding:
        expected = expected.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    result = convert_litellm({"acme/p": chat(input_cost_per_token=price, output_cost_per_token=price)}, checked=CHECKED)
    period = only_period(models_by_id(result)["acme/p"])
    assert period.input == expected
    assert period.output == expected
    assert (period.note is not None) == needs_rounding


# --------------------------------------------------------------------------- reading the file


def test_load_sample_file_matches_plain_json(sample: dict[str, Any]) -> None:
    loaded = load_litellm_json(SAMPLE)
    assert dict(loaded) == sample
    assert convert_litellm(loaded, checked=CHECKED) == convert_litellm(sample, checked=CHECKED)


def test_bad_json_file_raises_value_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "prices-broken.json"
    broken.write_text('{"gpt-4o": {"input_cost_per_token": 2.5e-06,}', encoding="utf-8")
    with pytest.raises(ValueError, match="prices-broken.json"):
        load_litellm_json(broken)


@pytest.mark.parametrize("text", ['[{"gpt-4o": {}}]', '"prices"', "42", "null"])
def test_wrong_top_level_type_raises_value_error_naming_it(tmp_path: Path, text: str) -> None:
    wrong = tmp_path / "prices-wrong.json"
    wrong.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"prices-wrong\.json.*JSON object"):
        load_litellm_json(wrong)


def test_undecodable_file_raises_value_error_naming_it(tmp_path: Path) -> None:
    binary = tmp_path / "prices-binary.json"
    binary.write_bytes(b'{"a": "\xff\xfe\xfa"}')
    with pytest.raises(ValueError, match="prices-binary.json"):
        load_litellm_json(binary)


def test_key_listed_twice_uses_the_last_entry_and_says_so(tmp_path: Path) -> None:
    doubled = tmp_path / "doubled.json"
    doubled.write_text(
        '{"acme/twice": {"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},'
        ' "acme/once": {"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},'
        ' "acme/twice": {"mode": "chat", "input_cost_per_token": 3e-06, "output_cost_per_token": 1e-06}}',
        encoding="utf-8",
    )
    by_id = models_by_id(convert_litellm(load_litellm_json(doubled), checked=CHECKED))
    twice = only_period(by_id["acme/twice"])
    assert twice.input == Decimal("3")
    assert twice.note is not None and "more than once" in twice.note
    assert only_period(by_id["acme/once"]).note is None
