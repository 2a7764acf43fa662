"""Provider usage payloads → disjoint costpanel buckets (costpanel.adapters)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

import costpanel
from costpanel import CostTracker, load_catalog
from costpanel.adapters import from_anthropic, from_gemini, from_litellm, from_openai, from_otel, variant_of
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
    ("anthropic", {"input_tokens": 1, "output_tokens": 2, "server_tool_use": {"web_search_requests": -1}},
     "server_tool_use.web_search_requests", "-1"),
    ("anthropic", {"input_tokens": 1, "output_tokens": 2, "server_tool_use": {"web_search_requests": "3"}},
     "server_tool_use.web_search_requests", "'3'"),
    ("litellm", {"prompt_tokens": 10, "completion_tokens": 2, "server_tool_use": {"web_search_requests": 1.0}},
     "server_tool_use.web_search_requests", "1.0"),
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

counts = st.integers(min_value=0, max_value=MAX_COUNT // 3)  # a prompt count sums three of them


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


# --- server-side web searches (the web_search bucket)

# (fixture, adapter, expected buckets of the whole response, web searches its usage block alone shows)
SEARCH_CASES: list[tuple[str, Adapter, Usage, int]] = [
    # server_tool_use: 3 searches (billed) and 2 fetches (free: tokens only, not counted)
    ("anthropic_web_search_fast_us.json", from_anthropic, Usage(input=24810, output=912, web_search=3), 3),
    # three web_search_call output items (two searches, one open_page): the usage block has no count
    ("openai_responses_web_search.json", from_openai,
     Usage(input=14244, cache_read=4096, output=1250, web_search=3), 0),
    # Gemini 3: four webSearchQueries, one empty and one repeated: two distinct billable queries
    ("gemini_grounded_search.json", from_gemini, Usage(input=216, output=194, web_search=2), 0),
]
SEARCH_IDS = [case[0].removesuffix(".json") for case in SEARCH_CASES]
USAGE_MEMBER = {from_anthropic: "usage", from_openai: "usage", from_gemini: "usageMetadata"}


@pytest.mark.parametrize(("fixture", "adapter", "expected", "block_searches"), SEARCH_CASES, ids=SEARCH_IDS)
def test_a_whole_response_counts_its_billable_web_searches(
    fixture: str, adapter: Adapter, expected: Usage, block_searches: int
) -> None:
    payload = load(fixture)
    assert adapter(payload) == expected
    assert adapter(to_namespace(payload)) == expected  # SDK objects read the same
    alone = adapter(payload[USAGE_MEMBER[adapter]])
    assert alone.web_search == block_searches
    assert alone.as_dict() | {"web_search": 0} == expected.as_dict() | {"web_search": 0}  # tokens alike


def test_anthropic_web_fetches_cost_nothing_and_are_not_counted() -> None:
    usage = {"input_tokens": 900, "output_tokens": 40, "server_tool_use": {"web_search_requests": 0,
                                                                          "web_fetch_requests": 4}}
    assert from_anthropic(usage) == Usage(input=900, output=40)


def test_anthropic_null_server_tool_use_is_no_search() -> None:
    assert from_anthropic(load("anthropic_cache_1h.json")).web_search == 0  # "server_tool_use": null


def test_litellm_reads_anthropic_server_tool_use_passed_through() -> None:
    payload = load("litellm_anthropic.json")
    payload["usage"]["server_tool_use"] = {"web_search_requests": 2}  # litellm.types.utils.ServerToolUse
    assert from_litellm(payload) == Usage(input=10, cache_read=66360, cache_write=32435, output=5120, web_search=2)
    assert from_litellm(to_namespace(payload["usage"])).web_search == 2


def test_openai_chat_completions_search_model_bills_through_its_own_price() -> None:
    # gpt-4o-search-preview: the search is in the model's per-request price, not a tool call
    payload = load("openai_chat_cached.json")
    payload["model"] = "gpt-4o-search-preview-2025-03-11"
    payload["choices"][0]["message"]["annotations"] = [
        {"type": "url_citation", "url_citation": {"url": "https://example.org", "title": "x",
                                                  "start_index": 0, "end_index": 5}}]
    assert from_openai(payload).web_search == 0


@pytest.mark.parametrize("output", ["text", {"text": "hi"}, None], ids=["str", "dict", "none"])
def test_openai_output_that_is_not_a_list_counts_no_search(output: object) -> None:
    payload = {"output": output, "usage": {"input_tokens": 5, "output_tokens": 1}}
    assert from_openai(payload) == Usage(input=5, output=1)


def test_gemini_searches_of_every_candidate_are_counted_once() -> None:
    payload = load("gemini_grounded_search.json")
    second = json.loads(json.dumps(payload["candidates"][0]))
    second["index"] = 1
    second["groundingMetadata"]["webSearchQueries"] = ["Spain vs England Euro 2024 final score", "Euro 2024 top scorer"]
    payload["candidates"].append(second)
    assert from_gemini(payload).web_search == 3


def test_gemini_python_sdk_snake_case_grounding_metadata() -> None:
    payload = load("gemini_sdk_snake.json")
    payload["model_version"] = "gemini-3-pro-preview"
    payload["candidates"] = [{"index": 0, "grounding_metadata": {"web_search_queries": ["a", "b", " ", "c"]}}]
    assert from_gemini(payload).web_search == 3
    assert from_gemini(to_namespace(payload)).web_search == 3


@pytest.mark.parametrize(
    ("model_version", "queries", "expected"),
    [("gemini-2.5-flash", ["a", "b", "c"], 1), ("gemini-2.0-flash-001", ["a"], 1), ("gemini-2.5-pro", [""], 0),
     ("gemini-1.5-pro-002", ["a", "b"], 1), ("gemini-3-flash-preview", ["a", "b", "c"], 3),
     ("gemini-3.1-pro-preview", ["a", "b"], 2), ("models/gemini-2.5-flash-lite", ["a", "b"], 1),
     (None, ["a", "b"], 2)],
)
def test_gemini_before_3_bills_one_grounded_prompt_gemini_3_each_query(
    model_version: str | None, queries: list[str], expected: int
) -> None:
    payload = load("gemini_grounded_search.json")
    payload["modelVersion"] = model_version
    payload["candidates"][0]["groundingMetadata"]["webSearchQueries"] = queries
    assert from_gemini(payload).web_search == expected


@pytest.mark.parametrize("queries", ["one query", [1, 2], [None]], ids=["str", "ints", "none"])
def test_gemini_malformed_search_queries_are_rejected_naming_the_field(queries: object) -> None:
    payload = load("gemini_grounded_search.json")
    payload["candidates"][0]["groundingMetadata"]["webSearchQueries"] = queries
    with pytest.raises(ValueError, match=r"groundingMetadata\.webSearchQueries must be a list of strings"):
        from_gemini(payload)


def test_gemini_without_grounding_counts_no_search() -> None:
    assert from_gemini(load("gemini_rest_thinking.json")).web_search == 0


def test_otel_has_no_web_search_attribute_so_counts_none() -> None:
    attrs = {"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 2, "gen_ai.tool.name": "web_search"}
    assert from_otel(attrs) == Usage(input=10, output=2)


# pydantic models shaped like anthropic.types.beta.BetaUsage / BetaServerToolUsage and
# openai.types.responses.Response (the SDKs themselves are not dependencies)


class _ServerToolUsage(BaseModel):
    web_fetch_requests: int
    web_search_requests: int


class _BetaUsage(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: _CacheCreation | None = None
    inference_geo: str | None = None
    server_tool_use: _ServerToolUsage | None = None
    service_tier: str | None = None  # Literal["standard", "priority", "batch"]
    speed: str | None = None  # Literal["standard", "fast"]


class _BetaMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    model: str
    usage: _BetaUsage


class _ResponseItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str


class _ResponsesUsage(BaseModel):
    model_config = ConfigDict(extra="allow")
    input_tokens: int
    output_tokens: int
    input_tokens_details: _PromptDetails


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    output: list[_ResponseItem]
    service_tier: str | None = None  # Literal["auto", "default", "flex", "scale", "priority"]
    usage: _ResponsesUsage


def test_pydantic_anthropic_message_gives_searches_and_variant() -> None:
    message = _BetaMessage.model_validate(load("anthropic_web_search_fast_us.json"))
    assert from_anthropic(message) == Usage(input=24810, output=912, web_search=3)
    assert variant_of(message) == "fast+us"
    assert variant_of(message.usage) == "fast+us"


def test_pydantic_openai_response_gives_searches_and_variant() -> None:
    response = _Response.model_validate(load("openai_responses_web_search.json"))
    assert from_openai(response) == Usage(input=14244, cache_read=4096, output=1250, web_search=3)
    assert variant_of(response) == "flex"


# --- variant_of: the price variant a response says its call was billed under


def anthropic_usage(**fields: object) -> dict[str, object]:
    return {"id": "msg_1", "type": "message", "model": "claude-opus-4-6",
            "usage": {"input_tokens": 10, "output_tokens": 5, **fields}}


def openai_response(tier: object) -> dict[str, object]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-5",
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}, "service_tier": tier}


VARIANTS: list[tuple[str, object, str | None]] = [
    ("anthropic fast in the US", anthropic_usage(service_tier="standard", speed="fast", inference_geo="us"), "fast+us"),
    ("anthropic priority", anthropic_usage(service_tier="priority", speed="standard", inference_geo="global"),
     "priority"),
    ("anthropic batch", anthropic_usage(service_tier="batch"), "batch"),
    ("anthropic batch in the US", anthropic_usage(service_tier="batch", inference_geo="us"), "batch+us"),
    ("anthropic priority fast US", anthropic_usage(service_tier="priority", speed="fast", inference_geo="us"),
     "fast+priority+us"),
    ("anthropic standard", anthropic_usage(service_tier="standard", speed="standard", inference_geo="global"), None),
    ("anthropic geo not available", anthropic_usage(inference_geo="not_available"), None),
    ("anthropic fields missing", anthropic_usage(), None),
    ("anthropic fields null", anthropic_usage(service_tier=None, speed=None, inference_geo=None), None),
    ("anthropic not strings", anthropic_usage(service_tier=7, speed=True, inference_geo=["us"]), None),
    ("anthropic upper case", anthropic_usage(speed="FAST", inference_geo="US"), "fast+us"),
    ("anthropic unknown geo passes through", anthropic_usage(inference_geo="eu"), "eu"),
    ("anthropic unknown speed passes through", anthropic_usage(speed="Turbo"), "turbo"),
    ("openai flex", openai_response("flex"), "flex"),
    ("openai priority", openai_response("priority"), "priority"),
    ("openai scale", openai_response("scale"), "scale"),
    ("openai default", openai_response("default"), None),
    ("openai auto", openai_response("auto"), None),
    ("openai null", openai_response(None), None),
    ("openai not a string", openai_response(2), None),
    ("openai unknown passes through", openai_response("Express"), "express"),
    ("recorded chat completion", load("openai_chat_cached.json"), None),
    ("recorded responses flex", load("openai_responses_web_search.json"), "flex"),
    ("recorded anthropic standard", load("anthropic_cache_1h.json"), None),
    ("recorded anthropic fast us", load("anthropic_web_search_fast_us.json"), "fast+us"),
    ("gemini has no such field", load("gemini_grounded_search.json"), None),
    ("not a response", None, None),
]


@pytest.mark.parametrize(("payload", "expected"), [case[1:] for case in VARIANTS], ids=[case[0] for case in VARIANTS])
def test_variant_of_reads_tier_speed_and_geography(payload: object, expected: str | None) -> None:
    assert variant_of(payload) == expected
    assert variant_of(to_namespace(payload)) == expected  # SDK objects read the same
    usage = payload.get("usage") if isinstance(payload, dict) else None
    if isinstance(payload, dict) and isinstance(usage, dict) and "service_tier" not in payload:
        assert variant_of(usage) == expected  # Anthropic: the usage block alone carries it all


def test_the_response_field_wins_over_the_same_field_in_usage() -> None:
    # OpenRouter puts Anthropic's service_tier in usage and OpenAI's at the top: never both, but
    # if a proxy sends both, the response's own field is the one it answered with.
    assert variant_of({"service_tier": "flex", "usage": {"service_tier": "standard"}}) == "flex"
    assert variant_of({"service_tier": None, "usage": {"service_tier": "priority"}}) == "priority"


@pytest.mark.parametrize(("field", "value"), [("inference_geo", "us east"), ("service_tier", "flex!"),
                                              ("speed", "-fast")])
def test_variant_of_rejects_a_string_that_is_no_variant_name_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}: variant {re.escape(repr(value))}"):
        variant_of(anthropic_usage(**{field: value}))


def test_variant_of_is_exported_from_the_package() -> None:
    assert costpanel.variant_of is variant_of
    assert "variant_of" in costpanel.__all__


# --- end to end: adapters and variant_of feeding a tracker, priced by a catalog of our own

ACME = """\
provider = "acme"
name = "Acme"
sources = ["https://acme.example/pricing"]
checked = 2026-01-01

[[models]]
id = "acme-search-1"

[[models.prices]]
effective = 2025-01-01
source = "https://acme.example/pricing"
input = 2
output = 10
web_search_per_1k = 10

[models.prices.variants.fast]
multiplier = 6

[models.prices.variants.us]
multiplier = 1.1

[models.prices.variants.priority]
input = 4
output = 20
"""


@pytest.fixture
def acme_tracker(tmp_path: Path) -> CostTracker:
    path = tmp_path / "acme.toml"
    path.write_text(ACME, encoding="utf-8")
    return CostTracker(load_catalog(overrides=False, extra=[path]))


# (payload, adapter, expected variant, web searches, expected cost): 1M input at $2/M, 100k output at
# $10/M, searches at $10 per 1,000 (fees are not scaled by a variant's multiplier)
END_TO_END: list[tuple[str, dict[str, Any], Adapter, str | None, int, Decimal | None]] = [
    ("standard, 3 searches",
     {"usage": {"input_tokens": 10**6, "output_tokens": 10**5, "service_tier": "standard",
                "server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 1}}},
     from_anthropic, None, 3, Decimal("3.03")),
    ("fast in the US: tokens x 6 x 1.1",
     {"usage": {"input_tokens": 10**6, "output_tokens": 10**5, "speed": "fast", "inference_geo": "us",
                "server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 0}}},
     from_anthropic, "fast+us", 3, Decimal("19.83")),
    ("priority: its own prices",
     {"usage": {"input_tokens": 10**6, "output_tokens": 10**5, "service_tier": "priority"}},
     from_anthropic, "priority", 0, Decimal(6)),
    ("batch is not offered: unpriced, never standard",
     {"usage": {"input_tokens": 10**6, "output_tokens": 10**5, "service_tier": "batch",
                "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0}}},
     from_anthropic, "batch", 1, None),
    ("openai flex is not offered: unpriced",
     {"service_tier": "flex", "output": [{"type": "web_search_call"}, {"type": "message"}],
      "usage": {"input_tokens": 10**6, "output_tokens": 10**5, "input_tokens_details": {"cached_tokens": 0}}},
     from_openai, "flex", 1, None),
    ("openai default, 2 search calls",
     {"service_tier": "default", "output": [{"type": "web_search_call"}, {"type": "web_search_call"}],
      "usage": {"input_tokens": 10**6, "output_tokens": 10**5, "input_tokens_details": {"cached_tokens": 0}}},
     from_openai, None, 2, Decimal("3.02")),
]


@pytest.mark.parametrize(("payload", "adapter", "variant", "searches", "cost"), [c[1:] for c in END_TO_END],
                         ids=[c[0] for c in END_TO_END])
def test_a_recorded_response_carries_its_variant_and_searches_into_the_price(
    acme_tracker: CostTracker, payload: dict[str, Any], adapter: Adapter, variant: str | None, searches: int,
    cost: Decimal | None,
) -> None:
    event = acme_tracker.record("acme-search-1", adapter(payload), tier="Tier 1", variant=variant_of(payload))
    assert (event.variant, event.usage.web_search, event.cost_usd) == (variant, searches, cost)
    snap = acme_tracker.snapshot()
    assert snap.total.usage.web_search == searches
    assert snap.total.unpriced_calls == (cost is None)


def test_the_bundled_catalog_records_variant_and_searches_of_real_responses(tracker: CostTracker) -> None:
    # Prices of variants and search fees come with the price data; what the call carries must not.
    message = load("anthropic_web_search_fast_us.json")
    event = tracker.record(message["model"], Usage.from_anthropic(message), tier="Tier 1", variant=variant_of(message))
    assert (event.variant, event.usage.web_search, event.matched) == ("fast+us", 3, "claude-opus-4-6")
    response = load("openai_responses_web_search.json")
    event = tracker.record(response["model"], Usage.from_openai(response), tier="Tier 2", variant=variant_of(response))
    assert (event.variant, event.usage.web_search) == ("flex", 3)
    assert tracker.snapshot().total.usage.web_search == 6


def test_openai_cache_writes_leave_input_for_their_own_bucket() -> None:
    """GPT-5.6 on: OpenAI reports (and bills) cache writes inside the prompt total, as it does reads."""
    from openai.types.completion_usage import CompletionUsage
    from openai.types.responses.response_usage import ResponseUsage

    responses = ResponseUsage.model_validate({
        "input_tokens": 10_000, "input_tokens_details": {"cached_tokens": 6_000, "cache_write_tokens": 3_000},
        "output_tokens": 500, "output_tokens_details": {"reasoning_tokens": 200}, "total_tokens": 10_500})
    assert from_openai(responses) == Usage(input=1_000, cache_read=6_000, cache_write=3_000, output=500)
    chat = CompletionUsage.model_validate({
        "prompt_tokens": 900, "completion_tokens": 10, "total_tokens": 910,
        "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 700}})
    assert from_openai(chat) == Usage(input=100, cache_read=100, cache_write=700, output=10)
    with pytest.raises(ValueError, match=r"cached_tokens \(600\) \+ input_tokens_details.cache_write_tokens \(500\) "
                                         r"exceeds input_tokens \(1000\)"):
        from_openai({"input_tokens": 1_000, "output_tokens": 1,
                     "input_tokens_details": {"cached_tokens": 600, "cache_write_tokens": 500}})


def test_otel_newest_cache_write_attribute_reads_like_cache_creation() -> None:
    old = from_otel({"gen_ai.usage.input_tokens": 900, "gen_ai.usage.cache_creation.input_tokens": 300,
                     "gen_ai.usage.output_tokens": 5})
    new = from_otel({"gen_ai.usage.input_tokens": 900, "gen_ai.usage.cache_write.input_tokens": 300,
                     "gen_ai.usage.output_tokens": 5})
    assert old == new == Usage(input=600, cache_write=300, output=5)


@pytest.mark.parametrize("value", [100.0, True, "12"])
def test_a_count_of_the_wrong_type_is_a_type_error_as_usage_says_and_still_a_value_error(value: object) -> None:
    """Usage(input=1.0) raises TypeError; so does an adapter given a float count (code catching
    either keeps working), naming the field and the value; the tracker is not touched."""
    with pytest.raises(TypeError, match=re.escape(f"prompt_tokens must be a non-negative integer, got "
                                                  f"{type(value).__name__} {value!r}")) as info:
        Usage.from_openai({"prompt_tokens": value, "completion_tokens": 1})
    assert isinstance(info.value, ValueError)
    with pytest.raises(TypeError):
        Usage(input=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be between 0 and"):  # a wrong value stays a ValueError only
        Usage.from_openai({"prompt_tokens": -1, "completion_tokens": 1})


def test_an_anthropic_responses_advisor_calls_are_read_apart_from_its_usage() -> None:
    """The advisor tool: top-level usage is the executor's; each advisor_message iteration is a call
    at the advisor model's prices (platform.claude.com advisor-tool docs, "Usage and billing")."""
    from types import SimpleNamespace

    from costpanel import anthropic_advisors

    usage = {"input_tokens": 412, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0, "output_tokens": 531,
             "iterations": [
                 {"type": "message", "input_tokens": 412, "output_tokens": 89},
                 {"type": "advisor_message", "model": "claude-fable-5", "input_tokens": 823,
                  "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0, "output_tokens": 1612},
                 {"type": "message", "input_tokens": 1348, "cache_read_input_tokens": 412, "output_tokens": 442}]}
    assert Usage.from_anthropic({"usage": usage}) == Usage(input=412, output=531)  # the executor's alone
    assert anthropic_advisors({"usage": usage}) == [("claude-fable-5", Usage(input=823, output=1612))]
    sdk = SimpleNamespace(usage=SimpleNamespace(**{**usage, "iterations": [SimpleNamespace(**i) for i in usage["iterations"]]}))
    assert anthropic_advisors(sdk) == [("claude-fable-5", Usage(input=823, output=1612))]
    assert anthropic_advisors({"usage": {"input_tokens": 3, "output_tokens": 4}}) == []
    with pytest.raises(ValueError, match=r"iterations\[0\].*without a model"):
        anthropic_advisors({"usage": {"input_tokens": 3, "iterations": [{"type": "advisor_message", "input_tokens": 1}]}})
