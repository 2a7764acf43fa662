"""Provider usage payloads → disjoint costpanel buckets (costpanel.adapters)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from costpanel.adapters import from_anthropic, from_gemini, from_litellm, from_openai, from_otel
from costpanel.usage import MAX_COUNT, Usage

DATA = Path(__file__).parent / "data" / "usage"
Adapter = Callable[[Any], Usage]
ADAPTERS: dict[str, Adapter] = {
    "openai": from_openai,
    "anthropic": from_anthropic,
    "gemini": from_gemini,
    "litellm": from_litellm,
    "otel": from_otel,
}


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def otlp_span(data: dict[str, Any]) -> dict[str, Any]:
    return data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]


def to_namespace(value: Any) -> Any:
    """Parsed JSON as nested attribute-access objects, the way SDK response types read."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: to_namespace(v) for k, v in value.items()})
    if isinstance(value, list):
        return [to_namespace(v) for v in value]
    return value


# (fixture, adapter, member holding the usage block, expected buckets)
CASES: list[tuple[str, Adapter, str | None, Usage]] = [
    ("openai_chat_cached.json", from_openai, "usage", Usage(input=86, cache_read=1920, output=300)),
    ("openai_chat_reasoning.json", from_openai, "usage", Usage(input=1117, output=1950)),
    ("openai_responses.json", from_openai, "usage", Usage(input=1024, cache_read=1024, output=512)),
    (
        "anthropic_cache_1h.json",
        from_anthropic,
        "usage",
        Usage(input=21, cache_read=12000, cache_write=1200, cache_write_1h=4000, output=350),
    ),
    ("anthropic_no_cache.json", from_anthropic, "usage", Usage(input=1050, output=420)),
    ("anthropic_cache_write_no_breakdown.json", from_anthropic, "usage", Usage(input=3, cache_write=2048, output=80)),
    ("gemini_rest_thinking.json", from_gemini, "usageMetadata", Usage(input=2258, cache_read=8192, output=1820)),
    ("gemini_sdk_snake.json", from_gemini, "usage_metadata", Usage(input=3350, output=1310)),
    (
        "litellm_anthropic.json",
        from_litellm,
        "usage",
        Usage(input=10, cache_read=66360, cache_write=32435, output=5120),
    ),
    (
        "litellm_anthropic_v1_74.json",
        from_litellm,
        "usage",
        Usage(input=88, cache_read=120269, cache_write=21002, output=4156),
    ),
    ("otel_span_attributes.json", from_otel, None, Usage(input=21, cache_read=12000, cache_write=5200, output=350)),
]
IDS = [case[0].removesuffix(".json") for case in CASES]


@pytest.mark.parametrize(("fixture", "adapter", "member", "expected"), CASES, ids=IDS)
def test_recorded_payload_normalises_to_disjoint_buckets(
    fixture: str, adapter: Adapter, member: str | None, expected: Usage
) -> None:
    usage = adapter(load(fixture))
    assert usage == expected
    assert usage.requests == 1


@pytest.mark.parametrize(("fixture", "adapter", "member", "expected"), CASES, ids=IDS)
def test_usage_block_alone_prices_like_the_whole_response(
    fixture: str, adapter: Adapter, member: str | None, expected: Usage
) -> None:
    payload = load(fixture)
    block = payload[member] if member else payload
    assert adapter(block) == expected


@pytest.mark.parametrize(("fixture", "adapter", "member", "expected"), CASES, ids=IDS)
def test_sdk_style_objects_read_like_parsed_json(
    fixture: str, adapter: Adapter, member: str | None, expected: Usage
) -> None:
    payload = load(fixture)
    if adapter is from_otel:  # a ReadableSpan exposes its attributes mapping as .attributes
        assert adapter(SimpleNamespace(name="chat", attributes=payload)) == expected
    else:
        assert adapter(to_namespace(payload)) == expected
        assert adapter(to_namespace(payload[member])) == expected


@pytest.mark.parametrize("provider", sorted(ADAPTERS))
def test_usage_classmethods_delegate_to_the_adapters(provider: str) -> None:
    fixture, adapter, _, expected = next(case for case in CASES if case[1] is ADAPTERS[provider])
    assert getattr(Usage, f"from_{provider}")(load(fixture)) == expected


# --- pydantic models shaped like the SDKs' (openai / anthropic / google-genai / litellm are
# --- pydantic models too; the real packages are not dependencies of costpanel).


class _PromptDetails(BaseModel):
    cached_tokens: int | None = None
    audio_tokens: int | None = None


class _CompletionUsage(BaseModel):  # openai.types.CompletionUsage
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: _PromptDetails | None = None


class _CacheCreation(BaseModel):
    ephemeral_5m_input_tokens: int
    ephemeral_1h_input_tokens: int


class _AnthropicUsage(BaseModel):  # anthropic.types.Usage
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: _CacheCreation | None = None


class _AnthropicMessage(BaseModel):
    id: str
    model: str
    usage: _AnthropicUsage


class _GeminiUsageMetadata(BaseModel):  # google.genai.types.GenerateContentResponseUsageMetadata
    model_config = ConfigDict(populate_by_name=True)
    prompt_token_count: int | None = Field(default=None, alias="promptTokenCount")
    cached_content_token_count: int | None = Field(default=None, alias="cachedContentTokenCount")
    candidates_token_count: int | None = Field(default=None, alias="candidatesTokenCount")
    thoughts_token_count: int | None = Field(default=None, alias="thoughtsTokenCount")
    tool_use_prompt_token_count: int | None = Field(default=None, alias="toolUsePromptTokenCount")
    total_token_count: int | None = Field(default=None, alias="totalTokenCount")


class _LiteLLMUsage(BaseModel):  # litellm.Usage keeps Anthropic's cache fields as extra attributes
    model_config = ConfigDict(extra="allow")
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: _PromptDetails | None = None


def test_pydantic_openai_usage_moves_cached_tokens_out_of_input() -> None:
    usage = _CompletionUsage(
        prompt_tokens=2006, completion_tokens=300, total_tokens=2306,
        prompt_tokens_details=_PromptDetails(cached_tokens=1920, audio_tokens=0),
    )
    assert from_openai(usage) == Usage(input=86, cache_read=1920, output=300)


def test_pydantic_anthropic_message_is_unwrapped_and_split_by_ttl() -> None:
    message = _AnthropicMessage.model_validate(load("anthropic_cache_1h.json"))
    assert from_anthropic(message) == Usage(
        input=21, cache_read=12000, cache_write=1200, cache_write_1h=4000, output=350
    )


def test_pydantic_gemini_metadata_built_from_rest_json_reads_by_attribute() -> None:
    metadata = _GeminiUsageMetadata.model_validate(load("gemini_rest_thinking.json")["usageMetadata"])
    assert from_gemini(metadata) == Usage(input=2258, cache_read=8192, output=1820)


def test_pydantic_litellm_usage_reads_cache_fields_stored_as_extras() -> None:
    usage = _LiteLLMUsage.model_validate(load("litellm_anthropic.json")["usage"])
    assert from_litellm(usage) == Usage(input=10, cache_read=66360, cache_write=32435, output=5120)


# --- provider-specific semantics


def test_anthropic_breakdown_remainder_is_a_five_minute_write() -> None:
    usage = {
        "input_tokens": 5, "output_tokens": 7, "cache_creation_input_tokens": 5000,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 3000},
    }
    assert from_anthropic(usage) == Usage(input=5, cache_write=2000, cache_write_1h=3000, output=7)


def test_anthropic_breakdown_without_total_stands_on_its_own() -> None:
    usage = {"input_tokens": 5, "output_tokens": 7,
             "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 300}}
    assert from_anthropic(usage) == Usage(input=5, cache_write=100, cache_write_1h=300, output=7)


def test_anthropic_breakdown_larger_than_its_total_is_rejected() -> None:
    usage = {
        "input_tokens": 5, "output_tokens": 7, "cache_creation_input_tokens": 1000,
        "cache_creation": {"ephemeral_5m_input_tokens": 600, "ephemeral_1h_input_tokens": 500},
    }
    message = ("cache_creation.ephemeral_5m_input_tokens (600) + cache_creation.ephemeral_1h_input_tokens (500)"
               " exceeds cache_creation_input_tokens (1000)")
    with pytest.raises(ValueError, match=re.escape(message)):
        from_anthropic(usage)


def test_gemini_tool_use_prompt_is_input_and_thoughts_are_output() -> None:
    usage = {"promptTokenCount": 100, "toolUsePromptTokenCount": 40, "candidatesTokenCount": 10,
             "thoughtsTokenCount": 25}
    assert from_gemini(usage) == Usage(input=140, output=35)


def test_litellm_one_hour_writes_come_from_prompt_tokens_details() -> None:
    usage = {
        "prompt_tokens": 9310, "completion_tokens": 120, "total_tokens": 9430,
        "prompt_tokens_details": {
            "cached_tokens": 5000, "cache_creation_tokens": 4300, "text_tokens": 10,
            "cache_creation_token_details": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 4000},
        },
        "cache_creation_input_tokens": 4300, "cache_read_input_tokens": 5000,
    }
    assert from_litellm(usage) == Usage(input=10, cache_read=5000, cache_write=300, cache_write_1h=4000, output=120)


def test_litellm_openai_model_matches_the_openai_adapter() -> None:
    usage = load("openai_chat_cached.json")["usage"]
    assert from_litellm(usage) == from_openai(usage)


def test_otel_otlp_json_span_with_string_ints_is_accepted() -> None:
    span = otlp_span(load("otel_otlp_trace.json"))
    expected = Usage(input=196, cache_read=2816, output=245)
    assert from_otel(span) == expected
    assert from_otel(span["attributes"]) == expected


def test_otel_pre_rename_prompt_and_completion_attributes_are_read() -> None:
    attrs = {"gen_ai.usage.prompt_tokens": 42, "gen_ai.usage.completion_tokens": 7}
    assert from_otel(attrs) == Usage(input=42, output=7)


@pytest.mark.parametrize("text", [" 12", "12.0", "-3", "+5", "1e3", "0x10", "١٢", ""])
def test_otel_count_strings_must_be_plain_ascii_integers(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"gen_ai.usage.input_tokens must be a non-negative integer, "
                                                   f"got str {text!r}")):
        from_otel({"gen_ai.usage.input_tokens": text, "gen_ai.usage.output_tokens": 1})


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "litellm"])
def test_numeric_strings_are_rejected_outside_otel(provider: str) -> None:
    field = {"openai": "prompt_tokens", "anthropic": "input_tokens", "gemini": "prompt_token_count",
             "litellm": "prompt_tokens"}[provider]
    with pytest.raises(ValueError, match=re.escape(f"{field} must be a non-negative integer, got str '12'")):
        ADAPTERS[provider]({field: "12"})


# --- errors


@pytest.mark.parametrize("provider", sorted(ADAPTERS))
@pytest.mark.parametrize(
    ("payload", "shown"),
    [(None, "NoneType: None"), (42, "int: 42"), ("prompt_tokens", "str: 'prompt_tokens'"), ([], "list: []"),
     ({}, "dict: {}"), ({"usage": None, "id": "x"}, "dict: {'usage': None, 'id': 'x'}")],
    ids=["none", "int", "str", "list", "empty-dict", "response-without-usage"],
)
def test_payload_without_usage_fields_is_a_type_error_naming_what_was_received(
    provider: str, payload: Any, shown: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(f"from_{provider}() needs") + ".*" + re.escape(f"got {shown}")):
        ADAPTERS[provider](payload)


BAD_COUNTS = [
    ("openai", {"prompt_tokens": -1, "completion_tokens": 2}, "prompt_tokens", "-1"),
    ("openai", {"input_tokens": 10, "output_tokens": 12.0}, "output_tokens", "12.0"),
    ("openai", {"prompt_tokens": 10, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": True}},
     "prompt_tokens_details.cached_tokens", "True"),
    ("anthropic", {"input_tokens": 1.5, "output_tokens": 2}, "input_tokens", "1.5"),
    ("anthropic", {"input_tokens": 1, "output_tokens": 2, "cache_read_input_tokens": -4},
     "cache_read_input_tokens", "-4"),
    ("anthropic", {"input_tokens": 1, "output_tokens": 2, "cache_creation": {"ephemeral_1h_input_tokens": False}},
     "cache_creation.ephemeral_1h_input_tokens", "False"),
    ("gemini", {"promptTokenCount": 10, "candidatesTokenCount": -2}, "candidatesTokenCount", "-2"),
    ("gemini", {"prompt_token_count": 10.0}, "prompt_token_count", "10.0"),
    ("litellm", {"prompt_tokens": 10, "completion_tokens": 2, "cache_creation_input_tokens": -7},
     "cache_creation_input_tokens", "-7"),
    ("litellm", {"prompt_tokens": True, "completion_tokens": 2}, "prompt_tokens", "True"),
    ("otel", {"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": -1}, "gen_ai.usage.output_tokens", "-1"),
    ("otel", {"gen_ai.usage.input_tokens": 10.0}, "gen_ai.usage.input_tokens", "10.0"),
    ("otel", {"gen_ai.usage.input_tokens": 10, "gen_ai.usage.cache_read.input_tokens": True},
     "gen_ai.usage.cache_read.input_tokens", "True"),
]


@pytest.mark.parametrize(("provider", "payload", "field", "value"), BAD_COUNTS)
def test_negative_float_or_bool_count_names_the_field_and_value(
    provider: str, payload: dict[str, Any], field: str, value: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(field) + r"\b.*" + re.escape(value)):
        ADAPTERS[provider](payload)


@pytest.mark.parametrize("provider", sorted(ADAPTERS))
def test_implausibly_large_count_names_the_field(provider: str) -> None:
    field = {"openai": "prompt_tokens", "anthropic": "input_tokens", "gemini": "prompt_token_count",
             "litellm": "prompt_tokens", "otel": "gen_ai.usage.input_tokens"}[provider]
    with pytest.raises(ValueError, match=re.escape(f"{field} must be between 0 and {MAX_COUNT:,}")):
        ADAPTERS[provider]({field: MAX_COUNT + 1})


CACHED_TOO_LARGE = [
    ("openai", {"prompt_tokens": 100, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 120}},
     "prompt_tokens_details.cached_tokens (120) exceeds prompt_tokens (100)"),
    ("openai", {"input_tokens": 100, "output_tokens": 5, "input_tokens_details": {"cached_tokens": 101}},
     "input_tokens_details.cached_tokens (101) exceeds input_tokens (100)"),
    ("gemini", {"prompt_token_count": 50, "cached_content_token_count": 64},
     "cached_content_token_count (64) exceeds prompt_token_count (50)"),
    ("gemini", {"promptTokenCount": 50, "cachedContentTokenCount": 64},
     "cachedContentTokenCount (64) exceeds promptTokenCount (50)"),
    ("litellm", {"prompt_tokens": 100, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 150}},
     "prompt_tokens_details.cached_tokens (150) exceeds prompt_tokens (100)"),
    ("litellm", {"prompt_tokens": 100, "completion_tokens": 5, "cache_read_input_tokens": 150},
     "cache_read_input_tokens (150) exceeds prompt_tokens (100)"),
    ("otel", {"gen_ai.usage.input_tokens": 100, "gen_ai.usage.cache_read.input_tokens": 80,
              "gen_ai.usage.cache_creation.input_tokens": 30},
     "gen_ai.usage.cache_read.input_tokens (80) + gen_ai.usage.cache_creation.input_tokens (30)"
     " exceeds gen_ai.usage.input_tokens (100)"),
]


@pytest.mark.parametrize(("provider", "payload", "message"), CACHED_TOO_LARGE)
def test_cached_tokens_beyond_the_prompt_total_are_rejected_not_clamped(
    provider: str, payload: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ADAPTERS[provider](payload)


# --- properties

counts = st.integers(min_value=0, max_value=10**9)


@given(data=st.data(), prompt=counts, completion=counts, responses_api=st.booleans())
def test_openai_cached_and_uncached_input_always_add_up_to_the_prompt(
    data: st.DataObject, prompt: int, completion: int, responses_api: bool
) -> None:
    cached = data.draw(st.integers(min_value=0, max_value=prompt))
    if responses_api:
        payload = {"input_tokens": prompt, "output_tokens": completion,
                   "input_tokens_details": {"cached_tokens": cached}}
    else:
        payload = {"prompt_tokens": prompt, "completion_tokens": completion,
                   "prompt_tokens_details": {"cached_tokens": cached}}
    u = from_openai(payload)
    assert u.input + u.cache_read == prompt
    assert u.cache_read == cached
    assert u.output == completion


@given(uncached=counts, read=counts, write=counts, output=counts)
def test_litellm_current_convention_never_counts_a_token_twice(
    uncached: int, read: int, write: int, output: int
) -> None:
    # What LiteLLM's Anthropic transformation builds from Anthropic's disjoint counts today.
    payload = {
        "prompt_tokens": uncached + read + write, "completion_tokens": output,
        "prompt_tokens_details": {"cached_tokens": read, "cache_creation_tokens": write},
        "cache_read_input_tokens": read, "cache_creation_input_tokens": write,
    }
    assert from_litellm(payload) == from_anthropic(
        {"input_tokens": uncached, "cache_read_input_tokens": read, "cache_creation_input_tokens": write,
         "output_tokens": output}
    )
